// Rule text for table ip twinbox (see nft_rules.h).
#include "host/network/nft_rules.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

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

Result<std::string> delete_commands(std::string_view listing_json, std::string_view comment) {
    std::string commands;
    try {
        auto listing = nlohmann::json::parse(listing_json);
        for (const auto& item : listing.at("nftables")) {
            if (!item.contains("rule"))
                continue;
            const auto& rule = item["rule"];
            if (rule.value("comment", "") != comment)
                continue;
            commands +=
                fmt::format("delete rule ip {} {} handle {}\n", kTable,
                            rule.at("chain").get<std::string>(), rule.at("handle").get<uint64_t>());
        }
    } catch (const nlohmann::json::exception& error) {
        return Error::message(fmt::format("cannot read the nftables listing: {}", error.what()));
    }
    return commands;
}

Result<bool> table_is_empty(std::string_view listing_json) {
    try {
        auto listing = nlohmann::json::parse(listing_json);
        for (const auto& item : listing.at("nftables"))
            if (item.contains("rule"))
                return false;
    } catch (const nlohmann::json::exception& error) {
        return Error::message(fmt::format("cannot read the nftables listing: {}", error.what()));
    }
    return true;
}

}  // namespace twinbox::network::nft
