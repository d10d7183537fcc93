#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/acpi/tables.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox::acpi {
namespace {

uint8_t byte_sum(std::span<const uint8_t> bytes) {
    return std::accumulate(bytes.begin(), bytes.end(), uint8_t{0}, [](uint8_t sum, uint8_t byte) {
        return static_cast<uint8_t>(sum + byte);
    });
}

AcpiConfig config_with(uint32_t cpus, size_t virtio_devices) {
    AcpiConfig config;
    config.cpus = cpus;
    for (size_t i = 0; i < virtio_devices; ++i) {
        config.virtio_devices.push_back({layout::kVirtioMmioStart + i * layout::kVirtioMmioStride,
                                         layout::kVirtioMmioStride,
                                         layout::kVirtioIrqs[i % layout::kMaxVirtioDevices]});
    }
    return config;
}

size_t count_occurrences(const std::vector<uint8_t>& haystack, std::string_view needle) {
    size_t count = 0;
    auto it = haystack.begin();
    while ((it = std::search(it, haystack.end(), needle.begin(), needle.end())) != haystack.end()) {
        ++count;
        ++it;
    }
    return count;
}

class AcpiTables : public ::testing::Test {
protected:
    void SetUp() override {
        auto memory = GuestMemory::create(16 * layout::kMiB);
        ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
        m_memory = std::make_unique<GuestMemory>(std::move(memory).value());
    }

    // Reads a whole table and checks the rules every table follows.
    std::vector<uint8_t> read_table(uint64_t address, std::string_view signature) {
        auto header = m_memory->read_object<TableHeader>(address);
        EXPECT_TRUE(header.has_value());
        if (!header)
            return {};
        EXPECT_EQ(std::string_view(header->signature, 4), signature);
        std::vector<uint8_t> table(header->length);
        EXPECT_TRUE(m_memory->read(address, table).has_value());
        EXPECT_EQ(byte_sum(table), 0) << signature << " checksum";
        EXPECT_EQ(std::string_view(header->oem_id, 6), "TWNBOX");
        EXPECT_GE(address, layout::kAcpiAddress);
        EXPECT_LE(address + table.size(), layout::kAcpiEnd);
        return table;
    }

    Rsdp write(const AcpiConfig& config) {
        auto rsdp_address = write_acpi_tables(*m_memory, config);
        EXPECT_TRUE(rsdp_address.has_value()) << rsdp_address.error().to_string();
        EXPECT_EQ(*rsdp_address, layout::kAcpiAddress);
        return m_memory->read_object<Rsdp>(layout::kAcpiAddress).value();
    }

    std::vector<uint64_t> xsdt_entries(const Rsdp& rsdp) {
        auto xsdt = read_table(rsdp.xsdt_address, "XSDT");
        std::vector<uint64_t> entries((xsdt.size() - sizeof(TableHeader)) / 8);
        std::memcpy(entries.data(), xsdt.data() + sizeof(TableHeader), entries.size() * 8);
        return entries;
    }

    Fadt read_fadt(const Rsdp& rsdp) {
        auto table = read_table(xsdt_entries(rsdp).at(0), "FACP");
        Fadt fadt{};
        EXPECT_EQ(table.size(), sizeof(Fadt));
        std::memcpy(&fadt, table.data(), std::min(table.size(), sizeof(Fadt)));
        return fadt;
    }

    std::unique_ptr<GuestMemory> m_memory;
};

TEST_F(AcpiTables, RsdpHasBothChecksumsAndPointsAtTheXsdt) {
    Rsdp rsdp = write(config_with(2, 2));
    EXPECT_EQ(std::string_view(rsdp.signature, 8), "RSD PTR ");
    EXPECT_EQ(rsdp.revision, 2);
    EXPECT_EQ(rsdp.length, sizeof(Rsdp));
    EXPECT_EQ(rsdp.rsdt_address, 0u);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&rsdp);
    EXPECT_EQ(byte_sum({bytes, 20}), 0);
    EXPECT_EQ(byte_sum({bytes, sizeof(Rsdp)}), 0);
    EXPECT_EQ(layout::kAcpiAddress % 16, 0u);  // guests scan 16-byte boundaries
    read_table(rsdp.xsdt_address, "XSDT");
}

TEST_F(AcpiTables, XsdtListsTheFadtAndTheMadt) {
    Rsdp rsdp = write(config_with(2, 2));
    auto entries = xsdt_entries(rsdp);
    ASSERT_EQ(entries.size(), 2u);
    read_table(entries[0], "FACP");
    read_table(entries[1], "APIC");
}

TEST_F(AcpiTables, FadtIsHardwareReducedWithSleepAndResetRegisters) {
    Fadt fadt = read_fadt(write(config_with(1, 0)));
    EXPECT_EQ(fadt.header.length, 276u);
    EXPECT_EQ(fadt.header.revision, 6);
    EXPECT_EQ(fadt.minor_version, 5);
    EXPECT_NE(fadt.flags & (1u << 20), 0u) << "HW_REDUCED_ACPI";
    EXPECT_NE(fadt.flags & (1u << 10), 0u) << "RESET_REG_SUP";
    EXPECT_NE(fadt.iapc_boot_arch & (1u << 1), 0u) << "8042";
    EXPECT_NE(fadt.iapc_boot_arch & (1u << 2), 0u) << "VGA Not Present";
    EXPECT_EQ(fadt.iapc_boot_arch & (1u << 5), 0u) << "the CMOS RTC is present";
    EXPECT_EQ(fadt.reset_register.address_space, 1);
    EXPECT_EQ(fadt.reset_register.address, 0x64u);
    EXPECT_EQ(fadt.reset_value, 0xfe);
    GenericAddress control = fadt.sleep_control_register;
    GenericAddress status = fadt.sleep_status_register;
    EXPECT_EQ(control.address_space, 1);  // System I/O
    EXPECT_EQ(control.bit_width, 8);
    EXPECT_EQ(control.bit_offset, 0);
    EXPECT_EQ(control.address, layout::kAcpiSleepControlPort);
    EXPECT_EQ(status.address, layout::kAcpiSleepStatusPort);
    EXPECT_EQ(status.bit_width, 8);
    EXPECT_EQ(std::string_view(fadt.hypervisor_vendor_identity, 8), "TWINBOX ");
    EXPECT_EQ(fadt.x_firmware_control, 0u);
    read_table(fadt.x_dsdt, "DSDT");
}

TEST_F(AcpiTables, MadtHasOneLocalApicPerCpu) {
    for (uint32_t cpus : {1u, 2u, 8u, kMaxCpus}) {
        Rsdp rsdp = write(config_with(cpus, 0));
        auto madt = read_table(xsdt_entries(rsdp).at(1), "APIC");
        MadtHeader header;
        std::memcpy(&header, madt.data(), sizeof(header));
        EXPECT_EQ(header.local_apic_address, layout::kLapicAddress);
        EXPECT_EQ(header.flags, 1u);  // PCAT_COMPAT
        std::vector<uint8_t> apic_ids;
        int io_apics = 0, overrides = 0, nmis = 0;
        size_t offset = sizeof(MadtHeader);
        while (offset < madt.size()) {
            ASSERT_LE(offset + 2, madt.size());
            auto type = static_cast<MadtType>(madt[offset]);
            uint8_t length = madt[offset + 1];
            ASSERT_GE(length, 2);
            ASSERT_LE(offset + length, madt.size());
            if (type == MadtType::local_apic) {
                MadtLocalApic entry;
                ASSERT_EQ(length, sizeof(entry));
                std::memcpy(&entry, madt.data() + offset, sizeof(entry));
                EXPECT_EQ(entry.flags, 1u);  // enabled
                apic_ids.push_back(entry.apic_id);
            } else if (type == MadtType::io_apic) {
                MadtIoApic entry;
                ASSERT_EQ(length, sizeof(entry));
                std::memcpy(&entry, madt.data() + offset, sizeof(entry));
                EXPECT_EQ(entry.io_apic_id, cpus);
                EXPECT_EQ(entry.address, layout::kIoapicAddress);
                EXPECT_EQ(entry.gsi_base, 0u);
                ++io_apics;
            } else if (type == MadtType::interrupt_source_override) {
                MadtInterruptSourceOverride entry;
                ASSERT_EQ(length, sizeof(entry));
                std::memcpy(&entry, madt.data() + offset, sizeof(entry));
                EXPECT_EQ(entry.source, 0);
                EXPECT_EQ(entry.gsi, layout::kPitGsi);
                ++overrides;
            } else if (type == MadtType::local_apic_nmi) {
                ASSERT_EQ(length, sizeof(MadtLocalApicNmi));
                EXPECT_EQ(madt[offset + 2], 0xff);  // all processors
                EXPECT_EQ(madt[offset + 5], 1);     // LINT1
                ++nmis;
            }
            offset += length;
        }
        EXPECT_EQ(offset, madt.size()) << "entries fill the table exactly";
        ASSERT_EQ(apic_ids.size(), cpus);
        for (uint32_t i = 0; i < cpus; ++i) EXPECT_EQ(apic_ids[i], i);
        EXPECT_EQ(io_apics, 1);
        EXPECT_EQ(overrides, 1);
        EXPECT_EQ(nmis, 1);
    }
}

TEST_F(AcpiTables, DsdtDescribesComOneAndEveryVirtioDevice) {
    for (size_t devices : {size_t{0}, size_t{8}}) {
        Fadt fadt = read_fadt(write(config_with(2, devices)));
        auto dsdt = read_table(fadt.x_dsdt, "DSDT");
        EXPECT_EQ(dsdt[8], kDsdtRevision);
        EXPECT_EQ(count_occurrences(dsdt, "COM1"), 1u);
        EXPECT_EQ(count_occurrences(dsdt, "LNRO0005"), devices);
        EXPECT_EQ(count_occurrences(dsdt, "_S5_"), 1u);
        for (size_t i = 0; i < devices; ++i)
            EXPECT_EQ(count_occurrences(dsdt, fmt::format("VR{:02X}", i)), 1u);
        // The \_SB scope's PkgLength must end exactly where the \_S5 Name starts.
        size_t scope = sizeof(TableHeader);
        ASSERT_EQ(dsdt[scope], 0x10);
        uint8_t lead = dsdt[scope + 1];
        size_t following = lead >> 6;
        uint32_t length = following == 0 ? lead & 0x3fu : lead & 0x0fu;
        for (size_t i = 0; i < following; ++i) length |= dsdt[scope + 2 + i] << (4 + 8 * i);
        size_t after_scope = scope + 1 + length;
        ASSERT_LT(after_scope, dsdt.size());
        EXPECT_EQ(dsdt[after_scope], 0x08);  // NameOp of \_S5
        EXPECT_EQ(std::string(dsdt.begin() + after_scope + 1, dsdt.begin() + after_scope + 6),
                  "\\_S5_");
    }
}

TEST_F(AcpiTables, TheLargestConfigurationStillFits) {
    write(config_with(kMaxCpus, kMaxVirtioDevices));
}

TEST_F(AcpiTables, RejectsWhatItCannotDescribe) {
    EXPECT_FALSE(write_acpi_tables(*m_memory, config_with(0, 0)).has_value());
    EXPECT_FALSE(write_acpi_tables(*m_memory, config_with(kMaxCpus + 1, 0)).has_value());
    EXPECT_FALSE(write_acpi_tables(*m_memory, config_with(1, kMaxVirtioDevices + 1)).has_value());
    AcpiConfig high = config_with(1, 0);
    high.virtio_devices.push_back({layout::kHighRamStart, 0x1000, 5});
    EXPECT_FALSE(write_acpi_tables(*m_memory, high).has_value());
    AcpiConfig straddling = config_with(1, 0);
    straddling.virtio_devices.push_back({0xffff'f000, 0x2000, 5});
    EXPECT_FALSE(write_acpi_tables(*m_memory, straddling).has_value());
    AcpiConfig empty = config_with(1, 0);
    empty.virtio_devices.push_back({layout::kVirtioMmioStart, 0, 5});
    EXPECT_FALSE(write_acpi_tables(*m_memory, empty).has_value());
}

TEST(AcpiTablesSmallGuest, TheSmallestGuestHoldsTheTables) {
    auto memory = GuestMemory::create(layout::kMinimumMemory);
    ASSERT_TRUE(memory.has_value());
    EXPECT_TRUE(write_acpi_tables(*memory, config_with(1, 0)).has_value());
}

}  // namespace
}  // namespace twinbox::acpi
