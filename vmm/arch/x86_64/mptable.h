// The Intel MultiProcessor Specification 1.4 tables (May 1997; chapter 4,
// "MP Configuration Table"), the pre-ACPI way for an OS to find its
// processors and I/O APIC. Linux reads them when ACPI is off (`acpi=off`) or
// absent, so with them a guest still sees all its vCPUs.
//
// twinbox writes the MP floating pointer at layout::kMpTableAddress, the
// last KiB of base memory below 640 KiB, one of the places the OS searches
// (section 4), and the configuration table right after it:
//
//   floating pointer "_MP_" (16 bytes) -> configuration table "PCMP":
//     one processor entry per vCPU (vCPU 0 is the bootstrap processor),
//     the ISA bus, the I/O APIC, ISA IRQs 0-15 to I/O APIC pins (IRQ 0 to pin 2),
//     LINT0 = ExtINT (the 8259) and LINT1 = NMI on every local APIC.
//
// Models: Firecracker src/vmm/src/arch/x86_64/mptable.rs, kvmtool x86/mptable.c,
// SeaBIOS src/fw/mptable.c.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// Writes the MP tables for `cpus` vCPUs (APIC IDs 0 to cpus - 1). Fails for
// 0 vCPUs or more than max_mp_table_cpus().
Result<void> write_mp_table(const GuestMemory& memory, uint32_t cpus);

// The most vCPUs whose tables fit between layout::kMpTableAddress and layout::kEbdaEnd.
uint32_t max_mp_table_cpus();

namespace mp {

// MP Floating Pointer Structure (MP spec 1.4 section 4.1, table 4-1).
struct [[gnu::packed]] FloatingPointer {
    char signature[4];               // "_MP_"
    uint32_t configuration_address;  // physical address of the configuration table
    uint8_t length;                  // in 16-byte paragraphs: 1
    uint8_t specification_revision;  // 4: version 1.4
    uint8_t checksum;                // makes the 16 bytes sum to 0
    uint8_t feature1;  // 0: a configuration table is present (no default configuration)
    uint8_t feature2;  // bit 7 IMCRP clear: virtual wire mode, no IMCR
    uint8_t feature_reserved[3];
};
static_assert(sizeof(FloatingPointer) == 16);

// MP Configuration Table Header (section 4.2, table 4-2).
struct [[gnu::packed]] ConfigurationHeader {
    char signature[4];           // "PCMP"
    uint16_t base_table_length;  // header and entries
    uint8_t specification_revision;
    uint8_t checksum;  // makes the base table sum to 0
    char oem_id[8];
    char product_id[12];
    uint32_t oem_table_address;
    uint16_t oem_table_size;
    uint16_t entry_count;
    uint32_t local_apic_address;
    uint16_t extended_table_length;
    uint8_t extended_table_checksum;
    uint8_t reserved;
};
static_assert(sizeof(ConfigurationHeader) == 44);

// Entry types; entries appear sorted by type (section 4.3, table 4-3).
enum class EntryType : uint8_t {
    processor = 0,
    bus = 1,
    io_apic = 2,
    io_interrupt = 3,
    local_interrupt = 4,
};

// Processor entry (section 4.3.1, table 4-4).
struct [[gnu::packed]] ProcessorEntry {
    EntryType type;  // processor
    uint8_t local_apic_id;
    uint8_t local_apic_version;
    uint8_t flags;           // bit 0 EN (usable), bit 1 BP (the bootstrap processor)
    uint32_t signature;      // CPUID.1:EAX stepping, model, family
    uint32_t feature_flags;  // CPUID.1:EDX
    uint32_t reserved[2];
};
static_assert(sizeof(ProcessorEntry) == 20);

// Bus entry (section 4.3.2, table 4-7).
struct [[gnu::packed]] BusEntry {
    EntryType type;  // bus
    uint8_t bus_id;
    char bus_type[6];  // "ISA   ", blank-padded (table 4-8)
};
static_assert(sizeof(BusEntry) == 8);

// I/O APIC entry (section 4.3.3, table 4-9).
struct [[gnu::packed]] IoApicEntry {
    EntryType type;  // io_apic
    uint8_t io_apic_id;
    uint8_t io_apic_version;
    uint8_t flags;  // bit 0 EN
    uint32_t address;
};
static_assert(sizeof(IoApicEntry) == 8);

// Interrupt types of I/O and local interrupt entries (section 4.3.4, table 4-11).
enum class InterruptType : uint8_t {
    vectored = 0,  // INT: the APIC supplies the vector
    nmi = 1,
    smi = 2,
    external = 3,  // ExtINT: the 8259 supplies the vector
};

// I/O Interrupt Assignment entry (section 4.3.4, table 4-10) and Local
// Interrupt Assignment entry (section 4.3.5, table 4-12) share one layout; the
// last two fields name an I/O APIC and its pin, or a local APIC and its LINTn.
struct [[gnu::packed]] InterruptEntry {
    EntryType type;  // io_interrupt or local_interrupt
    InterruptType interrupt_type;
    uint16_t flags;  // bits 0-1 polarity, bits 2-3 trigger mode; 0: as the bus defines
    uint8_t source_bus_id;
    uint8_t source_bus_irq;
    uint8_t destination_apic_id;  // 0xff in a local entry: every local APIC
    uint8_t destination_pin;      // I/O APIC INTINn or local APIC LINTINn
};
static_assert(sizeof(InterruptEntry) == 8);

}  // namespace mp
}  // namespace twinbox
