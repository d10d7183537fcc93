// The nftables rules of twinbox's networks, as text in nft(8) syntax, all in
// one table of twinbox's own, `table ip twinbox`; no other table is touched.
//
//   table ip twinbox {
//     chain prerouting   nat, hook prerouting, dstnat: published ports (DNAT), from
//                        other hosts and from containers (hairpin)
//     chain output       nat, hook output, dstnat: published ports from the host
//                        itself (127.0.0.1:PORT, or any local address)
//     chain postrouting  nat, hook postrouting, srcnat: masquerade what leaves a
//                        subnet, hairpin and localhost connections to a published port
//   }
//
// Every rule carries a comment that names what it belongs to ("twinbox net
// NAME" or "twinbox endpoint OWNER"); deleting a network or an endpoint
// deletes the rules with its comment, by handle (nft --json --handle list).
// These functions only make text; nftables.h runs it. Model: Docker's
// libnetwork drivers/bridge/setup_ip_tables.go (the same rules as iptables),
// podman's netavark src/firewall/nft.rs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/ipv4.h"
#include "host/network/port_spec.h"

namespace twinbox::network::nft {

constexpr const char* kTable = "twinbox";

// The table and its three chains; `add` is idempotent.
std::string base_ruleset();
std::string network_comment(std::string_view network);
std::string endpoint_comment(std::string_view owner);
// Masquerade for a network's subnet behind bridge `bridge`.
std::string network_rules(std::string_view network, const Cidr& subnet, std::string_view bridge);
// DNAT for each published port of one endpoint at `address`.
std::string port_rules(std::string_view owner, Ipv4 address, const std::vector<PortMapping>& ports);
// `delete rule` commands for every rule whose comment is `comment`, from the
// JSON of `list table ip twinbox` with handles.
Result<std::string> delete_commands(std::string_view listing_json, std::string_view comment);
// True when the listing has no rule at all (the table can go).
Result<bool> table_is_empty(std::string_view listing_json);

}  // namespace twinbox::network::nft
