// Tap: a Linux TAP device, the host end of a guest's virtio-net card.
//
// A TAP device is a virtual Ethernet interface whose "wire" is a file
// descriptor: every frame the host stack sends out of the interface can be
// read from the fd, and every frame written to the fd arrives as if it had
// been received. Reference: Documentation/networking/tuntap.rst and
// <linux/if_tun.h>.
//
// twinbox opens it with:
// - IFF_TAP: Ethernet frames (not IP packets, which is IFF_TUN);
// - IFF_NO_PI: no 4-byte packet-information prefix;
// - IFF_VNET_HDR: every frame is preceded by a `struct virtio_net_hdr`, the
//   same header the virtio-net driver puts in front of its frames (virtio
//   1.2 section 5.1.6). TUNSETVNETHDRSZ sets its size to 12 bytes, the
//   VIRTIO_F_VERSION_1 layout with `num_buffers`, so a guest's transmit
//   buffers go to the tap unchanged, and checksum and segmentation offloads
//   (TUNSETOFFLOAD) pass through in both directions.
//
// Lifetime. A tap twinbox creates is not persistent (TUNSETPERSIST is never
// used), so the kernel deletes the interface when its last fd is closed:
// the Tap destructor, or the process dying any way at all, removes it. A tap
// that already existed (created with `ip tuntap add NAME mode tap`) is only
// attached to, and stays when twinbox exits.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::virtio {

// Offload flags for TUNSETOFFLOAD (<linux/if_tun.h>): what the kernel may hand
// us in frames it sends to the guest. Host-to-guest only; frames we write may
// always carry offloads that the virtio_net_hdr describes.
struct TapOffloads {
    bool checksum = false;  // TUN_F_CSUM: partial checksums (needs VIRTIO_NET_F_GUEST_CSUM)
    bool tso4 = false;      // TUN_F_TSO4 (VIRTIO_NET_F_GUEST_TSO4)
    bool tso6 = false;      // TUN_F_TSO6 (VIRTIO_NET_F_GUEST_TSO6)
};

class Tap {
public:
    // The virtio_net_hdr size used on the fd (section 5.1.6: 12 bytes with VERSION_1).
    static constexpr int kVnetHeaderSize = 12;

    // Opens the tap `name`, creating it when no interface has that name; an
    // empty name creates "twinboxN" (the kernel picks N). Fails with a clear
    // error when the name belongs to a device that is not a tap or to a tap
    // another process holds open, or when twinbox may not create taps.
    // The fd is non-blocking and close-on-exec; the link is not up yet.
    static Result<Tap> open(std::string_view name);

    Tap(Tap&&) noexcept = default;
    Tap& operator=(Tap&&) noexcept = default;

    int fd() const { return m_fd.get(); }
    const std::string& name() const { return m_name; }
    int index() const { return m_index; }
    // True when twinbox created the interface (it disappears with the fd).
    bool created() const { return m_created; }

    Result<void> set_offloads(TapOffloads offloads);
    // `ip link set dev NAME up`.
    Result<void> set_up();
    // `ip link set dev NAME master BRIDGE`; BRIDGE must exist and be a bridge.
    Result<void> attach_to_bridge(std::string_view bridge);
    // The interface index of an existing Linux bridge, or an error that says how to make one.
    static Result<int> find_bridge(std::string_view bridge);

    // Hands the fd over (to a NetDevice); the Tap is empty afterwards.
    UniqueFd release_fd() { return std::move(m_fd); }

private:
    Tap(UniqueFd fd, std::string name, int index, bool created)
        : m_fd(std::move(fd)), m_name(std::move(name)), m_index(index), m_created(created) {}

    UniqueFd m_fd;
    std::string m_name;
    int m_index = 0;
    bool m_created = false;
};

}  // namespace twinbox::virtio
