// Rule text for table ip twinbox (see nft_rules.h).
#include "host/network/nft_rules.h"

#include <fmt/format.h>

#include "common/json_reader.h"

namespace twinbox::network::nft {

std::string base_ruleset() {
    return fmt::format(
        "add table ip {0}\n"
        "add chain ip {0} prerouting {{ type nat hook prerouting priority dstnat; policy accept; }}\n"
        "add chain ip {0} output {{ type nat hook output priority -100; policy accept; }}\n"
        "add chain ip {0} postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}\n",
        kTable);
}

std::string network_comment(std::string_view network) {
    return fmt::format("twinbox net {}", network);
}

std::string endpoint_comment(std::string_view owner) {
    return fmt::format("twinbox endpoint {}", owner);
}

std::string network_rules(std::string_view network, const Cidr& subnet, std::string_view bridge) {
    std::string comment = network_comment(network);
    std::string cidr = subnet.to_string();
    return fmt::format(
        // Leaving the subnet (to the host's uplink): the source becomes the host's address.
        "add rule ip {0} postrouting ip saddr {1} ip daddr != {1} masquerade comment \"{3}\"\n"
        // Hairpin: a member reached a published port of another member through the host;
        // masquerade so the answer comes back through the host and is un-DNATed.
        "add rule ip {0} postrouting oifname \"{2}\" ip saddr {1} ct status dnat masquerade comment \"{3}\"\n"
        // The host itself reached a published port on 127.0.0.1 (needs route_localnet).
        "add rule ip {0} postrouting oifname \"{2}\" ip saddr 127.0.0.0/8 masquerade comment \"{3}\"\n",
        kTable, cidr, bridge, comment);
}

std::string port_rules(std::string_view owner, Ipv4 address,
                       const std::vector<PortMapping>& ports) {
    std::string comment = endpoint_comment(owner);
    std::string text;
    for (const auto& port : ports) {
        std::string match = port.host_ip.value == 0
                                ? std::string("fib daddr type local")
                                : fmt::format("ip daddr {}", port.host_ip.to_string());
        for (const char* chain : {"prerouting", "output"})
            text += fmt::format("add rule ip {} {} {} {} dport {} dnat to {}:{} comment \"{}\"\n",
                                kTable, chain, match, protocol_name(port.protocol), port.host_port,
                                address.to_string(), port.container_port, comment);
    }
    return text;
}

namespace {

// nft -j's listing (libnftables-json(5)): {"nftables": [OBJECT...]}, where
// each object has one key naming its kind ("metainfo", "table", "rule"...).
// Calls `visit` with each rule; errors name the listing and the JSON path.
template <typename Visit>
Result<void> for_each_rule(std::string_view listing_json, Visit visit) {
    auto listing = TRY(json_reader::parse(listing_json).with_context("nftables listing"));
    json_reader::Node root(listing, "", "top level");
    TRY(json_reader::expect_object(root).with_context("nftables listing"));
    auto items = root.member("nftables");
    if (!items)
        return Error::message("nftables listing: nftables: required");
    TRY(json_reader::expect_array(*items).with_context("nftables listing"));
    for (size_t index = 0; index < items->json().size(); ++index)
        if (auto rule = items->element(index).member("rule"))
            TRY(visit(*rule).with_context("nftables listing"));
    return ok();
}

}  // namespace

Result<std::string> delete_commands(std::string_view listing_json, std::string_view comment) {
    std::string commands;
    TRY(for_each_rule(listing_json, [&](const json_reader::Node& rule) -> Result<void> {
        std::string rule_comment, chain;
        uint64_t handle = 0;
        TRY(json_reader::read_member(rule, "comment", rule_comment));
        if (rule_comment != comment)
            return ok();
        TRY(json_reader::read_required(rule, "chain", chain));
        TRY(json_reader::read_required(rule, "handle", handle));
        commands += fmt::format("delete rule ip {} {} handle {}\n", kTable, chain, handle);
        return ok();
    }));
    return commands;
}

Result<bool> table_is_empty(std::string_view listing_json) {
    bool empty = true;
    TRY(for_each_rule(listing_json, [&](const json_reader::Node&) -> Result<void> {
        empty = false;
        return ok();
    }));
    return empty;
}

}  // namespace twinbox::network::nft
