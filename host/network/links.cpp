// libnl-route-3 links, addresses and routes (see links.h).
#include "host/network/links.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>

#include <thread>
#include <utility>

#include "common/unique_fd.h"
#include "host/network/netlink_util.h"

namespace twinbox::network {

namespace {

// libnl reports its own codes (NLE_*); the two a caller acts on keep their
// errno, so hints such as "needs CAP_NET_ADMIN" still apply.
Error nl_error(int code, std::string_view what) {
    int err = 0;
    if (code == -NLE_PERM)
        err = EPERM;
    else if (code == -NLE_NODEV || code == -NLE_OBJ_NOTFOUND)
        err = ENODEV;
    if (err != 0)
        return Error::from_errno(what, "", err);
    return Error::message(fmt::format("{}: {}", what, nl_geterror(code)));
}

// libnl objects are reference counted; these put them back.
struct LinkPut {
    void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;

}  // namespace

Result<RouteSocket> RouteSocket::open() {
    nl_sock* socket = nl_socket_alloc();
    if (!socket)
        return Error::message("cannot allocate a netlink socket (out of memory?)");
    if (int err = nl_connect(socket, NETLINK_ROUTE); err < 0) {
        nl_socket_free(socket);
        return nl_error(err, "connecting to rtnetlink");
    }
    return RouteSocket(socket);
}

RouteSocket::~RouteSocket() {
    if (m_socket)
        nl_socket_free(m_socket);
}

RouteSocket::RouteSocket(RouteSocket&& other) noexcept
    : m_socket(std::exchange(other.m_socket, nullptr)) {}

Result<std::optional<LinkInfo>> RouteSocket::find_link(std::string_view name) {
    rtnl_link* link = nullptr;
    if (int err = rtnl_link_get_kernel(m_socket, 0, std::string(name).c_str(), &link); err < 0) {
        if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND)
            return std::optional<LinkInfo>();
        return nl_error(err, fmt::format("looking up network interface {}", name));
    }
    LinkPtr owned(link);
    const char* kind = rtnl_link_get_type(link);
    return std::optional<LinkInfo>(LinkInfo{rtnl_link_get_ifindex(link), rtnl_link_get_flags(link),
                                            kind ? kind : "", rtnl_link_get_master(link)});
}

Result<void> RouteSocket::set_up(int index) {
    LinkPtr link(rtnl_link_alloc());
    LinkPtr change(rtnl_link_alloc());
    if (!link || !change)
        return Error::message("cannot allocate a netlink link (out of memory?)");
    rtnl_link_set_ifindex(link.get(), index);
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (int err = rtnl_link_change(m_socket, link.get(), change.get(), 0); err < 0)
        return nl_error(err, fmt::format("bringing interface {} up", index));
    return ok();
}

Result<void> RouteSocket::set_master(int index, int master_index) {
    if (int err = rtnl_link_enslave_ifindex(m_socket, master_index, index); err < 0)
        return nl_error(err,
                        fmt::format("attaching interface {} to bridge {}", index, master_index));
    return ok();
}

int RouteSocket::link_index(std::string_view name) {
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(m_socket, 0, std::string(name).c_str(), &link) < 0)
        return 0;
    LinkPtr owned(link);
    return rtnl_link_get_ifindex(link);
}

std::string RouteSocket::link_kind(std::string_view name) {
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(m_socket, 0, std::string(name).c_str(), &link) < 0)
        return "";
    LinkPtr owned(link);
    const char* kind = rtnl_link_get_type(link);
    return kind ? kind : "";
}

Result<void> RouteSocket::add_bridge(std::string_view name) {
    if (int err = rtnl_link_bridge_add(m_socket, std::string(name).c_str()); err < 0)
        return nl_error(err, fmt::format("creating bridge {}", name));
    return ok();
}

Result<void> RouteSocket::add_veth(std::string_view name, std::string_view peer_name, pid_t pid) {
    if (int err = rtnl_link_veth_add(m_socket, std::string(name).c_str(),
                                     std::string(peer_name).c_str(), pid);
        err < 0)
        return nl_error(err, fmt::format("creating veth pair {}/{}", name, peer_name));
    return ok();
}

Result<void> RouteSocket::delete_link(std::string_view name) {
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(m_socket, 0, std::string(name).c_str(), &link) < 0)
        return ok();
    LinkPtr owned(link);
    if (int err = rtnl_link_delete(m_socket, link);
        err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
        return nl_error(err, fmt::format("deleting {}", name));
    return ok();
}

Result<void> RouteSocket::set_master(std::string_view name, std::string_view bridge) {
    int master = link_index(bridge);
    int slave = link_index(name);
    if (master == 0 || slave == 0)
        return Error::message(fmt::format("attaching {} to {}: no such device", name, bridge));
    if (int err = rtnl_link_enslave_ifindex(m_socket, master, slave); err < 0)
        return nl_error(err, fmt::format("attaching {} to bridge {}", name, bridge));
    return ok();
}

Result<void> RouteSocket::set_up(std::string_view name) {
    rtnl_link* link = nullptr;
    if (int err = rtnl_link_get_kernel(m_socket, 0, std::string(name).c_str(), &link); err < 0)
        return nl_error(err, fmt::format("finding {}", name));
    LinkPtr owned(link);
    LinkPtr change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (int err = rtnl_link_change(m_socket, link, change.get(), 0); err < 0)
        return nl_error(err, fmt::format("bringing {} up", name));
    return ok();
}

Result<void> RouteSocket::add_address(std::string_view name, Ipv4 address, int prefix) {
    int index = link_index(name);
    if (index == 0)
        return Error::message(fmt::format("adding an address to {}: no such device", name));
    std::unique_ptr<rtnl_addr, decltype(&rtnl_addr_put)> addr(rtnl_addr_alloc(), rtnl_addr_put);
    AddrPtr local = make_address(address, prefix);
    Cidr subnet{{address.value & Cidr{{}, prefix}.mask()}, prefix};
    AddrPtr broadcast = make_address(subnet.broadcast(), 32);
    if (!addr || !local || !broadcast)
        return Error::message("out of memory building a netlink address");
    rtnl_addr_set_ifindex(addr.get(), index);
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_broadcast(addr.get(), broadcast.get());
    if (int err = rtnl_addr_add(m_socket, addr.get(), 0); err < 0)
        return nl_error(err, fmt::format("adding {}/{} to {}", address.to_string(), prefix, name));
    return ok();
}

Result<void> RouteSocket::add_host_address(std::string_view name, Ipv4 address) {
    int index = link_index(name);
    if (index == 0)
        return Error::message(fmt::format("adding an address to {}: no such device", name));
    std::unique_ptr<rtnl_addr, decltype(&rtnl_addr_put)> addr(rtnl_addr_alloc(), rtnl_addr_put);
    AddrPtr local = make_address(address, 32);
    if (!addr || !local)
        return Error::message("out of memory building a netlink address");
    rtnl_addr_set_ifindex(addr.get(), index);
    rtnl_addr_set_local(addr.get(), local.get());
    if (int err = rtnl_addr_add(m_socket, addr.get(), 0); err < 0 && err != -NLE_EXIST)
        return nl_error(err, fmt::format("adding {}/32 to {}", address.to_string(), name));
    return ok();
}

Result<void> RouteSocket::delete_address(std::string_view name, Ipv4 address, int prefix) {
    int index = link_index(name);
    if (index == 0)
        return ok();
    std::unique_ptr<rtnl_addr, decltype(&rtnl_addr_put)> addr(rtnl_addr_alloc(), rtnl_addr_put);
    AddrPtr local = make_address(address, prefix);
    if (!addr || !local)
        return Error::message("out of memory building a netlink address");
    rtnl_addr_set_ifindex(addr.get(), index);
    rtnl_addr_set_local(addr.get(), local.get());
    if (int err = rtnl_addr_delete(m_socket, addr.get(), 0);
        err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
        return nl_error(err,
                        fmt::format("removing {}/{} from {}", address.to_string(), prefix, name));
    return ok();
}

Result<void> RouteSocket::add_default_route(Ipv4 gateway) {
    std::unique_ptr<rtnl_route, decltype(&rtnl_route_put)> route(rtnl_route_alloc(),
                                                                 rtnl_route_put);
    AddrPtr destination = make_address(Ipv4{0}, 0);
    AddrPtr via = make_address(gateway, 32);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    if (!route || !destination || !via || !hop)
        return Error::message("out of memory building a netlink route");
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_dst(route.get(), destination.get());
    rtnl_route_nh_set_gateway(hop, via.get());
    rtnl_route_add_nexthop(route.get(), hop);  // the route owns it now
    if (int err = rtnl_route_add(m_socket, route.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nl_error(err, fmt::format("adding the default route via {}", gateway.to_string()));
    return ok();
}

Result<std::vector<Cidr>> RouteSocket::ipv4_routes() {
    nl_cache* cache = nullptr;
    if (int err = rtnl_route_alloc_cache(m_socket, AF_INET, 0, &cache); err < 0)
        return nl_error(err, "listing routes");
    std::vector<Cidr> routes;
    for (nl_object* object = nl_cache_get_first(cache); object;
         object = nl_cache_get_next(object)) {
        auto* route = reinterpret_cast<rtnl_route*>(object);
        if (rtnl_route_get_table(route) != RT_TABLE_MAIN)
            continue;
        nl_addr* destination = rtnl_route_get_dst(route);
        if (!destination || nl_addr_get_len(destination) != 4)
            continue;
        int prefix = static_cast<int>(nl_addr_get_prefixlen(destination));
        if (prefix == 0)
            continue;
        uint32_t network_order = 0;
        std::memcpy(&network_order, nl_addr_get_binary_addr(destination), 4);
        Cidr cidr{{ntohl(network_order)}, prefix};
        cidr.address.value &= cidr.mask();
        routes.push_back(cidr);
    }
    nl_cache_free(cache);
    return routes;
}

Result<void> in_network_namespace(pid_t pid, const std::function<Result<void>()>& work) {
    return in_network_namespace_file(fmt::format("/proc/{}/ns/net", pid), work);
}

Result<void> in_network_namespace_file(const std::string& path,
                                       const std::function<Result<void>()>& work) {
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns)
        return Error::from_errno("open", path);
    Result<void> result = Error::message("the network namespace thread did not run");
    std::thread thread([&] {
        // This thread alone moves; it ends right after, so nothing else runs there.
        if (::setns(ns.get(), CLONE_NEWNET) < 0) {
            result = Error::from_errno("setns(CLONE_NEWNET)", path);
            return;
        }
        result = work();
    });
    thread.join();
    return result;
}

Result<void> write_sysctl(const std::string& path, std::string_view value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd)
        return Error::from_errno("open", path);
    if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        return Error::from_errno("write", path);
    return ok();
}

}  // namespace twinbox::network
