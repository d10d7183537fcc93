// A PCI host bridge with nothing behind it: configuration mechanism #1
// (PCI Local Bus Specification 3.0, 3.2.2.3.2: CONFIG_ADDRESS at port 0xcf8,
// CONFIG_DATA at 0xcfc-0xcff) answering for bus 0, device 0, function 0 only.
//
// Why: Linux's x86 PCI set-up prints "PCI: Fatal: No config space access
// function found" at KERN_ERR - past `quiet` - whenever neither type 1 nor
// type 2 access, MMCONFIG nor the PCI BIOS works (arch/x86/pci/init.c,
// pci_arch_init), and `pci=off` only stops it from probing, so the line
// came on every boot of Debian's kernel (issue 17). Type 1 access counts as
// working when CONFIG_ADDRESS reads back what was written and a scan of
// bus 0 finds a host bridge or a VGA device (pci_sanity_check in
// arch/x86/pci/direct.c): this device is exactly that much. The IDs are
// Red Hat's for QEMU's generic PCIe host (1b36:0008, QEMU's
// docs/specs/pci-ids.rst), for which the kernel has no quirks.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

class PciHost : public BusDevice {
public:
    static constexpr uint16_t kBasePort = 0xcf8;
    static constexpr uint64_t kPortCount = 8;  // CONFIG_ADDRESS (4 bytes), CONFIG_DATA (4 bytes)

    PciHost();

    std::string_view name() const override { return "pci-host"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    std::mutex m_mutex;  // vCPUs may use the two ports concurrently
    uint32_t m_address = 0;
    std::array<uint8_t, 256> m_config{};  // the host bridge's configuration header
};

}  // namespace twinbox
