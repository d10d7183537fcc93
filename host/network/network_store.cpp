// Creating, listing, removing and materializing networks (see network.h).
#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "common/clock.h"
#include "common/json_reader.h"
#include "common/twinbox_root.h"
#include "host/network/links.h"
#include "host/network/network.h"
#include "host/network/nft_rules.h"
#include "host/network/nftables.h"

namespace twinbox::network {

namespace {

std::string bridge_name(std::string_view name) {
    return name == kDefaultNetwork ? std::string(name) : "tb-" + std::string(name);
}

Result<void> save_network(const NetworkPaths& paths, const NetworkConfig& network) {
    nlohmann::json document = {{"name", network.name},
                               {"subnet", network.subnet.to_string()},
                               {"bridge", network.bridge},
                               {"created", network.created}};
    return write_text_atomically(paths.config(network.name), document.dump(2) + "\n");
}

std::vector<std::string> network_names(const NetworkPaths& paths) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(paths.config_dir, error)) {
        std::string file = entry.path().filename().string();
        if (file.ends_with(".json") && file[0] != '.')
            names.push_back(file.substr(0, file.size() - 5));
    }
    std::sort(names.begin(), names.end());
    return names;
}

// The subnet must not overlap another network or a route of the host.
Result<void> check_free(const NetworkPaths& paths, const Cidr& subnet) {
    for (const auto& name : network_names(paths)) {
        auto other = load_network(paths, name);
        if (other && overlaps(other->subnet, subnet))
            return Error::message(fmt::format("subnet {} overlaps network {} ({})",
                                              subnet.to_string(), name, other->subnet.to_string()))
                .with_hint("choose another --subnet");
    }
    auto socket = TRY(RouteSocket::open());
    for (const auto& route : TRY(socket.ipv4_routes()))
        if (overlaps(route, subnet))
            return Error::message(fmt::format("subnet {} overlaps the host route to {}",
                                              subnet.to_string(), route.to_string()))
                .with_hint("choose another --subnet");
    return ok();
}

Result<Cidr> pick_subnet(const NetworkPaths& paths, uint32_t base, int prefix, int count) {
    for (int i = 0; i < count; ++i) {
        Cidr candidate{{base + (static_cast<uint32_t>(i) << (32 - prefix))}, prefix};
        if (check_free(paths, candidate))
            return candidate;
    }
    return Error::message("no free subnet found for the network")
        .with_hint("give one with --subnet CIDR");
}

// Undoes a half-made network unless disarmed.
struct NetworkUndo {
    const NetworkPaths& paths;
    NetworkConfig network;
    bool armed = true;
    ~NetworkUndo() {
        if (!armed)
            return;
        if (auto socket = RouteSocket::open())
            (void)socket->delete_link(network.bridge);
        if (auto nft = Nftables::open())
            (void)nft->delete_rules(nft::network_comment(network.name), true);
        ::unlink(paths.config(network.name).c_str());
    }
};

}  // namespace

std::string NetworkPaths::config(std::string_view name) const {
    return fmt::format("{}/{}.json", config_dir, name);
}

std::string NetworkPaths::leases(std::string_view name) const {
    return fmt::format("{}/{}.leases.json", lease_dir, name);
}

NetworkPaths network_paths() {
    return {twinbox_lib_root() + "/networks", twinbox_run_root() + "/networks"};
}

Result<FileLock> lock_networks(const NetworkPaths& paths) {
    TRY(make_directories(paths.config_dir));
    TRY(make_directories(paths.lease_dir));
    return FileLock::acquire(paths.lock());
}

Result<void> validate_network_name(std::string_view name) {
    bool good =
        !name.empty() && name.size() <= 12 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
            good = false;
    if (!good)
        return Error::message(fmt::format(
            "'{}' is not a network name: 1-12 letters, digits, '_', '.' or '-', starting with a letter or digit",
            name));
    if (name == "bridge" || name == "host" || name == "none" || name == "default")
        return Error::message(fmt::format("'{}' is a --network mode, not a network name", name));
    return ok();
}

namespace {

// A network's config.json as save_network() writes it: name, subnet and
// bridge are required, created was added later.
Result<NetworkConfig> read_network(const std::string& text) {
    auto document = TRY(json_reader::parse(text));
    json_reader::Node root(document, "", "top level");
    NetworkConfig network;
    std::string subnet;
    TRY(json_reader::expect_object(root));
    TRY(json_reader::read_required(root, "name", network.name));
    TRY(json_reader::read_required(root, "subnet", subnet));
    network.subnet = TRY(parse_cidr(subnet).with_context("subnet"));
    TRY(json_reader::read_required(root, "bridge", network.bridge));
    TRY(json_reader::read_member(root, "created", network.created));
    return network;
}

}  // namespace

Result<NetworkConfig> load_network(const NetworkPaths& paths, std::string_view name) {
    auto text = read_text(paths.config(name));
    if (!text) {
        if (text.error().code() == ENOENT)
            return Error::message(fmt::format("no such network: {}", name))
                .with_hint("see 'twinbox network ls'");
        return std::move(text).error();
    }
    auto network = read_network(*text);
    if (!network)
        return json_reader::damaged(paths.config(name), network.error());
    return network;
}

Result<NetworkConfig> load_or_make_default(const NetworkPaths& paths, std::string_view name) {
    if (name != kDefaultNetwork || ::access(paths.config(name).c_str(), F_OK) == 0)
        return load_network(paths, name);
    NetworkConfig network{kDefaultNetwork, {}, kDefaultNetwork, rfc3339_utc_seconds()};
    // 10.88.0.0/16, else the next free /16 up to 10.99.0.0/16.
    network.subnet = TRY(pick_subnet(paths, (10u << 24) | (88u << 16), 16, 12));
    TRY(save_network(paths, network));
    return network;
}

Result<void> materialize(const NetworkConfig& network) {
    auto socket = TRY(RouteSocket::open());
    auto nft = TRY(Nftables::open());
    if (socket.link_index(network.bridge) == 0) {
        TRY(socket.add_bridge(network.bridge));
        TRY(socket.add_address(network.bridge, network.subnet.gateway(), network.subnet.prefix));
        TRY(socket.set_up(network.bridge));
    } else if (socket.link_kind(network.bridge) != "bridge") {
        return Error::message(fmt::format("{} exists and is not a bridge; network {} needs it",
                                          network.bridge, network.name))
            .with_hint("remove that device or the network");
    }
    // Routing between the bridge and the uplink, and DNAT of 127.0.0.1 to the bridge.
    TRY(write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"));
    TRY(write_sysctl(fmt::format("/proc/sys/net/ipv4/conf/{}/route_localnet", network.bridge),
                     "1"));
    auto listing = TRY(nft.list_table_json());
    if (listing.find(nft::network_comment(network.name) + "\"") == std::string::npos)
        TRY(nft.run(nft::network_rules(network.name, network.subnet, network.bridge),
                    fmt::format("adding the rules of network {}", network.name)));
    return ok();
}

Result<NetworkConfig> create_network(std::string_view name, std::string_view subnet_text) {
    TRY(validate_network_name(name));
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    if (::access(paths.config(name).c_str(), F_OK) == 0)
        return Error::message(fmt::format("network name {} is already in use", name))
            .with_hint("choose another name or 'twinbox network rm' it first");
    NetworkConfig network{std::string(name), {}, bridge_name(name), rfc3339_utc_seconds()};
    auto socket = TRY(RouteSocket::open());
    if (socket.link_index(network.bridge) != 0)
        return Error::message(
                   fmt::format("network name {} is in use: device {} exists", name, network.bridge))
            .with_hint("choose another name");
    if (subnet_text.empty()) {
        network.subnet = TRY(pick_subnet(paths, (10u << 24) | (89u << 16), 24, 256));
    } else {
        network.subnet = TRY(parse_cidr(subnet_text).with_context("--subnet"));
        TRY(check_usable_subnet(network.subnet));
        TRY(check_free(paths, network.subnet));
    }
    TRY(save_network(paths, network));
    NetworkUndo undo{paths, network};
    TRY(materialize(network));
    undo.armed = false;
    return network;
}

Result<std::vector<NetworkConfig>> list_networks() {
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    std::vector<NetworkConfig> networks;
    for (const auto& name : network_names(paths))
        networks.push_back(TRY(load_network(paths, name)));
    return networks;
}

}  // namespace twinbox::network
