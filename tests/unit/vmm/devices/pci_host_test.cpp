// The PCI host bridge answers Linux's type 1 probe (arch/x86/pci/direct.c,
// pci_check_type1 and pci_sanity_check) and nothing else.
#include "vmm/devices/pci_host.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace twinbox {
namespace {

void out32(PciHost& host, uint64_t offset, uint32_t value) {
    std::array<uint8_t, 4> bytes = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16),
                                    uint8_t(value >> 24)};
    host.write(offset, bytes);
}

uint32_t in(PciHost& host, uint64_t offset, size_t width) {
    std::array<uint8_t, 4> bytes{};
    host.read(offset, std::span(bytes.data(), width));
    return uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 |
           uint32_t(bytes[3]) << 24;
}

// CONFIG_ADDRESS for bus 0, `device`, function 0, `reg`.
uint32_t address(unsigned device, unsigned reg) {
    return 0x80000000u | device << 11 | reg;
}

TEST(PciHost, ConfigAddressReadsBackAndIgnoresByteWrites) {
    PciHost host;
    std::array<uint8_t, 1> one = {0x01};
    host.write(3, one);  // the type 2 probe's outb(0x01, 0xcfb)
    out32(host, 0, 0x80000000);
    EXPECT_EQ(in(host, 0, 4), 0x80000000u);
}

TEST(PciHost, DeviceZeroIsAHostBridgeAndTheRestIsEmpty) {
    PciHost host;
    out32(host, 0, address(0, 0x00));
    EXPECT_EQ(in(host, 4, 4), 0x00081b36u);  // device << 16 | vendor
    out32(host, 0, address(0, 0x08));
    EXPECT_EQ(in(host, 6, 2), 0x0600u);  // class code at 0x0a: bridge, host
    out32(host, 0, address(1, 0x00));
    EXPECT_EQ(in(host, 4, 2), 0xffffu);  // no device 1: all ones
    out32(host, 0, 0x00000000);          // enable bit clear
    EXPECT_EQ(in(host, 4, 4), 0xffffffffu);
}

TEST(PciHost, BarSizingFindsNoResources) {
    PciHost host;
    out32(host, 0, address(0, 0x10));
    out32(host, 4, 0xffffffff);
    EXPECT_EQ(in(host, 4, 4), 0u);
}

}  // namespace
}  // namespace twinbox
