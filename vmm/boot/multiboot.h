// The Multiboot (version 1) kernel loader.
//
// Spec: Multiboot Specification version 0.6.96, sections 3.1 (OS image
// format), 3.2 (machine state) and 3.3 (boot information format). This is the
// protocol GRUB and QEMU's -kernel use for small bare-metal kernels (OSDev's
// bare-bones kernel, kvm-unit-tests). The loader copies the kernel (an ELF
// executable, or any image whose header carries the load addresses) and its
// modules into guest RAM, writes the boot information at
// layout::kMultibootInfoAddress, and starts the vCPU in 32-bit protected mode
// with EAX = 0x2BADB002 and EBX = the information's address.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

struct MultibootModule {
    std::string path;       // shown to the guest as the start of the module's command line
    std::string arguments;  // appended after a space, if any
    std::vector<uint8_t> data;
};

struct MultibootConfig {
    std::span<const uint8_t> kernel;  // the whole kernel file
    std::string kernel_path;  // the kernel's command line is "kernel_path arguments", as in QEMU
    std::string arguments;
    std::vector<MultibootModule> modules;
};

// Loads a multiboot kernel and its modules and returns where the vCPU starts.
// Segments must lie in guest RAM below 4 GiB and away from the boot
// information area; modules go page-aligned above the kernel.
Result<BootEntry> load_multiboot(const GuestMemory& memory, const MultibootConfig& config);

}  // namespace twinbox
