#include "vmm/arch/x86_64/mptable.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

uint8_t byte_sum(std::span<const uint8_t> bytes) {
    return std::accumulate(bytes.begin(), bytes.end(), uint8_t{0}, [](uint8_t sum, uint8_t byte) {
        return static_cast<uint8_t>(sum + byte);
    });
}

class MpTable : public ::testing::Test {
protected:
    void SetUp() override {
        auto memory = GuestMemory::create(4 * layout::kMiB);
        ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
        m_memory = std::make_unique<GuestMemory>(std::move(memory).value());
    }

    // Writes the tables and returns the configuration table's bytes, after
    // checking the floating pointer.
    std::vector<uint8_t> write(uint32_t cpus) {
        auto written = write_mp_table(*m_memory, cpus);
        EXPECT_TRUE(written.has_value()) << written.error().to_string();
        auto pointer = m_memory->read_object<mp::FloatingPointer>(layout::kMpTableAddress).value();
        EXPECT_EQ(std::string_view(pointer.signature, 4), "_MP_");
        EXPECT_EQ(pointer.length, 1);
        EXPECT_EQ(pointer.specification_revision, 4);
        EXPECT_EQ(pointer.feature1, 0);
        EXPECT_EQ(byte_sum({reinterpret_cast<const uint8_t*>(&pointer), sizeof(pointer)}), 0);
        auto header =
            m_memory->read_object<mp::ConfigurationHeader>(pointer.configuration_address).value();
        EXPECT_EQ(std::string_view(header.signature, 4), "PCMP");
        EXPECT_LE(pointer.configuration_address + header.base_table_length, layout::kEbdaEnd);
        std::vector<uint8_t> table(header.base_table_length);
        EXPECT_TRUE(m_memory->read(pointer.configuration_address, table).has_value());
        EXPECT_EQ(byte_sum(table), 0);
        return table;
    }

    std::unique_ptr<GuestMemory> m_memory;
};

TEST_F(MpTable, DescribesEveryCpuTheIoApicAndTheIsaInterrupts) {
    for (uint32_t cpus : {1u, 2u, 4u, max_mp_table_cpus()}) {
        auto table = write(cpus);
        mp::ConfigurationHeader header;
        std::memcpy(&header, table.data(), sizeof(header));
        EXPECT_EQ(header.local_apic_address, layout::kLapicAddress);

        std::vector<mp::ProcessorEntry> processors;
        std::vector<mp::InterruptEntry> io_interrupts, local_interrupts;
        int buses = 0, io_apics = 0;
        size_t entries = 0, offset = sizeof(header);
        uint8_t previous_type = 0;
        while (offset < table.size()) {
            uint8_t type = table[offset];
            EXPECT_GE(type, previous_type) << "entries are sorted by type";
            previous_type = type;
            size_t size = type == 0 ? sizeof(mp::ProcessorEntry) : 8;
            ASSERT_LE(offset + size, table.size());
            if (type == 0) {
                mp::ProcessorEntry entry;
                std::memcpy(&entry, table.data() + offset, size);
                processors.push_back(entry);
            } else if (type == 1) {
                EXPECT_EQ(std::string(reinterpret_cast<const char*>(table.data() + offset + 2), 6),
                          "ISA   ");
                ++buses;
            } else if (type == 2) {
                mp::IoApicEntry entry;
                std::memcpy(&entry, table.data() + offset, size);
                EXPECT_EQ(entry.io_apic_id, cpus);
                EXPECT_EQ(entry.address, layout::kIoapicAddress);
                EXPECT_EQ(entry.flags, 1);
                ++io_apics;
            } else {
                mp::InterruptEntry entry;
                std::memcpy(&entry, table.data() + offset, size);
                (type == 3 ? io_interrupts : local_interrupts).push_back(entry);
            }
            offset += size;
            ++entries;
        }
        EXPECT_EQ(entries, header.entry_count);
        ASSERT_EQ(processors.size(), cpus);
        for (uint32_t i = 0; i < cpus; ++i) {
            EXPECT_EQ(processors[i].local_apic_id, i);
            EXPECT_EQ(processors[i].flags, i == 0 ? 0x3 : 0x1) << "only vCPU 0 is the BSP";
        }
        EXPECT_EQ(buses, 1);
        EXPECT_EQ(io_apics, 1);

        ASSERT_EQ(io_interrupts.size(), 15u);  // ISA IRQs 0-15 without the cascade, IRQ 2
        for (const auto& entry : io_interrupts) {
            EXPECT_NE(entry.source_bus_irq, 2);
            EXPECT_EQ(entry.destination_apic_id, cpus);
            EXPECT_EQ(entry.destination_pin,
                      entry.source_bus_irq == 0 ? layout::kPitGsi : entry.source_bus_irq);
            EXPECT_EQ(entry.interrupt_type, mp::InterruptType::vectored);
        }
        ASSERT_EQ(local_interrupts.size(), 2u);
        EXPECT_EQ(local_interrupts[0].interrupt_type, mp::InterruptType::external);
        EXPECT_EQ(local_interrupts[0].destination_pin, 0);
        EXPECT_EQ(local_interrupts[1].interrupt_type, mp::InterruptType::nmi);
        EXPECT_EQ(local_interrupts[1].destination_pin, 1);
        EXPECT_EQ(local_interrupts[1].destination_apic_id, 0xff);
    }
}

TEST_F(MpTable, TheLimitIsWhatFitsBelowTheEbdaEnd) {
    // 1 KiB holds the pointer, the header, 19 fixed entries of 8 bytes and
    // 20-byte processor entries: (1024 - 16 - 44 - 152) / 20 = 40.
    EXPECT_EQ(max_mp_table_cpus(), 40u);
    EXPECT_FALSE(write_mp_table(*m_memory, 0).has_value());
    EXPECT_FALSE(write_mp_table(*m_memory, max_mp_table_cpus() + 1).has_value());
}

}  // namespace
}  // namespace twinbox
