// The Linux bzImage loader, using the 64-bit boot protocol.
//
// Spec: Linux Documentation/arch/x86/boot.rst, sections "LOADING THE REST OF
// THE KERNEL", "DETAILS OF HEADER FIELDS" and "64-bit BOOT PROTOCOL". The
// loader copies the protected-mode part of the bzImage into guest RAM, writes
// the command line and the initrd, and fills the zero page (boot_params); the
// vCPU then starts in long mode at the kernel's 64-bit entry point with RSI
// pointing at the zero page. The 16-bit setup code in the image is never run.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/result.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

struct LinuxBootConfig {
    std::span<const uint8_t> kernel;  // the whole bzImage file
    std::span<const uint8_t> initrd;  // empty: no initrd
    std::string command_line;
    uint64_t acpi_rsdp = 0;  // guest address of the ACPI RSDP; 0 lets the kernel scan for it
};

// Loads `config.kernel` into `memory` and returns where the vCPU must start.
// Rejects anything that is not a 64-bit-capable bzImage (protocol 2.12+), and
// any image, command line or initrd that does not fit in the guest's RAM below
// the MMIO hole, with an error that says what to change.
Result<BootEntry> load_bzimage(const GuestMemory& memory, const LinuxBootConfig& config);

}  // namespace twinbox
