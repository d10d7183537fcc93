// The ACPI tables twinbox writes into guest memory (ACPI 6.5 chapter 5,
// "ACPI Software Programming Model"), so that a Linux guest finds its CPUs,
// its interrupt controllers, the UART and the virtio-mmio devices, and can
// power itself off and reboot:
//
//   RSDP  at layout::kAcpiAddress, where guests look for it (section 5.2.5)
//    └─ XSDT (section 5.2.8)
//        ├─ FACP, the FADT (section 5.2.9): hardware-reduced ACPI, sleep and
//        │   reset registers, and the address of
//        │    └─ DSDT (section 5.2.11.1): AML describing COM1, virtio-mmio, \_S5
//        └─ APIC, the MADT (section 5.2.12): local APICs, the I/O APIC, overrides
//
// The machine is "hardware-reduced" (section 4.1): it has none of the PC's
// fixed ACPI hardware (PM timer, GPE blocks, SCI), only the two sleep
// registers of devices/acpi_sleep.h, like Firecracker and QEMU microvm.
//
// Models: QEMU hw/i386/acpi-microvm.c, Firecracker src/vmm/src/acpi/,
// Cloud Hypervisor's acpi_tables crate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

struct AcpiConfig {
    uint32_t cpus = 1;  // vCPUs; the local APIC ID of vCPU n is n
    struct VirtioMmioDevice {
        uint64_t address;  // base of the device's registers, below 4 GiB
        uint64_t size;     // length of the register window
        uint32_t gsi;      // its interrupt (an I/O APIC pin)
    };
    std::vector<VirtioMmioDevice> virtio_devices;
};

// Lays out the RSDP, XSDT, FADT, MADT and DSDT from layout::kAcpiAddress up to
// layout::kAcpiEnd and returns the RSDP's address, for
// boot_params.acpi_rsdp_addr. Fails if the configuration cannot be described
// (no CPUs, too many CPUs for 8-bit APIC IDs, a device above 4 GiB) or the
// tables do not fit.
Result<uint64_t> write_acpi_tables(const GuestMemory& memory, const AcpiConfig& config);

// Writes the tables reachable from the RSDP at `rsdp` into `directory`
// (created if missing) as rsdp.dat and <SIGNATURE>.dat (XSDT.dat, FACP.dat,
// APIC.dat, DSDT.dat), the raw form `iasl -d` decompiles. Reads guest memory
// defensively: lengths and signatures are checked before use.
Result<void> dump_acpi_tables(const GuestMemory& memory, uint64_t rsdp,
                              const std::string& directory);

namespace acpi {

// Root System Description Pointer, revision 2 (ACPI 6.5 section 5.2.5.3).
struct [[gnu::packed]] Rsdp {
    char signature[8];  // "RSD PTR "
    uint8_t checksum;   // makes the first 20 bytes (the ACPI 1.0 part) sum to 0
    char oem_id[6];
    uint8_t revision;       // 2: ACPI 2.0 and later, with the XSDT
    uint32_t rsdt_address;  // 0: twinbox has no 32-bit RSDT
    uint32_t length;        // 36, the whole structure
    uint64_t xsdt_address;
    uint8_t extended_checksum;  // makes all 36 bytes sum to 0
    uint8_t reserved[3];
};
static_assert(sizeof(Rsdp) == 36);

// System Description Table Header, at the start of every table but the RSDP
// (ACPI 6.5 section 5.2.6).
struct [[gnu::packed]] TableHeader {
    char signature[4];
    uint32_t length;  // of the whole table, header included
    uint8_t revision;
    uint8_t checksum;  // makes the whole table sum to 0
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
};
static_assert(sizeof(TableHeader) == 36);

// Generic Address Structure: where a register lives (ACPI 6.5 section 5.2.3.2).
struct [[gnu::packed]] GenericAddress {
    uint8_t address_space;  // 1: System I/O
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;  // 1: byte access
    uint64_t address;
};
static_assert(sizeof(GenericAddress) == 12);

// Fixed ACPI Description Table, revision 6.5 (ACPI 6.5 section 5.2.9). In hardware-reduced mode the
// fields from SCI_INT to CENTURY and the X_ register blocks are ignored; twinbox leaves them zero.
struct [[gnu::packed]] Fadt {
    TableHeader header;  // "FACP"
    uint32_t firmware_control;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_interrupt;
    uint32_t smi_command;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_request;
    uint8_t pstate_control;
    uint32_t pm1a_event_block;
    uint32_t pm1b_event_block;
    uint32_t pm1a_control_block;
    uint32_t pm1b_control_block;
    uint32_t pm2_control_block;
    uint32_t pm_timer_block;
    uint32_t gpe0_block;
    uint32_t gpe1_block;
    uint8_t pm1_event_length;
    uint8_t pm1_control_length;
    uint8_t pm2_control_length;
    uint8_t pm_timer_length;
    uint8_t gpe0_block_length;
    uint8_t gpe1_block_length;
    uint8_t gpe1_base;
    uint8_t cstate_control;
    uint16_t c2_latency;
    uint16_t c3_latency;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alarm;
    uint8_t month_alarm;
    uint8_t century;
    uint16_t iapc_boot_arch;  // offset 109, section 5.2.9.3
    uint8_t reserved1;
    uint32_t flags;  // offset 112, the fixed feature flags
    GenericAddress reset_register;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;  // offset 131: bits 0-3 minor version, bits 4-7 errata
    uint64_t x_firmware_control;
    uint64_t x_dsdt;  // offset 140
    GenericAddress x_pm1a_event_block;
    GenericAddress x_pm1b_event_block;
    GenericAddress x_pm1a_control_block;
    GenericAddress x_pm1b_control_block;
    GenericAddress x_pm2_control_block;
    GenericAddress x_pm_timer_block;
    GenericAddress x_gpe0_block;
    GenericAddress x_gpe1_block;
    GenericAddress sleep_control_register;  // offset 244
    GenericAddress sleep_status_register;   // offset 256
    char hypervisor_vendor_identity[8];     // offset 268
};
static_assert(sizeof(Fadt) == 276);

// The fixed part of the Multiple APIC Description Table (ACPI 6.5 section
// 5.2.12); interrupt controller structures follow it.
struct [[gnu::packed]] MadtHeader {
    TableHeader header;  // "APIC"
    uint32_t local_apic_address;
    uint32_t flags;  // bit 0 PCAT_COMPAT: there are also two 8259 PICs
};
static_assert(sizeof(MadtHeader) == 44);

// Interrupt controller structure types (ACPI 6.5 section 5.2.12).
enum class MadtType : uint8_t {
    local_apic = 0,
    io_apic = 1,
    interrupt_source_override = 2,
    local_apic_nmi = 4,
};

// Processor Local APIC Structure (ACPI 6.5 section 5.2.12.2).
struct [[gnu::packed]] MadtLocalApic {
    MadtType type;   // local_apic
    uint8_t length;  // 8
    uint8_t processor_uid;
    uint8_t apic_id;
    uint32_t flags;  // bit 0 Enabled, bit 1 Online Capable
};
static_assert(sizeof(MadtLocalApic) == 8);

// I/O APIC Structure (ACPI 6.5 section 5.2.12.3).
struct [[gnu::packed]] MadtIoApic {
    MadtType type;   // io_apic
    uint8_t length;  // 12
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;  // the GSI of the I/O APIC's pin 0
};
static_assert(sizeof(MadtIoApic) == 12);

// Interrupt Source Override Structure (ACPI 6.5 section 5.2.12.5).
struct [[gnu::packed]] MadtInterruptSourceOverride {
    MadtType type;   // interrupt_source_override
    uint8_t length;  // 10
    uint8_t bus;     // 0: ISA
    uint8_t source;  // the ISA IRQ
    uint32_t gsi;    // where it really arrives
    uint16_t flags;  // MPS INTI flags; 0: as the bus defines (ISA: edge, active high)
};
static_assert(sizeof(MadtInterruptSourceOverride) == 10);

// Local APIC NMI Structure (ACPI 6.5 section 5.2.12.7).
struct [[gnu::packed]] MadtLocalApicNmi {
    MadtType type;          // local_apic_nmi
    uint8_t length;         // 6
    uint8_t processor_uid;  // 0xff: all processors
    uint16_t flags;         // MPS INTI flags
    uint8_t lint;           // the LINTn input NMI is wired to
};
static_assert(sizeof(MadtLocalApicNmi) == 6);

}  // namespace acpi
}  // namespace twinbox
