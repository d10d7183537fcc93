// ip rules and table routes through libnl (see policy_routing.h).
#include "host/network/policy_routing.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <memory>

#include "host/network/netlink_util.h"

namespace twinbox::network {

namespace {

struct SocketFree {
    void operator()(nl_sock* socket) const { nl_socket_free(socket); }
};
struct CacheFree {
    void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
struct RulePut {
    void operator()(rtnl_rule* rule) const { rtnl_rule_put(rule); }
};
struct RoutePut {
    void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
using SocketPtr = std::unique_ptr<nl_sock, SocketFree>;
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;

Error nl_failure(int code, std::string_view what) {
    return Error::message(fmt::format("{}: {}", what, nl_geterror(code)));
}

Result<SocketPtr> connect() {
    SocketPtr socket(nl_socket_alloc());
    if (!socket)
        return Error::message("cannot allocate a netlink socket (out of memory?)");
    if (int err = nl_connect(socket.get(), NETLINK_ROUTE); err < 0)
        return nl_failure(err, "connecting to rtnetlink");
    return socket;
}

Result<int> index_of(nl_sock* socket, const std::string& link) {
    rtnl_link* found = nullptr;
    if (int err = rtnl_link_get_kernel(socket, 0, link.c_str(), &found); err < 0)
        return nl_failure(err, fmt::format("looking up network interface {}", link));
    int index = rtnl_link_get_ifindex(found);
    rtnl_link_put(found);
    return index;
}

Result<void> add_route(nl_sock* socket, uint32_t table, const TableRoute& spec) {
    std::unique_ptr<rtnl_route, RoutePut> route(rtnl_route_alloc());
    AddrPtr destination = make_address(spec.destination.address, spec.destination.prefix);
    if (!route || !destination)
        return Error::message("out of memory building a netlink route");
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), table);
    rtnl_route_set_dst(route.get(), destination.get());
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    if (spec.kind == TableRouteKind::Blackhole) {
        rtnl_route_set_type(route.get(), RTN_BLACKHOLE);
    } else if (spec.kind == TableRouteKind::Unreachable) {
        rtnl_route_set_type(route.get(), RTN_UNREACHABLE);
    } else {
        int index = TRY(index_of(socket, spec.link));
        rtnl_nexthop* hop = rtnl_route_nh_alloc();
        if (!hop)
            return Error::message("out of memory building a netlink next hop");
        rtnl_route_nh_set_ifindex(hop, index);
        if (spec.via) {
            AddrPtr via = make_address(*spec.via, 32);
            rtnl_route_nh_set_gateway(hop, via.get());
        } else {
            rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
        }
        rtnl_route_add_nexthop(route.get(), hop);  // the route owns it now
    }
    if (int err = rtnl_route_add(socket, route.get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0)
        return nl_failure(err, fmt::format("adding the route to {} in table {}",
                                           spec.destination.to_string(), table));
    return ok();
}

// Deletes the routes for which `doomed` is true.
template <typename Pred>
Result<void> delete_routes(nl_sock* socket, Pred doomed) {
    nl_cache* raw = nullptr;
    if (int err = rtnl_route_alloc_cache(socket, AF_INET, 0, &raw); err < 0)
        return nl_failure(err, "listing routes");
    CachePtr cache(raw);
    for (nl_object* object = nl_cache_get_first(cache.get()); object;
         object = nl_cache_get_next(object)) {
        auto* route = reinterpret_cast<rtnl_route*>(object);
        if (!doomed(route))
            continue;
        if (int err = rtnl_route_delete(socket, route, 0); err < 0 && err != -NLE_OBJ_NOTFOUND)
            return nl_failure(err, "deleting a route");
    }
    return ok();
}

}  // namespace

Result<void> replace_rules(uint32_t first, uint32_t last, const std::vector<PolicyRule>& rules) {
    SocketPtr socket = TRY(connect());
    nl_cache* raw = nullptr;
    if (int err = rtnl_rule_alloc_cache(socket.get(), AF_INET, &raw); err < 0)
        return nl_failure(err, "listing ip rules");
    CachePtr cache(raw);
    for (nl_object* object = nl_cache_get_first(cache.get()); object;
         object = nl_cache_get_next(object)) {
        auto* rule = reinterpret_cast<rtnl_rule*>(object);
        uint32_t priority = rtnl_rule_get_prio(rule);
        if (priority < first || priority > last)
            continue;
        if (int err = rtnl_rule_delete(socket.get(), rule, 0); err < 0)
            return nl_failure(err, fmt::format("deleting the ip rule at priority {}", priority));
    }
    for (const PolicyRule& spec : rules) {
        std::unique_ptr<rtnl_rule, RulePut> rule(rtnl_rule_alloc());
        if (!rule)
            return Error::message("out of memory building an ip rule");
        rtnl_rule_set_family(rule.get(), AF_INET);
        rtnl_rule_set_prio(rule.get(), spec.priority);
        rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
        rtnl_rule_set_table(rule.get(), spec.table);
        if (!spec.input_link.empty())
            rtnl_rule_set_iif(rule.get(), spec.input_link.c_str());
        AddrPtr to;
        if (spec.to) {
            to = make_address(spec.to->address, spec.to->prefix);
            if (!to)
                return Error::message("out of memory building an ip rule");
            rtnl_rule_set_dst(rule.get(), to.get());
        }
        if (int err = rtnl_rule_add(socket.get(), rule.get(), NLM_F_CREATE); err < 0)
            return nl_failure(err, fmt::format("adding the ip rule at priority {}", spec.priority));
    }
    return ok();
}

Result<void> replace_table_routes(uint32_t table, const std::vector<TableRoute>& routes) {
    SocketPtr socket = TRY(connect());
    TRY(delete_routes(socket.get(),
                      [&](rtnl_route* route) { return rtnl_route_get_table(route) == table; }));
    for (const TableRoute& route : routes) TRY(add_route(socket.get(), table, route));
    return ok();
}

Result<void> replace_link_host_routes(const std::string& link,
                                      const std::vector<TableRoute>& routes) {
    SocketPtr socket = TRY(connect());
    int index = TRY(index_of(socket.get(), link));
    TRY(delete_routes(socket.get(), [&](rtnl_route* route) {
        nl_addr* destination = rtnl_route_get_dst(route);
        if (rtnl_route_get_table(route) != RT_TABLE_MAIN || !destination ||
            nl_addr_get_prefixlen(destination) != 32 || rtnl_route_get_nnexthops(route) != 1)
            return false;
        return rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0)) == index;
    }));
    for (const TableRoute& route : routes) TRY(add_route(socket.get(), RT_TABLE_MAIN, route));
    return ok();
}

}  // namespace twinbox::network
