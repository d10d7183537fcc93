// apply_security_groups(): the compiled firewall (sg_compile.h) loaded into
// a VPC's router namespace through libnftables, in one transaction.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>

#include "cloud/instance_store.h"
#include "cloud/network_acls.h"
#include "cloud/security_groups.h"
#include "cloud/sg_compile.h"
#include "cloud/vpc_names.h"
#include "host/network/links.h"
#include "host/network/netlink_util.h"
#include "host/network/nftables.h"

namespace twinbox::cloud {
namespace {

// br_netfilter hands bridged IPv4 frames to the ip family's hooks, so that
// traffic between two instances of one subnet meets conntrack and the
// groups' chains (sg_compile.h). Per network namespace since Linux 5.3.
constexpr const char* kBridgeCallIptables = "/proc/sys/net/bridge/bridge-nf-call-iptables";

Result<void> load(const std::string& netns, const std::string& script, std::string_view vpc_id) {
    return network::in_network_namespace_file(netns, [&]() -> Result<void> {
        auto sysctl = network::write_sysctl(kBridgeCallIptables, "1");
        if (!sysctl)
            return Error::message(fmt::format("cannot enable br_netfilter in {}: {}", netns,
                                              sysctl.error().to_string()))
                .with_hint("security groups need CONFIG_BRIDGE_NETFILTER (modprobe br_netfilter)");
        auto nftables = TRY(network::Nftables::open_context());
        TRY(nftables.run(script, fmt::format("the security groups of {}", vpc_id)));
        return ok();
    });
}

}  // namespace

Result<void> apply_security_groups(const StateStore& store, std::string_view vpc_id) {
    std::string netns = "/run/netns/" + vpc_netns_name(vpc_id);
    if (::access(netns.c_str(), F_OK) != 0)
        return ok();  // no router (yet): the rules are applied when it is made
    auto groups = TRY(read_security_groups(store));
    auto acls = TRY(read_network_acls(store));
    std::string default_group;
    for (const auto& group : groups)
        if (group.vpc_id == vpc_id && group.is_default())
            default_group = group.group_id;
    std::vector<SgMember> members;
    for (const auto& instance : TRY(read_instances(store))) {
        if (instance.vpc_id != vpc_id || instance.state == InstanceState::terminated ||
            instance.private_ip.empty())
            continue;
        SgMember member{instance.instance_id, instance_port_name(instance.instance_id),
                        instance.private_ip, instance.subnet_id, instance.security_group_ids};
        if (member.group_ids.empty() && !default_group.empty())
            member.group_ids.push_back(default_group);
        members.push_back(std::move(member));
    }
    return load(netns, compile_firewall(vpc_id, groups, members, acls), vpc_id);
}

}  // namespace twinbox::cloud
