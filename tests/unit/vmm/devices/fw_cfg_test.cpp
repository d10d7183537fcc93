#include "vmm/devices/fw_cfg.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

constexpr uint64_t kSelector = 0;  // port 0x510
constexpr uint64_t kData = 1;      // port 0x511
constexpr uint64_t kMiB = 1024 * 1024;

void select(FwCfg& device, uint16_t key) {
    const uint8_t bytes[2] = {static_cast<uint8_t>(key), static_cast<uint8_t>(key >> 8)};
    device.write(kSelector, bytes);
}

std::vector<uint8_t> read_bytes(FwCfg& device, size_t count) {
    std::vector<uint8_t> bytes;
    for (size_t index = 0; index < count; ++index) bytes.push_back(test::read_byte(device, kData));
    return bytes;
}

uint64_t read_little_endian(FwCfg& device, size_t size) {
    uint64_t value = 0;
    auto bytes = read_bytes(device, size);
    for (size_t index = 0; index < size; ++index) value |= uint64_t{bytes[index]} << (8 * index);
    return value;
}

uint64_t read_big_endian(FwCfg& device, size_t size) {
    uint64_t value = 0;
    for (uint8_t byte : read_bytes(device, size)) value = (value << 8) | byte;
    return value;
}

TEST(FwCfg, SignatureAndId) {
    FwCfg device(256 * kMiB, 2);
    select(device, 0x0000);
    auto signature = read_bytes(device, 4);
    EXPECT_EQ(std::string(signature.begin(), signature.end()), "QEMU");
    select(device, 0x0001);
    EXPECT_EQ(read_little_endian(device, 4), 1u);  // traditional interface, no DMA
}

TEST(FwCfg, RamSizeAndCpus) {
    FwCfg device(5 * 1024 * kMiB, 3);
    select(device, 0x0003);
    EXPECT_EQ(read_little_endian(device, 8), 5 * 1024 * kMiB);
    select(device, 0x0005);
    EXPECT_EQ(read_little_endian(device, 2), 3u);
    select(device, 0x000f);
    EXPECT_EQ(read_little_endian(device, 2), 3u);
}

TEST(FwCfg, SelectingRewindsTheOffset) {
    FwCfg device(64 * kMiB, 1);
    select(device, 0x0000);
    EXPECT_EQ(read_bytes(device, 2), (std::vector<uint8_t>{'Q', 'E'}));
    select(device, 0x0000);
    EXPECT_EQ(test::read_byte(device, kData), 'Q');
}

TEST(FwCfg, ReadsPastTheEndAndUnknownKeysReturnZero) {
    FwCfg device(64 * kMiB, 1);
    select(device, 0x0000);
    read_bytes(device, 4);
    EXPECT_EQ(read_bytes(device, 3), (std::vector<uint8_t>{0, 0, 0}));
    select(device, 0x8003);  // an arch-specific key twinbox does not provide
    EXPECT_EQ(read_bytes(device, 2), (std::vector<uint8_t>{0, 0}));
}

TEST(FwCfg, ByteWritesAndDataWritesChangeNothing) {
    FwCfg device(64 * kMiB, 1);
    select(device, 0x0005);
    test::write_byte(device, kSelector, 0x00);
    test::write_byte(device, kData, 0x55);
    EXPECT_EQ(read_little_endian(device, 2), 1u);
}

TEST(FwCfg, EmptyFileDirectory) {
    FwCfg device(64 * kMiB, 1);
    select(device, 0x0019);
    EXPECT_EQ(read_big_endian(device, 4), 0u);
    EXPECT_EQ(test::read_byte(device, kData), 0);
}

TEST(FwCfg, FileDirectoryListsFilesBigEndian) {
    FwCfg device(64 * kMiB, 1);
    ASSERT_TRUE(device.add_file("etc/first", {1, 2, 3}).has_value());
    ASSERT_TRUE(device.add_file("etc/second", std::vector<uint8_t>(300, 7)).has_value());

    select(device, 0x0019);
    EXPECT_EQ(read_big_endian(device, 4), 2u);
    struct Expected {
        uint32_t size;
        uint16_t key;
        std::string name;
    };
    for (const auto& expected :
         {Expected{3, 0x20, "etc/first"}, Expected{300, 0x21, "etc/second"}}) {
        EXPECT_EQ(read_big_endian(device, 4), expected.size);
        EXPECT_EQ(read_big_endian(device, 2), expected.key);
        EXPECT_EQ(read_big_endian(device, 2), 0u);  // reserved
        auto name = read_bytes(device, 56);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(name.data())), expected.name);
        EXPECT_EQ(name[55], 0);
    }
    EXPECT_EQ(test::read_byte(device, kData), 0);  // end of the directory

    select(device, 0x0020);
    EXPECT_EQ(read_bytes(device, 4), (std::vector<uint8_t>{1, 2, 3, 0}));
}

TEST(FwCfg, RejectsBadFileNames) {
    FwCfg device(64 * kMiB, 1);
    EXPECT_FALSE(device.add_file("", {}).has_value());
    EXPECT_FALSE(device.add_file(std::string(56, 'a'), {}).has_value());
    EXPECT_TRUE(device.add_file(std::string(55, 'a'), {}).has_value());
    EXPECT_FALSE(device.add_file(std::string(55, 'a'), {}).has_value());
}

}  // namespace
}  // namespace twinbox
