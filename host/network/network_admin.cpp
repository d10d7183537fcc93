// `twinbox network rm` and `inspect` (see network.h): both look at the
// members, so stale leases of dead owners are released first.
#include <fmt/format.h>
#include <unistd.h>

#include "host/network/endpoint.h"
#include "host/network/links.h"
#include "host/network/network.h"
#include "host/network/nft_rules.h"
#include "host/network/nftables.h"

namespace twinbox::network {

Result<void> remove_network(std::string_view name) {
    release_stale_endpoints();
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    auto network = TRY(load_network(paths, name));
    auto table = TRY(load_leases(paths.leases(name), network.subnet));
    if (!table.leases().empty()) {
        std::string members;
        for (const auto& lease : table.leases())
            members += fmt::format("{}{} {}", members.empty() ? "" : ", ", lease.kind, lease.name);
        return Error::message(fmt::format("network {} still has {} member(s): {}", name,
                                          table.leases().size(), members))
            .with_hint("remove those containers and stop those VMs first");
    }
    auto socket = TRY(RouteSocket::open());
    if (socket.link_kind(network.bridge) == "bridge")
        TRY(socket.delete_link(network.bridge));
    if (auto nft = Nftables::open())
        TRY(nft->delete_rules(nft::network_comment(name), true));
    ::unlink(paths.leases(name).c_str());
    if (::unlink(paths.config(name).c_str()) < 0)
        return Error::from_errno("unlink", paths.config(name));
    return ok();
}

Result<nlohmann::json> inspect_network(std::string_view name) {
    release_stale_endpoints();
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    auto network = TRY(load_network(paths, name));
    auto table = TRY(load_leases(paths.leases(name), network.subnet));
    nlohmann::json members = nlohmann::json::array();
    for (const auto& lease : table.leases()) {
        nlohmann::json ports = nlohmann::json::array();
        for (const auto& port : lease.ports) ports.push_back(port.to_string());
        members.push_back({{"Kind", lease.kind},
                           {"Name", lease.name},
                           {"Id", lease.owner},
                           {"IPv4Address",
                            fmt::format("{}/{}", lease.address.to_string(), network.subnet.prefix)},
                           {"HostInterface", lease.host_interface},
                           {"Pid", lease.pid},
                           {"Ports", ports}});
    }
    auto socket = TRY(RouteSocket::open());
    return nlohmann::json{{"Name", network.name},
                          {"Driver", "bridge"},
                          {"Subnet", network.subnet.to_string()},
                          {"Gateway", network.subnet.gateway().to_string()},
                          {"Bridge", network.bridge},
                          {"BridgePresent", socket.link_index(network.bridge) != 0},
                          {"Created", network.created},
                          {"Members", members}};
}

}  // namespace twinbox::network
