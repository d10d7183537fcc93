// The guest `twinbox vm run` boots when it is given nothing to boot: a Linux
// kernel (twinbox's minimal kernel when it has been built, else Debian's
// newest /boot/vmlinuz-*) with the default initramfs from guest/.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox {

struct DefaultGuest {
    std::string kernel;
    std::string initrd;
    std::string command_line;
};

// The newest readable /boot/vmlinuz-* in version order (6.1.0-10 after
// 6.1.0-9), or "" when /boot has none. Nothing in twinbox names a kernel
// version: Debian's kernel package moves on under the user's feet.
std::string newest_boot_kernel();

// Looks in `guest_directories` (build tree first, then the installed share dir).
Result<DefaultGuest> find_default_guest(const std::vector<std::string>& guest_directories);

// The kernel command line twinbox gives Linux guests unless told otherwise:
// the serial console, a triple-fault reboot that ends the VM and a quiet boot,
// since every console byte costs a VM exit. No pci=off: with it Linux prints
// "PCI: Fatal: No config space access function found" past quiet; it probes
// twinbox's PCI host bridge (vmm/devices/pci_host.h) instead.
inline constexpr const char* kDefaultLinuxCommandLine =
    "console=ttyS0 reboot=t panic=-1 i8042.noaux quiet";

}  // namespace twinbox
