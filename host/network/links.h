// Network devices, addresses and routes through libnl-route-3 (the netlink
// library behind NetworkManager; rtnetlink(7) underneath): what `ip link add
// type bridge|veth`, `ip addr add` and `ip route add default` do.
//
// A netlink socket talks to the network namespace of the thread that opened
// it, so in_network_namespace() runs code in a short-lived thread that has
// joined another process's namespace (setns(2) changes only the calling
// thread's), which is how the container's end of a veth is configured from
// the host. Reference: libnl docs "Routing Family" (route/link.h, addr.h,
// route.h); model: CNI plugins/main/bridge (ns.Do()).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "host/network/ipv4.h"

struct nl_sock;

namespace twinbox::network {

// What the kernel reports about one network interface (rtnetlink(7)).
struct LinkInfo {
    int index = 0;         // ifindex
    unsigned flags = 0;    // IFF_UP, IFF_RUNNING ... (net/if.h)
    std::string kind;      // IFLA_INFO_KIND: "bridge", "tun", "veth"; empty for physical devices
    int master_index = 0;  // IFLA_MASTER: the bridge the link is enslaved to, 0 for none
};

class RouteSocket {
public:
    static Result<RouteSocket> open();
    ~RouteSocket();
    RouteSocket(RouteSocket&& other) noexcept;
    RouteSocket& operator=(RouteSocket&&) = delete;

    // The link named `name`, or std::nullopt when there is none.
    Result<std::optional<LinkInfo>> find_link(std::string_view name);
    // Sets IFF_UP on a link by index (`ip link set dev X up`).
    Result<void> set_up(int index);
    // Enslaves a link to a bridge by index (`ip link set dev X master BR`).
    Result<void> set_master(int index, int master_index);

    // The interface index of `name`, 0 when there is none.
    int link_index(std::string_view name);
    // The link's kind ("bridge", "veth", "tun"...), "" for none or a physical device.
    std::string link_kind(std::string_view name);
    Result<void> add_bridge(std::string_view name);
    // A veth pair: `name` here, its peer `peer_name` created directly in the
    // network namespace of process `pid` (IFLA_NET_NS_PID).
    Result<void> add_veth(std::string_view name, std::string_view peer_name, pid_t pid);
    // Deletes the link if it exists.
    Result<void> delete_link(std::string_view name);
    Result<void> set_master(std::string_view name, std::string_view bridge);
    Result<void> set_up(std::string_view name);
    Result<void> add_address(std::string_view name, Ipv4 address, int prefix);
    // A /32 with no broadcast address (`ip addr add A/32 dev X`), kept when
    // it is there already: a service address such as the metadata service's.
    Result<void> add_host_address(std::string_view name, Ipv4 address);
    // Removes `address`/`prefix` from `name`; none there (or no `name`) is fine.
    Result<void> delete_address(std::string_view name, Ipv4 address, int prefix);
    Result<void> add_default_route(Ipv4 gateway);
    // Destinations of the IPv4 routes in the main table, without the default route.
    Result<std::vector<Cidr>> ipv4_routes();

private:
    explicit RouteSocket(nl_sock* socket) : m_socket(socket) {}
    nl_sock* m_socket;
};

// Runs `work` in the network namespace of process `pid` (in a thread of its own).
Result<void> in_network_namespace(pid_t pid, const std::function<Result<void>()>& work);
// (In the namespace of an nsfs file: in_network_namespace_file, netlink_util.h;
// of a named one: in_named_netns, netns.h.)

// Writes a value under /proc/sys (ours: the network namespace twinbox runs in).
Result<void> write_sysctl(const std::string& path, std::string_view value);

}  // namespace twinbox::network
