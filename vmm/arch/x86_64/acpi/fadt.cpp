// The Fixed ACPI Description Table, revision 6.5 (ACPI 6.5 section 5.2.9),
// for a hardware-reduced machine (ACPI 6.5 section 4.1): no PM timer, GPE or
// SCI, just the sleep registers, a reset register and the DSDT's address.
#include <cstring>

#include "vmm/arch/x86_64/acpi/builders.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox::acpi {
namespace {

// Fixed feature flags (ACPI 6.5 section 5.2.9, "FADT Fixed Feature Flags").
constexpr uint32_t kFlagResetRegisterSupported = 1u << 10;  // RESET_REG_SUP
constexpr uint32_t kFlagHardwareReducedAcpi = 1u << 20;     // HW_REDUCED_ACPI

// IA-PC boot architecture flags (ACPI 6.5 section 5.2.9.3).
// LEGACY_DEVICES: there are ISA-style devices (COM1, the CMOS RTC, the i8042).
constexpr uint16_t kBootLegacyDevices = 1u << 0;
// 8042: an i8042 is present. twinbox's is minimal, enough for Linux's i8042
// probe and for the reset below.
constexpr uint16_t kBoot8042 = 1u << 1;
// VGA Not Present: the guest must not probe VGA memory or ports.
constexpr uint16_t kBootVgaNotPresent = 1u << 2;

// Generic Address Structure values (ACPI 6.5 section 5.2.3.2).
constexpr uint8_t kSystemIoSpace = 1;
constexpr uint8_t kByteAccess = 1;

// The reset: writing 0xfe to the i8042's command port pulses the CPU reset
// line, as on every PC (IBM PC/AT Technical Reference, keyboard controller
// command 0xfe; Linux's reboot=k does the same).
constexpr uint16_t kI8042CommandPort = 0x64;
constexpr uint8_t kI8042PulseResetCommand = 0xfe;

// The hypervisor vendor identity (offset 268), 8 bytes.
constexpr char kHypervisorVendor[] = "TWINBOX ";

// A one-byte register in I/O space; the sleep registers must be exactly this
// (ACPI 6.5 section 5.2.9: Register_Bit_Width 8, Register_Bit_Offset 0).
GenericAddress io_port_byte(uint16_t port) {
    return GenericAddress{
        .address_space = kSystemIoSpace,
        .bit_width = 8,
        .bit_offset = 0,
        .access_size = kByteAccess,
        .address = port,
    };
}

}  // namespace

Bytes build_fadt(uint64_t dsdt_address) {
    Fadt fadt{};
    fadt.header = make_header("FACP", kFadtRevision);
    fadt.minor_version = kFadtMinorVersion;
    fadt.flags = kFlagHardwareReducedAcpi | kFlagResetRegisterSupported;
    fadt.iapc_boot_arch = kBootLegacyDevices | kBoot8042 | kBootVgaNotPresent;
    // Only the 64-bit field: the 32-bit DSDT field is for readers older than
    // ACPI 2.0, and OSPM ignores it when X_DSDT is set.
    fadt.x_dsdt = dsdt_address;
    // No FACS: it is optional on hardware-reduced machines (section 5.2.10),
    // so FIRMWARE_CTRL and X_FIRMWARE_CTRL stay zero.
    fadt.reset_register = io_port_byte(kI8042CommandPort);
    fadt.reset_value = kI8042PulseResetCommand;
    fadt.sleep_control_register = io_port_byte(layout::kAcpiSleepControlPort);
    fadt.sleep_status_register = io_port_byte(layout::kAcpiSleepStatusPort);
    std::memcpy(fadt.hypervisor_vendor_identity, kHypervisorVendor,
                sizeof(fadt.hypervisor_vendor_identity));

    Bytes table;
    append_object(table, fadt);
    seal(table);
    return table;
}

}  // namespace twinbox::acpi
