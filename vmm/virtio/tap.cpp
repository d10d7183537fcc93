// Tap: a Linux TAP device for virtio-net. See tap.h.
#include "vmm/virtio/tap.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cstring>

#include "host/network/links.h"

namespace twinbox::virtio {

namespace {

constexpr const char* kTunDevice = "/dev/net/tun";
// When no name is given the kernel replaces %d with the first free number.
constexpr const char* kDefaultNamePattern = "twinbox%d";

constexpr std::string_view kPermissionHint =
    "creating a tap needs CAP_NET_ADMIN: run twinbox as root, or create a tap for your user first ('ip tuntap add NAME mode tap user USER') and pass --net tap=NAME";

Result<UniqueFd> open_tun_device() {
    UniqueFd fd(::open(kTunDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (fd)
        return fd;
    Error error = Error::from_errno("open", kTunDevice);
    if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
        return std::move(error).with_hint("the kernel has no TUN/TAP driver: 'modprobe tun'");
    if (errno == EACCES || errno == EPERM)
        return std::move(error).with_hint(kPermissionHint);
    return error;
}

// The first check: does the name belong to something that is not a tap?
// Returns whether the interface already exists (then twinbox attaches to it).
Result<bool> check_existing(std::string_view name) {
    network::RouteSocket netlink = TRY(network::RouteSocket::open());
    std::optional<network::LinkInfo> link = TRY(netlink.find_link(name));
    if (!link)
        return false;
    // Both TUN and TAP devices have the rtnetlink kind "tun"; TUNSETIFF tells them apart.
    if (link->kind.empty())
        return Error::message(fmt::format(
            "network interface {} already exists and is not a tap - choose another tap name",
            name));
    if (link->kind != "tun")
        return Error::message(fmt::format(
            "network interface {} already exists and is a {} device, not a tap - choose another tap name",
            name, link->kind));
    return true;
}

Error explain_tunsetiff(std::string_view name, bool existed, int err) {
    Error error = Error::from_errno("ioctl(TUNSETIFF)", fmt::format("tap {}", name), err);
    switch (err) {
        case EBUSY:
            // tun_set_iff(): a single-queue tap serves one fd at a time.
            return Error::message(
                       fmt::format("tap {} is in use: another process (another VM?) has it open",
                                   name))
                .with_hint("each tap serves one VM; choose another name or stop that process");
        case EPERM:
            return std::move(error).with_hint(
                existed
                    ? "the tap belongs to another user or group; run twinbox as its owner or as root"
                    : kPermissionHint);
        case EINVAL:
            if (existed)
                return Error::message(fmt::format(
                    "network interface {} is a TUN device (IP packets), not a TAP device (Ethernet frames) - choose another name",
                    name));
            return std::move(error).with_hint("is the name a valid interface name?");
        default:
            return error;
    }
}

}  // namespace

Result<Tap> Tap::open(std::string_view name) {
    if (name.size() >= IFNAMSIZ)
        return Error::message(
            fmt::format("tap name '{}' is longer than {} characters", name, IFNAMSIZ - 1));
    if (name.find_first_of("/ \t\n:%") != std::string_view::npos)
        return Error::message(fmt::format(
            "tap name '{}' is not a valid interface name (no '/', ':', '%' or spaces)", name));
    bool existed = name.empty() ? false : TRY(check_existing(name));

    UniqueFd fd = TRY(open_tun_device());
    ifreq request{};
    std::string wanted = name.empty() ? std::string(kDefaultNamePattern) : std::string(name);
    std::memcpy(request.ifr_name, wanted.c_str(), wanted.size());  // checked: < IFNAMSIZ
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (::ioctl(fd.get(), TUNSETIFF, &request) < 0)
        return explain_tunsetiff(name.empty() ? "twinboxN" : name, existed, errno);
    // From here on, an error return closes `fd`, which deletes a tap we created.
    std::string actual(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ));

    int header_size = kVnetHeaderSize;
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &header_size) < 0)
        return Error::from_errno("ioctl(TUNSETVNETHDRSZ)", fmt::format("tap {}", actual));
    // No offloads until the guest has negotiated them (NetDevice::activate).
    if (::ioctl(fd.get(), TUNSETOFFLOAD, 0ul) < 0)
        return Error::from_errno("ioctl(TUNSETOFFLOAD)", fmt::format("tap {}", actual));

    unsigned index = ::if_nametoindex(actual.c_str());
    if (index == 0)
        return Error::from_errno("if_nametoindex", fmt::format("tap {}", actual));
    return Tap(std::move(fd), std::move(actual), static_cast<int>(index), !existed);
}

Result<void> Tap::set_offloads(TapOffloads offloads) {
    unsigned flags = 0;
    if (offloads.checksum) {
        flags |= TUN_F_CSUM;
        // Segmentation offloads build on checksum offload: tun ignores TSO flags without CSUM.
        if (offloads.tso4)
            flags |= TUN_F_TSO4;
        if (offloads.tso6)
            flags |= TUN_F_TSO6;
    }
    if (::ioctl(m_fd.get(), TUNSETOFFLOAD, static_cast<unsigned long>(flags)) < 0)
        return Error::from_errno("ioctl(TUNSETOFFLOAD)", fmt::format("tap {}", m_name));
    return {};
}

Result<void> Tap::set_up() {
    network::RouteSocket netlink = TRY(network::RouteSocket::open());
    auto result = netlink.set_up(m_index);
    if (!result) {
        Error error = std::move(result).error().with_context(fmt::format("tap {}", m_name));
        if (error.code() == EPERM)
            return std::move(error).with_hint("configuring network interfaces needs CAP_NET_ADMIN");
        return error;
    }
    return {};
}

Result<int> Tap::find_bridge(std::string_view bridge) {
    network::RouteSocket netlink = TRY(network::RouteSocket::open());
    std::optional<network::LinkInfo> link = TRY(netlink.find_link(bridge));
    if (!link)
        return Error::message(
            fmt::format("bridge {} does not exist - create it with 'ip link add {} type bridge'",
                        bridge, bridge));
    if (link->kind != "bridge")
        return Error::message(
            fmt::format("network interface {} is not a bridge ({}) - name an existing Linux bridge",
                        bridge, link->kind.empty() ? "no link kind" : link->kind));
    return link->index;
}

Result<void> Tap::attach_to_bridge(std::string_view bridge) {
    int bridge_index = TRY(find_bridge(bridge));
    network::RouteSocket netlink = TRY(network::RouteSocket::open());
    auto result = netlink.set_master(m_index, bridge_index);
    if (!result)
        return std::move(result).error().with_context(
            fmt::format("attaching tap {} to bridge {}", m_name, bridge));
    return {};
}

}  // namespace twinbox::virtio
