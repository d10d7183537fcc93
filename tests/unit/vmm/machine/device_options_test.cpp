// --disk and --net parsing (vmm/machine/device_options.h).
#include "vmm/machine/device_options.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

TEST(DeviceOptions, DiskFileAndReadOnly) {
    auto plain = parse_disk_option("disk.img");
    ASSERT_TRUE(plain.has_value());
    EXPECT_EQ(plain->path, "disk.img");
    EXPECT_FALSE(plain->read_only);
    auto ro = parse_disk_option("/var/disk.img,ro");
    ASSERT_TRUE(ro.has_value());
    EXPECT_TRUE(ro->read_only);
    EXPECT_FALSE(parse_disk_option("").has_value());
    EXPECT_FALSE(parse_disk_option(",ro").has_value());
    auto bad = parse_disk_option("disk.img,cache=none");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().to_string().find("cache=none"), std::string::npos);
}

TEST(DeviceOptions, NetBackends) {
    auto tap = parse_net_option("tap");
    ASSERT_TRUE(tap.has_value());
    EXPECT_TRUE(tap->tap_name.empty());
    auto named = parse_net_option("tap=tbx0,mac=52:54:00:12:34:56");
    ASSERT_TRUE(named.has_value());
    EXPECT_EQ(named->tap_name, "tbx0");
    ASSERT_TRUE(named->mac.has_value());
    EXPECT_EQ((*named->mac)[5], 0x56);
    auto bridge = parse_net_option("bridge=br0");
    ASSERT_TRUE(bridge.has_value());
    EXPECT_EQ(bridge->bridge, "br0");
}

TEST(DeviceOptions, BadNetOptionsNameTheProblem) {
    for (const char* text : {"user", "tap=", "tap=a/b", "tap=averyveryverylongname",
                             "bridge=", "tap,mac=zz:54:00:12:34:56", "tap,mac=01:00:00:00:00:00",
                             "tap,mac=52:54:00:12:34", "tap,speed=10"}) {
        auto parsed = parse_net_option(text);
        EXPECT_FALSE(parsed.has_value()) << text;
    }
}

}  // namespace
}  // namespace twinbox
