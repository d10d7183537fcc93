// Reserving, connecting and releasing endpoints (see endpoint.h).
#include "host/network/endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "common/log.h"
#include "common/unique_fd.h"
#include "host/network/links.h"
#include "host/network/nft_rules.h"
#include "host/network/nftables.h"

namespace twinbox::network {

namespace {

// Every lease of every network, for port checks.
std::vector<Lease> all_leases(const NetworkPaths& paths) {
    std::vector<Lease> leases;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(paths.config_dir, error)) {
        std::string file = entry.path().filename().string();
        if (!file.ends_with(".json") || file[0] == '.')
            continue;
        auto network = load_network(paths, file.substr(0, file.size() - 5));
        if (!network)
            continue;
        if (auto table = load_leases(paths.leases(network->name), network->subnet))
            leases.insert(leases.end(), table->leases().begin(), table->leases().end());
    }
    return leases;
}

Result<void> check_bindable(const PortMapping& port) {
    bool udp = port.protocol == Protocol::udp;
    UniqueFd fd(::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_errno("socket", "checking a published port");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port.host_port);
    address.sin_addr.s_addr = htonl(port.host_ip.value);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0)
        return ok();
    if (errno == EADDRINUSE)
        return Error::message(fmt::format("-p {}: host port {}/{} is already in use",
                                          port.to_spec(), port.host_port,
                                          protocol_name(port.protocol)))
            .with_hint("choose another host port or stop the program that listens there");
    if (errno == EADDRNOTAVAIL)
        return Error::message(fmt::format("-p {}: {} is not an address of this host",
                                          port.to_spec(), port.host_ip.to_string()));
    return Error::from_errno("bind", fmt::format("checking -p {}", port.to_spec()));
}

// Under the lock: the owner's lease out of its table, its rules and veth gone.
Result<void> release_locked(const NetworkPaths& paths, const NetworkConfig& network,
                            LeaseTable& table, std::string_view owner) {
    auto lease = table.release(std::string(owner));
    if (!lease)
        return ok();
    if (!lease->ports.empty()) {
        auto nft = TRY(Nftables::open());
        TRY(nft.delete_rules(nft::endpoint_comment(owner), false));
    }
    if (lease->kind == "container" && !lease->host_interface.empty()) {
        auto socket = TRY(RouteSocket::open());
        TRY(socket.delete_link(lease->host_interface));
    }
    TRY(save_leases(paths.leases(network.name), table));
    log::info("released {} on network {} ({})", lease->address.to_string(), network.name, owner);
    return ok();
}

// Calls `visit(network, table)` for each network with its lease table.
template <typename Visit>
Result<void> for_each_table(const NetworkPaths& paths, Visit visit) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(paths.config_dir, error)) {
        std::string file = entry.path().filename().string();
        if (!file.ends_with(".json") || file[0] == '.')
            continue;
        auto network = load_network(paths, file.substr(0, file.size() - 5));
        if (!network)
            continue;
        auto table = load_leases(paths.leases(network->name), network->subnet);
        if (!table)
            continue;
        TRY(visit(*network, *table));
    }
    return ok();
}

}  // namespace

std::string resolve_network_name(std::string_view network) {
    return network == "bridge" || network.empty() ? std::string(kDefaultNetwork)
                                                  : std::string(network);
}

std::string veth_name(std::string_view owner) {
    return "tb" + std::string(owner.substr(0, 12));
}

Result<void> check_ports_free(const std::vector<PortMapping>& ports,
                              const std::vector<Lease>& others) {
    for (const auto& port : ports) {
        for (const auto& lease : others)
            for (const auto& taken : lease.ports)
                if (taken.conflicts_with(port))
                    return Error::message(
                               fmt::format("-p {}: host port {}/{} is already published by {} {}",
                                           port.to_spec(), port.host_port,
                                           protocol_name(port.protocol), lease.kind, lease.name))
                        .with_hint("choose another host port");
        TRY(check_bindable(port));
    }
    return ok();
}

Result<Endpoint> reserve_endpoint(const EndpointRequest& request) {
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    std::string name = resolve_network_name(request.network);
    if (name != kDefaultNetwork)
        TRY(validate_network_name(name).with_context("--network"));
    auto network = TRY(load_or_make_default(paths, name));
    TRY(materialize(network));
    TRY(check_ports_free(request.ports, all_leases(paths)));
    auto table = TRY(load_leases(paths.leases(name), network.subnet));
    Lease lease;
    lease.owner = request.owner;
    lease.kind = request.kind;
    lease.name = request.name;
    lease.pid = ::getpid();
    lease.start_time = process_start_time(lease.pid);
    lease.host_interface = request.kind == "container" ? veth_name(request.owner) : "";
    lease.ports = request.ports;
    TRY(table.allocate(lease));
    TRY(save_leases(paths.leases(name), table));
    return Endpoint{network, *table.find(request.owner)};
}

Result<void> publish_ports(const Lease& lease) {
    if (lease.ports.empty())
        return ok();
    auto nft = TRY(Nftables::open());
    TRY(nft.run(nft::port_rules(lease.owner, lease.address, lease.ports),
                fmt::format("publishing the ports of {}", lease.name)));
    return ok();
}

Result<void> connect_container(const Endpoint& endpoint, pid_t pid) {
    const Lease& lease = endpoint.lease;
    const NetworkConfig& network = endpoint.network;
    {
        auto socket = TRY(RouteSocket::open());
        TRY(socket.add_veth(lease.host_interface, "eth0", pid));
        TRY(socket.set_master(lease.host_interface, network.bridge));
        TRY(socket.set_up(lease.host_interface));
    }
    TRY(in_network_namespace(pid, [&]() -> Result<void> {
        auto inside = TRY(RouteSocket::open());
        TRY(inside.add_address("eth0", lease.address, network.subnet.prefix));
        TRY(inside.set_up("eth0"));
        TRY(inside.add_default_route(network.subnet.gateway()));
        return ok();
    }));
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    TRY(publish_ports(lease));
    auto table = TRY(load_leases(paths.leases(network.name), network.subnet));
    Lease* stored = table.find(lease.owner);
    if (!stored)
        return Error::message(fmt::format("the lease of {} disappeared", lease.owner));
    stored->pid = pid;
    stored->start_time = process_start_time(pid);
    return save_leases(paths.leases(network.name), table);
}

Result<void> follow_process(const std::string& owner, pid_t pid, const std::string& interface) {
    auto paths = network_paths();
    auto lock = TRY(lock_networks(paths));
    return for_each_table(paths,
                          [&](const NetworkConfig& network, LeaseTable& table) -> Result<void> {
                              if (Lease* lease = table.find(owner)) {
                                  lease->pid = pid;
                                  lease->start_time = process_start_time(pid);
                                  lease->host_interface = interface;
                                  return save_leases(paths.leases(network.name), table);
                              }
                              return ok();
                          });
}

Result<void> release_endpoint(std::string_view owner) {
    auto paths = network_paths();
    if (::access(paths.config_dir.c_str(), F_OK) != 0)
        return ok();
    auto lock = TRY(lock_networks(paths));
    return for_each_table(paths,
                          [&](const NetworkConfig& network, LeaseTable& table) -> Result<void> {
                              return release_locked(paths, network, table, owner);
                          });
}

void release_stale_endpoints() {
    auto paths = network_paths();
    if (::access(paths.lease_dir.c_str(), F_OK) != 0)
        return;
    auto lock = lock_networks(paths);
    if (!lock)
        return;
    auto swept =
        for_each_table(paths, [&](const NetworkConfig& network, LeaseTable& table) -> Result<void> {
            std::vector<std::string> stale;
            for (const auto& lease : table.leases())
                if (!lease_owner_alive(lease))
                    stale.push_back(lease.owner);
            for (const auto& owner : stale) TRY(release_locked(paths, network, table, owner));
            return ok();
        });
    if (!swept)
        log::warn("cleaning up network leases of exited owners: {}", swept.error().to_string());
}

std::optional<Endpoint> find_endpoint(std::string_view owner) {
    auto paths = network_paths();
    if (::access(paths.config_dir.c_str(), F_OK) != 0)
        return std::nullopt;
    auto lock = lock_networks(paths);
    if (!lock)
        return std::nullopt;
    std::optional<Endpoint> found;
    (void)for_each_table(paths,
                         [&](const NetworkConfig& network, LeaseTable& table) -> Result<void> {
                             if (Lease* lease = table.find(std::string(owner)))
                                 found = Endpoint{network, *lease};
                             return ok();
                         });
    return found;
}

std::string kernel_ip_argument(const Endpoint& endpoint) {
    const Cidr& subnet = endpoint.network.subnet;
    return fmt::format("ip={}::{}:{}::eth0:off", endpoint.lease.address.to_string(),
                       subnet.gateway().to_string(), Ipv4{subnet.mask()}.to_string());
}

std::string hosts_file(std::string_view hostname, const Endpoint& endpoint) {
    return fmt::format(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{}\t{}\n{}\thost.twinbox.internal\n",
        endpoint.lease.address.to_string(), hostname,
        endpoint.network.subnet.gateway().to_string());
}

std::string container_resolv_conf(std::string_view host_resolv_conf) {
    std::string result;
    size_t start = 0;
    while (start < host_resolv_conf.size()) {
        size_t end = host_resolv_conf.find('\n', start);
        if (end == std::string_view::npos)
            end = host_resolv_conf.size();
        std::string_view line = host_resolv_conf.substr(start, end - start);
        start = end + 1;
        if (line.starts_with("nameserver")) {
            std::string_view server = line.substr(10);
            while (!server.empty() && (server.front() == ' ' || server.front() == '\t'))
                server.remove_prefix(1);
            if (server.starts_with("127.") || server.starts_with("::1"))
                continue;  // a resolver on the host's loopback is not reachable from the container
        }
        result.append(line).push_back('\n');
    }
    return result;
}

}  // namespace twinbox::network
