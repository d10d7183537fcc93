// Configuration mechanism #1 for one host bridge (pci_host.h).
#include "vmm/devices/pci_host.h"

namespace twinbox {
namespace {

constexpr uint32_t kEnable = 1u << 31;  // CONFIG_ADDRESS bit 31: the data port is live

void put16(std::array<uint8_t, 256>& config, size_t offset, uint16_t value) {
    config[offset] = static_cast<uint8_t>(value);
    config[offset + 1] = static_cast<uint8_t>(value >> 8);
}

}  // namespace

PciHost::PciHost() {
    // Type 0 header (PCI 3.0, 6.1): vendor, device, class code 06/00/00
    // (bridge, host), header type 0; no BARs, no interrupt, no capabilities.
    put16(m_config, 0x00, 0x1b36);
    put16(m_config, 0x02, 0x0008);
    m_config[0x0b] = 0x06;  // base class: bridge
    m_config[0x0a] = 0x00;  // sub-class: host bridge
}

void PciHost::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(m_mutex);
    if (offset < 4) {
        // CONFIG_ADDRESS reads back as written (the probe checks that).
        for (size_t i = 0; i < data.size() && offset + i < 4; ++i)
            data[i] = static_cast<uint8_t>(m_address >> (8 * (offset + i)));
        return;
    }
    // CONFIG_DATA: bits 23-16 bus, 15-11 device, 10-8 function, 7-2 register.
    uint32_t target = m_address & 0x7fffff00;  // bus, device, function
    bool ours = (m_address & kEnable) && target == 0;
    size_t base = (m_address & 0xfc) + (offset - 4);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = ours && base + i < m_config.size() ? m_config[base + i] : 0xff;
}

void PciHost::write(uint64_t offset, std::span<const uint8_t> data) {
    std::lock_guard lock(m_mutex);
    // Only a full 32-bit write sets CONFIG_ADDRESS (PCI 3.0, 3.2.2.3.2); the
    // byte write to 0xcfb of the type 2 probe must not. Configuration writes
    // (BAR sizing, command) change nothing on a bridge without resources.
    if (offset == 0 && data.size() == 4)
        m_address = uint32_t(data[0]) | uint32_t(data[1]) << 8 | uint32_t(data[2]) << 16 |
                    uint32_t(data[3]) << 24;
}

}  // namespace twinbox
