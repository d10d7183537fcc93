// Intel MultiProcessor Specification 1.4, chapter 4: the MP floating pointer
// and the base MP configuration table.
#include "vmm/arch/x86_64/mptable.h"

#include <fmt/core.h>

#include <cstring>
#include <vector>

#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint8_t kSpecificationRevision = 4;  // MP spec 1.4 (section 4.1)
// Versions of the APICs KVM emulates (Linux arch/x86/kvm: lapic.c APIC_VERSION
// 0x14, ioapic.h IOAPIC_VERSION_ID 0x11); the OS only prints them.
constexpr uint8_t kLocalApicVersion = 0x14;
constexpr uint8_t kIoApicVersion = 0x11;
// Processor entry flags (section 4.3.1).
constexpr uint8_t kProcessorEnabled = 1u << 0;
constexpr uint8_t kProcessorBootstrap = 1u << 1;
// CPU signature and features (section 4.3.1, tables 4-5 and 4-6): family 6,
// with an FPU (CPUID.1:EDX bit 0) and a local APIC (bit 9). Linux takes the
// real values from CPUID and only reads the APIC ID and flags here.
constexpr uint32_t kCpuSignature = 6u << 8;
constexpr uint32_t kCpuFeatures = (1u << 0) | (1u << 9);
constexpr uint8_t kIoApicEnabled = 1u << 0;
// Interrupt flags 0: polarity and trigger "conform to the bus", which for ISA
// means active high, edge-triggered (section 4.3.4).
constexpr uint16_t kConformsToBus = 0;
constexpr uint8_t kIsaBusId = 0;
constexpr uint8_t kAllLocalApics = 0xff;  // section 4.3.5
constexpr uint8_t kIsaIrqs = 16;
// ISA IRQ 2 is the cascade from the second 8259 on a PC; no device uses it.
constexpr uint8_t kCascadeIrq = 2;

// The entries besides the processors: the ISA bus, the I/O APIC, one I/O
// interrupt per ISA IRQ but the cascade, and the two local interrupts.
constexpr size_t kIoInterruptEntries = kIsaIrqs - 1;
constexpr size_t kLocalInterruptEntries = 2;
constexpr size_t kFixedEntries = 1 + 1 + kIoInterruptEntries + kLocalInterruptEntries;
constexpr size_t kFixedEntriesSize =
    sizeof(mp::BusEntry) + sizeof(mp::IoApicEntry) +
    (kIoInterruptEntries + kLocalInterruptEntries) * sizeof(mp::InterruptEntry);

uint8_t checksum(std::span<const uint8_t> bytes) {
    uint8_t sum = 0;
    for (uint8_t byte : bytes) sum = static_cast<uint8_t>(sum + byte);
    return static_cast<uint8_t>(0x100 - sum);
}

template <typename T>
void append_object(Bytes& out, const T& object) {
    // Through resize and memcpy rather than vector::insert, which makes GCC 12
    // report false buffer overflows at -O2.
    size_t end = out.size();
    out.resize(end + sizeof(T));
    std::memcpy(out.data() + end, &object, sizeof(T));
}

void append_processors(Bytes& out, uint32_t cpus) {
    for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
        mp::ProcessorEntry entry{};
        entry.type = mp::EntryType::processor;
        entry.local_apic_id = static_cast<uint8_t>(cpu);
        entry.local_apic_version = kLocalApicVersion;
        entry.flags = kProcessorEnabled | (cpu == 0 ? kProcessorBootstrap : 0);
        entry.signature = kCpuSignature;
        entry.feature_flags = kCpuFeatures;
        append_object(out, entry);
    }
}

void append_interrupts(Bytes& out, uint8_t io_apic_id) {
    // ISA IRQ n goes to I/O APIC pin n, except the PIT's IRQ 0, which goes to
    // layout::kPitGsi; IRQ 2 (the cascade) has no entry, so no pin is claimed twice.
    for (uint8_t irq = 0; irq < kIsaIrqs; ++irq) {
        if (irq == kCascadeIrq)
            continue;
        append_object(out,
                      mp::InterruptEntry{
                          .type = mp::EntryType::io_interrupt,
                          .interrupt_type = mp::InterruptType::vectored,
                          .flags = kConformsToBus,
                          .source_bus_id = kIsaBusId,
                          .source_bus_irq = irq,
                          .destination_apic_id = io_apic_id,
                          .destination_pin = static_cast<uint8_t>(irq == 0 ? layout::kPitGsi : irq),
                      });
    }
    // Local interrupts: the 8259's output on LINT0 (virtual wire mode) and NMI on LINT1.
    const std::pair<mp::InterruptType, uint8_t> local_inputs[] = {{mp::InterruptType::external, 0},
                                                                  {mp::InterruptType::nmi, 1}};
    for (const auto& [type, lint] : local_inputs) {
        append_object(out, mp::InterruptEntry{
                               .type = mp::EntryType::local_interrupt,
                               .interrupt_type = type,
                               .flags = kConformsToBus,
                               .source_bus_id = kIsaBusId,
                               .source_bus_irq = 0,
                               .destination_apic_id = kAllLocalApics,
                               .destination_pin = lint,
                           });
    }
}

// The base configuration table: header, then entries sorted by type (section 4.3).
Bytes build_configuration_table(uint32_t cpus) {
    auto io_apic_id = static_cast<uint8_t>(cpus);  // the APIC ID after the last vCPU's
    // Room for the header, filled in last when the length is known.
    Bytes table(sizeof(mp::ConfigurationHeader));
    append_processors(table, cpus);
    mp::BusEntry bus{.type = mp::EntryType::bus, .bus_id = kIsaBusId, .bus_type = {}};
    std::memcpy(bus.bus_type, "ISA   ", sizeof(bus.bus_type));
    append_object(table, bus);
    append_object(table, mp::IoApicEntry{
                             .type = mp::EntryType::io_apic,
                             .io_apic_id = io_apic_id,
                             .io_apic_version = kIoApicVersion,
                             .flags = kIoApicEnabled,
                             .address = static_cast<uint32_t>(layout::kIoapicAddress),
                         });
    append_interrupts(table, io_apic_id);

    mp::ConfigurationHeader header{};
    std::memcpy(header.signature, "PCMP", sizeof(header.signature));
    header.base_table_length = static_cast<uint16_t>(table.size());
    header.specification_revision = kSpecificationRevision;
    std::memcpy(header.oem_id, "TWINBOX ", sizeof(header.oem_id));
    std::memcpy(header.product_id, "TWINBOX VM  ", sizeof(header.product_id));
    header.entry_count = static_cast<uint16_t>(cpus + kFixedEntries);
    header.local_apic_address = static_cast<uint32_t>(layout::kLapicAddress);
    std::memcpy(table.data(), &header, sizeof(header));
    table[offsetof(mp::ConfigurationHeader, checksum)] = checksum(table);
    return table;
}

}  // namespace

uint32_t max_mp_table_cpus() {
    size_t space = layout::kEbdaEnd - layout::kMpTableAddress;
    size_t fixed =
        sizeof(mp::FloatingPointer) + sizeof(mp::ConfigurationHeader) + kFixedEntriesSize;
    return static_cast<uint32_t>((space - fixed) / sizeof(mp::ProcessorEntry));
}

Result<void> write_mp_table(const GuestMemory& memory, uint32_t cpus) {
    if (cpus == 0 || cpus > max_mp_table_cpus())
        return Error::message(fmt::format("the MP table cannot describe {} vCPUs", cpus))
            .with_hint(fmt::format("give --cpus between 1 and {}", max_mp_table_cpus()));
    uint64_t configuration_address = layout::kMpTableAddress + sizeof(mp::FloatingPointer);
    Bytes configuration = build_configuration_table(cpus);

    mp::FloatingPointer pointer{};
    std::memcpy(pointer.signature, "_MP_", sizeof(pointer.signature));
    pointer.configuration_address = static_cast<uint32_t>(configuration_address);
    pointer.length = 1;
    pointer.specification_revision = kSpecificationRevision;
    pointer.checksum = checksum({reinterpret_cast<const uint8_t*>(&pointer), sizeof(pointer)});

    if (auto result = memory.write_object(layout::kMpTableAddress, pointer); !result)
        return std::move(result).error().with_context("writing the MP floating pointer");
    if (auto result = memory.write(configuration_address, configuration); !result)
        return std::move(result).error().with_context("writing the MP configuration table");
    return ok();
}

}  // namespace twinbox
