// `twinbox vm run --net bridge` (no name) means the default twinbox network.
#include <gtest/gtest.h>

#include "host/network/network.h"
#include "vmm/machine/device_options.h"

namespace twinbox {
namespace {

TEST(VmNetOption, PlainBridgeIsTheDefaultNetwork) {
    auto net = parse_net_option("bridge");
    ASSERT_TRUE(net.has_value()) << net.error().to_string();
    EXPECT_EQ(net->bridge, network::kDefaultNetwork);
    auto with_mac = parse_net_option("bridge,mac=52:54:00:12:34:56");
    ASSERT_TRUE(with_mac.has_value());
    EXPECT_EQ(with_mac->bridge, "twinbox0");
    EXPECT_FALSE(parse_net_option("bridges").has_value());
}

}  // namespace
}  // namespace twinbox
