// What the libnl users of host/network/ share: owners for reference-counted
// libnl addresses and an IPv4 address built from ours, and the thread that
// runs code in another network namespace.
#pragma once

#include <arpa/inet.h>
#include <netlink/addr.h>

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "host/network/ipv4.h"

namespace twinbox::network {

struct AddrPut {
    void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
using AddrPtr = std::unique_ptr<nl_addr, AddrPut>;

inline AddrPtr make_address(Ipv4 address, int prefix) {
    uint32_t network_order = htonl(address.value);
    AddrPtr addr(nl_addr_build(AF_INET, &network_order, sizeof(network_order)));
    if (addr)
        nl_addr_set_prefixlen(addr.get(), prefix);
    return addr;
}

// Runs `work` in a thread that has joined the network namespace of the nsfs
// file `path` (/proc/PID/ns/net, /run/netns/NAME); setns(2) moves only that
// thread, which ends right after.
Result<void> in_network_namespace_file(const std::string& path,
                                       const std::function<Result<void>()>& work);

}  // namespace twinbox::network
