// virtio-net: the guest's Ethernet card, backed by a host TAP device.
//
// Spec: virtio 1.2 section 5.1 "Network Device": 5.1.3 feature bits,
// 5.1.4 configuration layout, 5.1.6 device operation (the virtio_net_hdr in
// front of every frame, 5.1.6.2 transmit, 5.1.6.3-4 receive and mergeable
// receive buffers). Models: Firecracker src/vmm/src/devices/virtio/net/,
// QEMU hw/net/virtio-net.c (receive buffer accounting), kvmtool virtio/net.c.
//
// Queues: 0 is receiveq1 (host -> guest), 1 is transmitq1 (guest -> host).
// No control queue, no multiqueue.
//
// Data path. The tap speaks the same 12-byte virtio_net_hdr as the driver
// (IFF_VNET_HDR, TUNSETVNETHDRSZ 12), so no frame is ever parsed or copied
// on the common paths:
// - transmit: one writev() of a chain's readable buffers (header + frame);
// - receive: one readv() straight into the guest's writable buffers. The
//   kernel drops a frame that does not fit (tun_put_user(): EFAULT), so the
//   device reads directly only when the buffers it holds can take the
//   largest frame the tap may send (kMaxFrame). With VIRTIO_NET_F_MRG_RXBUF
//   (section 5.1.6.3.2) that means holding several of the guest's small
//   buffers and spreading the frame over as many as it needs (num_buffers);
//   unused ones are kept for the next frame. With fewer buffers than that
//   the frame is read into a bounce buffer and copied when it fits, and
//   without buffers the tap is not polled until the guest adds some (its
//   notification of the receive queue resumes polling), so a guest that is
//   slow to refill never makes twinbox spin.
//
// Offloads. Transmit: HOST_TSO4/6 and CSUM let the guest hand over 64 KiB
// TCP segments with partial checksums; the tap's kernel side finishes them.
// Receive: GUEST_CSUM/TSO4/6 are switched on in the tap (TUNSETOFFLOAD) only
// when the driver acknowledged them, since only then may the kernel give us
// such frames.
//
// Threading: activate() and reset() run on a vCPU thread; all queue work runs
// on the EventLoop thread. reset() takes the fds off the loop (which waits
// for a running callback) before it drops the queues, so the two never meet.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "vmm/virtio/lifecycle_device.h"
#include "vmm/virtio/options.h"
#include "vmm/virtio/tap.h"

namespace twinbox::virtio {

// Feature bits of the network device (section 5.1.3).
namespace net_feature {
inline constexpr uint64_t kCsum = 1ull << 0;       // VIRTIO_NET_F_CSUM: device takes partial csums
inline constexpr uint64_t kGuestCsum = 1ull << 1;  // VIRTIO_NET_F_GUEST_CSUM
inline constexpr uint64_t kMac = 1ull << 5;        // VIRTIO_NET_F_MAC: config space has the MAC
inline constexpr uint64_t kGuestTso4 = 1ull << 7;  // VIRTIO_NET_F_GUEST_TSO4
inline constexpr uint64_t kGuestTso6 = 1ull << 8;  // VIRTIO_NET_F_GUEST_TSO6
inline constexpr uint64_t kHostTso4 = 1ull << 11;  // VIRTIO_NET_F_HOST_TSO4
inline constexpr uint64_t kHostTso6 = 1ull << 12;  // VIRTIO_NET_F_HOST_TSO6
inline constexpr uint64_t kMrgRxbuf = 1ull << 15;  // VIRTIO_NET_F_MRG_RXBUF
inline constexpr uint64_t kStatus = 1ull << 16;    // VIRTIO_NET_F_STATUS: config has link status
}  // namespace net_feature

// struct virtio_net_hdr with VIRTIO_F_VERSION_1 (section 5.1.6), little endian.
struct VirtioNetHeader {
    uint8_t flags;     // 1 NEEDS_CSUM, 2 DATA_VALID, 4 RSC_INFO
    uint8_t gso_type;  // 0 NONE, 1 TCPV4, 3 UDP, 4 TCPV6, 0x80 ECN
    uint16_t header_length;
    uint16_t gso_size;
    uint16_t checksum_start;
    uint16_t checksum_offset;
    uint16_t num_buffers;  // receive: how many buffers (chains) the frame spans
};
static_assert(sizeof(VirtioNetHeader) == 12);

// Device configuration layout (section 5.1.4): only the fields of the
// features offered (MAC, STATUS).
enum class NetConfigField : uint64_t {
    mac = 0,     // u8 mac[6]
    status = 6,  // le16: VIRTIO_NET_S_LINK_UP (1)
};

class NetDevice : public LifecycleDevice {
public:
    static constexpr size_t kReceiveQueue = 0;
    static constexpr size_t kTransmitQueue = 1;
    // The largest frame the tap can hand over: the header and a 64 KiB GSO
    // frame with its Ethernet and VLAN headers (the "65562 bytes" of
    // section 5.1.6.3.1 is 12 + 65550).
    static constexpr size_t kMaxFrame = 12 + 65550;
    static constexpr uint16_t kStatusLinkUp = 1;  // VIRTIO_NET_S_LINK_UP

    // Opens (or creates) the tap, attaches it to the bridge, brings it up.
    static Result<std::unique_ptr<NetDevice>> create(const NetConfig& config);

    // For tests and other back ends: any fd that moves whole frames, each
    // preceded by a 12-byte virtio_net_hdr, per read and write (a tap, an
    // AF_UNIX SOCK_SEQPACKET socket). Must be non-blocking.
    NetDevice(UniqueFd backend, std::array<uint8_t, 6> mac);
    NetDevice(Tap tap, std::array<uint8_t, 6> mac);
    ~NetDevice() override;

    DeviceId device_id() const override { return DeviceId::net; }
    std::string_view name() const override { return "virtio-net"; }
    uint64_t device_features() const override;
    size_t queue_count() const override { return 2; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;

    const std::array<uint8_t, 6>& mac() const { return m_mac; }
    // The tap's interface name ("" with an injected fd).
    const std::string& tap_name() const { return m_tap_name; }
    // A locally administered unicast MAC derived from the tap name (02:xx:...).
    static std::array<uint8_t, 6> derive_mac(std::string_view tap_name);

    // Frames dropped: transmit errors from the tap, receive frames too big for the guest.
    uint64_t dropped_frames() const { return m_dropped.load(std::memory_order_relaxed); }

private:
    struct HeldChain {
        DescriptorChain chain;
        uint64_t capacity;  // writable bytes
    };

    Result<void> start() override;
    void stop() override;
    std::string_view queue_names() const override { return "receiveq1 and transmitq1"; }

    void process_transmit();
    void transmit(const DescriptorChain& chain);
    void process_receive();
    // Pops receive chains until the held ones can take `want` bytes; false on a bad chain.
    bool hold_receive_buffers(uint64_t want);
    // Returns the held chains that `length` bytes (already written) span to the driver.
    void complete_receive(uint64_t length);
    // Copies the frame waiting in the bounce buffer to guest buffers; false to wait for more.
    bool deliver_bounced();
    void drop_frame(std::string_view why);
    void poll_backend(bool enable);

    std::optional<Tap> m_tap;  // empty with an injected fd
    UniqueFd m_injected;
    int m_fd;
    std::string m_tap_name;
    std::array<uint8_t, 6> m_mac;

    // Set by start(), dropped by stop().
    bool m_backend_polled = false;
    bool m_backend_closed = false;  // an injected socket reached end of file

    // Receive state (loop thread only).
    std::deque<HeldChain> m_held;
    uint64_t m_held_capacity = 0;
    std::vector<uint8_t> m_bounce;           // kMaxFrame bytes, allocated on first use
    size_t m_bounced_length = 0;             // a frame waiting in m_bounce for guest buffers
    std::vector<uint8_t> m_transmit_bounce;  // for chains of more than IOV_MAX buffers
    std::atomic<uint64_t> m_dropped{0};
    bool m_logged_drop = false;
};

}  // namespace twinbox::virtio
