// --network and -p in `twinbox run` -> the OCI spec (container/engine/run_spec.cpp,
// network_attach.h): a bridge network keeps the new network namespace and
// records the network and ports for the engine; bad input fails early.
#include <gtest/gtest.h>

#include <algorithm>

#include "container/engine/network_attach.h"
#include "container/engine/run_spec.h"

namespace twinbox::container {
namespace {

Result<oci::Spec> build(const RunFlags& flags) {
    return spec_from_run_flags(flags, "0123456789abcdef", "/tmp");
}

bool has_network_namespace(const oci::Spec& spec) {
    return std::any_of(
        spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
        [](const oci::Namespace& ns) { return ns.type == oci::NamespaceType::Network; });
}

TEST(RunNetwork, NoneIsTheDefaultAndAddsNothing) {
    auto spec = build({});
    ASSERT_TRUE(spec);
    EXPECT_TRUE(has_network_namespace(*spec));
    EXPECT_FALSE(wants_bridge_network(*spec));
}

TEST(RunNetwork, BridgeMeansTheDefaultNetwork) {
    RunFlags flags;
    flags.network = "bridge";
    flags.publish = {"8080:80", "127.0.0.1:5353:53/udp"};
    auto spec = build(flags);
    ASSERT_TRUE(spec) << spec.error().to_string();
    EXPECT_TRUE(has_network_namespace(*spec));
    EXPECT_TRUE(wants_bridge_network(*spec));
    EXPECT_EQ(spec->annotations.at(kNetworkAnnotation), "twinbox0");
    EXPECT_EQ(spec->annotations.at(kPublishAnnotation),
              "0.0.0.0:8080:80/tcp,127.0.0.1:5353:53/udp");
}

TEST(RunNetwork, NamedNetwork) {
    RunFlags flags;
    flags.network = "web";
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->annotations.at(kNetworkAnnotation), "web");
    EXPECT_FALSE(spec->annotations.contains(kPublishAnnotation));
}

TEST(RunNetwork, BadInputFailsBeforeAnythingIsMade) {
    RunFlags publish_without_network;
    publish_without_network.publish = {"8080:80"};
    auto spec = build(publish_without_network);
    ASSERT_FALSE(spec);
    EXPECT_NE(spec.error().to_string().find("-p needs a bridge network"), std::string::npos);

    RunFlags bad_port;
    bad_port.network = "bridge";
    bad_port.publish = {"8080:80/sctp"};
    EXPECT_FALSE(build(bad_port));

    RunFlags twice;
    twice.network = "bridge";
    twice.publish = {"8080:80", "8080:81"};
    EXPECT_FALSE(build(twice));

    RunFlags bad_name;
    bad_name.network = "no/slash";
    EXPECT_FALSE(build(bad_name));
}

TEST(RunNetwork, MountsForHostsAndResolvConf) {
    CreateOptions options;
    options.extras.storage_dir = "/var/lib/twinbox/containers/abc";
    add_network_mounts(options);
    EXPECT_TRUE(options.spec.mounts.empty()) << "no bridge network, no mounts";
    options.spec.annotations[kNetworkAnnotation] = "twinbox0";
    add_network_mounts(options);
    ASSERT_EQ(options.spec.mounts.size(), 2u);
    EXPECT_EQ(options.spec.mounts[0].destination, "/etc/hosts");
    EXPECT_EQ(options.spec.mounts[0].source, "/var/lib/twinbox/containers/abc/hosts");
    EXPECT_EQ(options.spec.mounts[1].destination, "/etc/resolv.conf");
}

}  // namespace
}  // namespace twinbox::container
