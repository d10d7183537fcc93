// A small rtnetlink client: the few link operations twinbox needs to wire a
// TAP device into the host network (look a link up, bring it up, enslave it
// to a bridge), spoken over a raw NETLINK_ROUTE socket.
//
// rtnetlink is the kernel's routing and link configuration protocol (what
// `ip link` uses): each request is a `struct nlmsghdr` followed by a
// `struct ifinfomsg` and a list of type-length-value attributes (rtattr).
// We ask for an acknowledgement (NLM_F_ACK) on every request, so the kernel
// answers with an NLMSG_ERROR message whose `error` field is 0 or -errno.
// References: netlink(7), rtnetlink(7), <linux/rtnetlink.h>, <linux/if_link.h>.
// Model: iproute2 lib/libnetlink.c (rtnl_talk), crun src/libcrun/utils.c.
//
// A NetlinkSocket is not thread safe; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox {

// What the kernel reports about one network interface.
struct LinkInfo {
    int index = 0;         // ifindex
    unsigned flags = 0;    // IFF_UP, IFF_RUNNING ... (net/if.h)
    std::string kind;      // IFLA_INFO_KIND: "bridge", "tun", "veth"; empty for physical devices
    int master_index = 0;  // IFLA_MASTER: the bridge the link is enslaved to, 0 for none
};

class NetlinkSocket {
public:
    static Result<NetlinkSocket> open();

    // The link named `name`, or std::nullopt when there is none (ENODEV).
    Result<std::optional<LinkInfo>> find_link(std::string_view name);
    // Sets IFF_UP on a link (`ip link set dev X up`).
    Result<void> set_link_up(int index);
    // Enslaves a link to a bridge (`ip link set dev X master BR`); master 0 detaches it.
    Result<void> set_link_master(int index, int master_index);

private:
    explicit NetlinkSocket(UniqueFd fd) : m_fd(std::move(fd)) {}
    // Sends one request and waits for its acknowledgement or, for a GET, its single answer
    // (copied into `answer` when non-null). Returns the kernel's errno as an Error.
    Result<void> talk(void* request, uint32_t length, std::string* answer, std::string_view what);

    UniqueFd m_fd;
    uint32_t m_sequence = 0;
};

}  // namespace twinbox
