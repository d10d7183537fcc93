// A small rtnetlink client. See netlink.h.
#include "common/netlink.h"

#include <fmt/format.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <vector>

namespace twinbox {

namespace {

// One link request: the netlink header, the link header and room for a few
// attributes. rtnetlink(7): messages and attributes are 4-byte aligned.
struct LinkRequest {
    nlmsghdr header;
    ifinfomsg link;
    alignas(NLMSG_ALIGNTO) std::array<char, 256> attributes;
};

// Appends one attribute (type, length, value) to the request, padded to 4 bytes.
void add_attribute(LinkRequest& request, uint16_t type, const void* data, size_t length) {
    size_t offset = NLMSG_ALIGN(request.header.nlmsg_len);
    auto* attribute = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&request) + offset);
    attribute->rta_type = type;
    attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(length));
    std::memcpy(RTA_DATA(attribute), data, length);
    request.header.nlmsg_len = static_cast<uint32_t>(offset + RTA_ALIGN(attribute->rta_len));
}

LinkRequest make_request(uint16_t type, uint16_t flags, int index) {
    LinkRequest request{};
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
    request.header.nlmsg_type = type;
    request.header.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    request.link.ifi_family = AF_UNSPEC;
    request.link.ifi_index = index;
    return request;
}

// Reads IFLA_INFO_KIND out of a nested IFLA_LINKINFO attribute.
std::string link_kind(const rtattr* link_info) {
    int remaining = static_cast<int>(RTA_PAYLOAD(link_info));
    for (auto* nested = static_cast<const rtattr*>(RTA_DATA(link_info)); RTA_OK(nested, remaining);
         nested = RTA_NEXT(nested, remaining)) {
        if (nested->rta_type == IFLA_INFO_KIND) {
            const char* text = static_cast<const char*>(RTA_DATA(nested));
            return std::string(text, strnlen(text, RTA_PAYLOAD(nested)));
        }
    }
    return {};
}

// Decodes an RTM_NEWLINK message (header already checked) into a LinkInfo.
Result<LinkInfo> parse_link(const std::string& message) {
    if (message.size() < NLMSG_LENGTH(sizeof(ifinfomsg)))
        return Error::message("netlink: RTM_NEWLINK answer is too short");
    auto* header = reinterpret_cast<const nlmsghdr*>(message.data());
    auto* link = static_cast<const ifinfomsg*>(NLMSG_DATA(header));
    LinkInfo info;
    info.index = link->ifi_index;
    info.flags = link->ifi_flags;
    int remaining = static_cast<int>(header->nlmsg_len - NLMSG_LENGTH(sizeof(ifinfomsg)));
    for (auto* attribute = IFLA_RTA(link); RTA_OK(attribute, remaining);
         attribute = RTA_NEXT(attribute, remaining)) {
        if (attribute->rta_type == IFLA_MASTER && RTA_PAYLOAD(attribute) >= sizeof(uint32_t))
            std::memcpy(&info.master_index, RTA_DATA(attribute), sizeof(uint32_t));
        else if (attribute->rta_type == IFLA_LINKINFO)
            info.kind = link_kind(attribute);
    }
    return info;
}

}  // namespace

Result<NetlinkSocket> NetlinkSocket::open() {
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd)
        return Error::from_errno("socket(AF_NETLINK, NETLINK_ROUTE)", "network configuration");
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns our port id
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return Error::from_errno("bind(AF_NETLINK)", "network configuration");
    return NetlinkSocket(std::move(fd));
}

Result<void> NetlinkSocket::talk(void* request, uint32_t length, std::string* answer,
                                 std::string_view what) {
    auto* header = static_cast<nlmsghdr*>(request);
    header->nlmsg_seq = ++m_sequence;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;  // nl_pid 0 is the kernel
    if (::sendto(m_fd.get(), request, length, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0)
        return Error::from_errno("sendto(netlink)", what);

    // Answers for other sequence numbers (none expected: the socket is ours)
    // are skipped. 32 KiB holds any single link message (iproute2 uses 32 KiB too).
    std::vector<char> buffer(32 * 1024);
    for (;;) {
        ssize_t received = ::recv(m_fd.get(), buffer.data(), buffer.size(), 0);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_errno("recv(netlink)", what);
        }
        int remaining = static_cast<int>(received);
        for (auto* reply = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(reply, remaining);
             reply = NLMSG_NEXT(reply, remaining)) {
            if (reply->nlmsg_seq != m_sequence)
                continue;
            if (reply->nlmsg_type == NLMSG_ERROR) {
                if (reply->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
                    return Error::message(fmt::format("{}: truncated netlink error", what));
                int error = static_cast<const nlmsgerr*>(NLMSG_DATA(reply))->error;
                if (error == 0)
                    return {};  // the acknowledgement
                return Error::from_errno("netlink", what, -error);
            }
            if (answer != nullptr) {
                answer->assign(reinterpret_cast<const char*>(reply), reply->nlmsg_len);
                return {};
            }
        }
    }
}

Result<std::optional<LinkInfo>> NetlinkSocket::find_link(std::string_view name) {
    if (name.empty() || name.size() >= IFNAMSIZ)
        return Error::message(fmt::format("'{}' is not a valid interface name (1 to {} characters)",
                                          name, IFNAMSIZ - 1));
    // A GET without NLM_F_ACK: the kernel answers with RTM_NEWLINK or an error.
    LinkRequest request = make_request(RTM_GETLINK, 0, 0);
    std::string text(name);
    add_attribute(request, IFLA_IFNAME, text.c_str(), text.size() + 1);
    std::string answer;
    auto result = talk(&request, request.header.nlmsg_len, &answer,
                       fmt::format("looking up network interface {}", name));
    if (!result) {
        if (result.error().code() == ENODEV)
            return std::optional<LinkInfo>{};
        return std::move(result).error();
    }
    return std::optional<LinkInfo>(TRY(parse_link(answer)));
}

Result<void> NetlinkSocket::set_link_up(int index) {
    LinkRequest request = make_request(RTM_NEWLINK, NLM_F_ACK, index);
    request.link.ifi_flags = IFF_UP;
    request.link.ifi_change = IFF_UP;  // only this flag changes
    return talk(&request, request.header.nlmsg_len, nullptr,
                fmt::format("bringing up network interface {}", index));
}

Result<void> NetlinkSocket::set_link_master(int index, int master_index) {
    LinkRequest request = make_request(RTM_NEWLINK, NLM_F_ACK, index);
    uint32_t master = static_cast<uint32_t>(master_index);
    add_attribute(request, IFLA_MASTER, &master, sizeof master);
    return talk(&request, request.header.nlmsg_len, nullptr,
                fmt::format("attaching network interface {} to bridge {}", index, master_index));
}

}  // namespace twinbox
