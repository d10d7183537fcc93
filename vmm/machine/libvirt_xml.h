// The libvirt domain XML of a twinbox guest (`twinbox vm run
// --print-libvirt-xml`), so that a class can run the same kernel, initrd,
// command line, memory, vCPUs, disks and network under virsh and QEMU and
// compare. Format: https://libvirt.org/formatdomain.html.
//
// The machine is QEMU's microvm, the closest to twinbox's PC: no PCI, virtio
// devices on virtio-mmio found through ACPI (so Debian's kernel finds them as
// it does under twinbox), a 16550 UART on ttyS0. What microvm needs under
// libvirt (measured with libvirt 9.0 and QEMU 7.2): no USB controller (else
// "No PCI buses available"), <acpi/> (else poweroff only halts), and with KVM
// host-passthrough minus arch-capabilities (QEMU cannot set MSR 0x10a here);
// under TCG (domain type 'qemu') <cpu mode='maximum'/>.
//
// The command line is twinbox's own (console=ttyS0 and friends, or the one
// given), without the virtio_mmio.device= entries twinbox adds for its own
// device layout: QEMU describes its virtio-mmio devices in ACPI instead.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "vmm/machine/vm_config.h"

namespace twinbox {

struct LibvirtXmlOptions {
    std::string name;                 // the domain name; empty: "twinbox-" + the kernel's file name
    std::string domain_type = "kvm";  // "kvm" or "qemu" (TCG)
};

// Escapes text for XML character data and attribute values: & < > " '.
std::string xml_escape(std::string_view text);

// The domain XML for `config` (a --kernel or --multiboot guest; flat binaries
// have no libvirt equivalent and give an error). Relative paths are made
// absolute, since libvirt resolves nothing against the caller's directory.
Result<std::string> libvirt_domain_xml(const VmConfig& config, const LibvirtXmlOptions& options);

}  // namespace twinbox
