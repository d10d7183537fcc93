// twinbox networks: named Linux bridges with a subnet, shared by containers
// (veth) and VMs (tap), the way Docker's bridge driver and libvirt's
// "default" network work.
//
//   lib/networks/NAME.json        the network: subnet, bridge (kept across reboots)
//   run/networks/NAME.leases.json its address leases (ipam.h)
//   lib/networks/.lock            flock(2) held by every change
//
// under /var/lib/twinbox and /run/twinbox, or TWINBOX_ROOT (common/twinbox_root.h).
// The default network "twinbox0" (bridge twinbox0, 10.88.0.0/16 unless that
// overlaps a route) is made the first time something joins it and kept.
// A network is "materialized" - its bridge up with the gateway address, its
// nftables rules in place - when it is created and again before each use
// (a reboot removes bridges but not the network's file).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/files.h"
#include "host/network/ipam.h"
#include "host/network/ipv4.h"

namespace twinbox::network {

constexpr const char* kDefaultNetwork = "twinbox0";

struct NetworkConfig {
    std::string name;
    Cidr subnet;
    std::string bridge;
    std::string created;  // RFC 3339
};

struct NetworkPaths {
    std::string config_dir;  // .../lib/networks
    std::string lease_dir;   // .../run/networks
    std::string config(std::string_view name) const;
    std::string leases(std::string_view name) const;
    std::string lock() const { return config_dir + "/.lock"; }
};
NetworkPaths network_paths();
// Takes the networks lock (making the directories first).
Result<FileLock> lock_networks(const NetworkPaths& paths);

// Names: 1-12 of [a-zA-Z0-9_.-], starting with a letter or digit; not
// bridge, host or none (the --network words).
Result<void> validate_network_name(std::string_view name);

// The following take the lock themselves.
// `subnet` "" picks a free /24 in 10.89.0.0/16.
Result<NetworkConfig> create_network(std::string_view name, std::string_view subnet);
Result<void> remove_network(std::string_view name);
Result<std::vector<NetworkConfig>> list_networks();
// Name, subnet, gateway, bridge and members with their addresses and ports.
Result<nlohmann::json> inspect_network(std::string_view name);

// The following expect the lock to be held.
Result<NetworkConfig> load_network(const NetworkPaths& paths, std::string_view name);
// `name` or, for the default network, its config made on first use.
Result<NetworkConfig> load_or_make_default(const NetworkPaths& paths, std::string_view name);
// Bridge, address, sysctls and nftables rules present (idempotent).
Result<void> materialize(const NetworkConfig& network);

}  // namespace twinbox::network
