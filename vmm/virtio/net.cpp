// virtio-net backed by a TAP device (virtio 1.2 section 5.1). See net.h.
#include "vmm/virtio/net.h"

#include <fmt/format.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace twinbox::virtio {

namespace {

// Work done per event before the loop serves other devices. Level-triggered
// fds (the tap) fire again by themselves; for a queue, the device re-signals
// its own notify eventfd.
constexpr int kReceiveBudget = 256;
constexpr int kTransmitBudget = 256;

constexpr size_t kHeaderSize = sizeof(VirtioNetHeader);
constexpr uint64_t kNumBuffersOffset = offsetof(VirtioNetHeader, num_buffers);

std::string mac_text(const std::array<uint8_t, 6>& mac) {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3],
                       mac[4], mac[5]);
}

}  // namespace

Result<std::unique_ptr<NetDevice>> NetDevice::create(const NetConfig& config) {
    if (config.mac && ((*config.mac)[0] & 1))
        return Error::message(fmt::format(
            "MAC address {} is a multicast address - a network card needs a unicast one (first byte even, e.g. 02:...)",
            mac_text(*config.mac)));
    // Check the bridge before creating anything, so a typo leaves no tap behind.
    if (!config.bridge.empty())
        TRY(Tap::find_bridge(config.bridge));
    Tap tap = TRY(Tap::open(config.tap_name));
    if (!config.bridge.empty())
        TRY(tap.attach_to_bridge(config.bridge));
    TRY(tap.set_up());
    std::array<uint8_t, 6> mac = config.mac ? *config.mac : derive_mac(tap.name());
    log::info("virtio-net: tap {} ({}), guest MAC {}{}", tap.name(),
              tap.created() ? "created" : "existing", mac_text(mac),
              config.bridge.empty() ? "" : ", bridge " + config.bridge);
    return std::make_unique<NetDevice>(std::move(tap), mac);
}

NetDevice::NetDevice(UniqueFd backend, std::array<uint8_t, 6> mac)
    : m_injected(std::move(backend)), m_fd(m_injected.get()), m_mac(mac) {}

NetDevice::NetDevice(Tap tap, std::array<uint8_t, 6> mac)
    : m_tap(std::move(tap)), m_fd(m_tap->fd()), m_tap_name(m_tap->name()), m_mac(mac) {}

NetDevice::~NetDevice() {
    reset();
}

std::array<uint8_t, 6> NetDevice::derive_mac(std::string_view tap_name) {
    // FNV-1a: the same tap name gives the same MAC on every run, so the guest's
    // DHCP lease and the host's neighbour table stay valid across reboots.
    uint32_t hash = 2166136261u;
    for (char c : tap_name) {
        hash ^= static_cast<uint8_t>(c);
        hash *= 16777619u;
    }
    // 02: locally administered (bit 1), unicast (bit 0 clear); 74:62 is "tb".
    return {0x02,
            0x74,
            0x62,
            static_cast<uint8_t>(hash >> 16),
            static_cast<uint8_t>(hash >> 8),
            static_cast<uint8_t>(hash)};
}

uint64_t NetDevice::device_features() const {
    using namespace net_feature;
    return kCsum | kGuestCsum | kMac | kGuestTso4 | kGuestTso6 | kHostTso4 | kHostTso6 | kMrgRxbuf |
           kStatus;
}

void NetDevice::read_config(uint64_t offset, std::span<uint8_t> data) const {
    // Section 5.1.4: mac[6], then le16 status. The link is always up.
    std::array<uint8_t, 8> config{};
    std::copy(m_mac.begin(), m_mac.end(), config.begin());
    config[6] = kStatusLinkUp & 0xff;
    config[7] = kStatusLinkUp >> 8;
    std::fill(data.begin(), data.end(), 0);
    if (offset >= config.size())
        return;
    size_t length = std::min<size_t>(data.size(), config.size() - offset);
    std::copy_n(config.begin() + offset, length, data.begin());
}

Result<void> NetDevice::start() {
    if (m_tap)
        TRY(m_tap->set_offloads({
            .checksum = (acked_features() & net_feature::kGuestCsum) != 0,
            .tso4 = (acked_features() & net_feature::kGuestTso4) != 0,
            .tso6 = (acked_features() & net_feature::kGuestTso6) != 0,
        }));
    // New buffers: deliver a waiting frame, resume polling the tap.
    TRY(watch_queue(kReceiveQueue, [this] { process_receive(); }));
    TRY(watch_queue(kTransmitQueue, [this] { process_transmit(); }));
    TRY(watch(m_fd, [this] {
        if (!failed())
            process_receive();
    }));
    m_backend_polled = true;
    // Chains queued before DRIVER_OK are served now.
    notify(kTransmitQueue).signal();
    return {};
}

void NetDevice::stop() {
    m_backend_polled = false;
    m_held.clear();
    m_held_capacity = 0;
    m_bounced_length = 0;
}

void NetDevice::drop_frame(std::string_view why) {
    m_dropped.fetch_add(1, std::memory_order_relaxed);
    if (!m_logged_drop) {
        log::warn("{}: dropping a frame: {} (logged once)", name(), why);
        m_logged_drop = true;
    }
}

void NetDevice::poll_backend(bool enable) {
    if (enable == m_backend_polled || failed() || m_backend_closed)
        return;
    // Events 0 keeps the fd registered but silent: a tap with frames and no
    // guest buffers must not wake the loop again and again.
    if (auto result = loop().modify(m_fd, enable ? uint32_t{EPOLLIN} : 0u); !result) {
        log::error("{}: {}", name(), result.error().to_string());
        return;
    }
    m_backend_polled = enable;
}

// ---------------------------------------------------------------------------
// Transmit (section 5.1.6.2): the chain is header + frame, driver to device.
// ---------------------------------------------------------------------------

void NetDevice::process_transmit() {
    Virtqueue& queue = virtqueue(kTransmitQueue);
    for (int budget = kTransmitBudget;;) {
        if (budget-- == 0) {
            notify(kTransmitQueue).signal();  // more later; let receive run
            break;
        }
        auto popped = queue.pop();
        if (!popped)
            return fail(std::move(popped).error().with_context("transmit queue"));
        if (!popped.value()) {
            if (queue.enable_notification())
                continue;  // the driver added chains while we looked
            break;
        }
        const DescriptorChain& chain = *popped.value();
        transmit(chain);
        if (failed())
            return;
        if (auto result = queue.add_used(chain.head(), 0); !result)
            return fail(result.error());
        // Per chain, not per batch: the guest's TCP stack frees its socket buffers
        // on this interrupt (TCP small queues), so a late one stalls its sender.
        // EVENT_IDX keeps the ones the driver did not ask for away.
        signal_if_needed(queue);
    }
}

void NetDevice::transmit(const DescriptorChain& chain) {
    // Section 5.1.6.2: every transmitted frame starts with the header.
    if (chain.readable_bytes() < kHeaderSize)
        return fail(Error::message(fmt::format(
            "transmit chain {} holds {} bytes, less than the {}-byte virtio_net_hdr (virtio 1.2 section 5.1.6.2)",
            chain.head(), chain.readable_bytes(), kHeaderSize)));
    if (chain.readable_bytes() > kMaxFrame)
        return drop_frame(fmt::format("guest sent {} bytes, more than the {} a frame may have",
                                      chain.readable_bytes(), kMaxFrame));
    // The header maps 1:1 onto the tap's own (IFF_VNET_HDR, 12 bytes): one writev.
    std::vector<iovec> pieces = chain.readable_iovecs(0, chain.readable_bytes());
    if (pieces.size() > IOV_MAX) {
        m_transmit_bounce.resize(chain.readable_bytes());
        chain.read(0, m_transmit_bounce);
        pieces = {{m_transmit_bounce.data(), m_transmit_bounce.size()}};
    }
    ssize_t written;
    do {
        written = ::writev(m_fd, pieces.data(), static_cast<int>(pieces.size()));
    } while (written < 0 && errno == EINTR);
    // Like a NIC whose wire is busy, a frame the tap refuses is dropped (EAGAIN:
    // the host is not reading; EINVAL/EIO: a header the kernel rejects).
    if (written < 0)
        drop_frame(fmt::format("writev to the tap: {}", std::strerror(errno)));
}

// ---------------------------------------------------------------------------
// Receive (sections 5.1.6.3-5.1.6.4): tap frames into the guest's buffers.
// ---------------------------------------------------------------------------

bool NetDevice::hold_receive_buffers(uint64_t want) {
    Virtqueue& queue = virtqueue(kReceiveQueue);
    bool mergeable = (acked_features() & net_feature::kMrgRxbuf) != 0;
    while (m_held_capacity < want) {
        if (!mergeable && !m_held.empty())
            break;  // without MRG_RXBUF a frame goes into exactly one chain
        auto popped = queue.pop();
        if (!popped) {
            fail(std::move(popped).error().with_context("receive queue"));
            return false;
        }
        if (!popped.value()) {
            if (queue.enable_notification())
                continue;
            break;  // the driver will notify when it adds buffers
        }
        DescriptorChain& chain = *popped.value();
        // Section 5.1.6.3.1: receive buffers are device-writable and each is at
        // least as large as the header, which must never straddle two chains.
        if (chain.readable_bytes() != 0 || chain.writable_bytes() < kHeaderSize) {
            fail(Error::message(fmt::format(
                "receive chain {} has {} device-readable and {} device-writable bytes; it must be writable only and hold at least the {}-byte header (virtio 1.2 section 5.1.6.3.1)",
                chain.head(), chain.readable_bytes(), chain.writable_bytes(), kHeaderSize)));
            return false;
        }
        uint64_t capacity = chain.writable_bytes();
        m_held_capacity += capacity;
        m_held.push_back({std::move(chain), capacity});
    }
    return true;
}

void NetDevice::complete_receive(uint64_t length) {
    Virtqueue& queue = virtqueue(kReceiveQueue);
    // Which chains the frame spans, front first; each gets what it holds.
    size_t spanned = 0;
    for (uint64_t covered = 0; covered < length && spanned < m_held.size(); ++spanned)
        covered += m_held[spanned].capacity;
    spanned = std::max<size_t>(spanned, 1);
    const DescriptorChain& first = m_held.front().chain;
    uint16_t buffers = static_cast<uint16_t>(spanned);  // <= queue size <= 32768
    uint8_t count[2] = {static_cast<uint8_t>(buffers), static_cast<uint8_t>(buffers >> 8)};
    first.write(kNumBuffersOffset, count);
    if ((acked_features() & net_feature::kGuestCsum) == 0) {
        // Section 5.1.6.4.1: without GUEST_CSUM the device must set flags to zero.
        uint8_t flags = 0;
        first.write(0, {&flags, 1});
    }
    uint64_t remaining = length;
    for (size_t i = 0; i < spanned; ++i) {
        HeldChain held = std::move(m_held.front());
        m_held.pop_front();
        m_held_capacity -= held.capacity;
        uint64_t written = std::min(remaining, held.capacity);
        remaining -= written;
        if (auto result = queue.add_used(held.chain.head(), static_cast<uint32_t>(written));
            !result)
            return fail(result.error());
    }
}

void NetDevice::process_receive() {
    Virtqueue& queue = virtqueue(kReceiveQueue);
    bool keep_polling = true;
    for (int frame = 0; frame < kReceiveBudget && !failed(); ++frame) {
        if (m_bounced_length > 0) {
            if (!deliver_bounced()) {
                keep_polling = false;  // wait for the driver's buffers
                break;
            }
            if (!failed())
                signal_if_needed(queue);
            continue;
        }
        if (!hold_receive_buffers(NetDevice::kMaxFrame))
            break;
        if (m_held.empty()) {
            keep_polling = false;  // no buffers at all: wait for the driver
            break;
        }
        // One readv straight into guest memory when the buffers can take any frame.
        std::vector<iovec> pieces;
        uint64_t direct = 0;
        for (const HeldChain& held : m_held) {
            for (const iovec& piece : held.chain.writable_iovecs(0, held.capacity)) {
                if (pieces.size() == IOV_MAX)
                    break;
                pieces.push_back(piece);
                direct += piece.iov_len;
            }
        }
        ssize_t length;
        if (direct >= kMaxFrame) {
            length = ::readv(m_fd, pieces.data(), static_cast<int>(pieces.size()));
        } else {
            m_bounce.resize(kMaxFrame);
            length = ::read(m_fd, m_bounce.data(), m_bounce.size());
        }
        if (length < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log::warn("{}: reading the tap: {}", name(), std::strerror(errno));
            break;  // no frame waiting: epoll tells us when one comes
        }
        if (length == 0) {
            // End of file: only an injected socket whose peer closed does this
            // (a tap never does). Stop watching it, or its hang-up would spin the loop.
            unwatch(m_fd);
            m_backend_polled = false;
            m_backend_closed = true;
            break;
        }
        if (static_cast<size_t>(length) < kHeaderSize) {
            drop_frame("backend frame shorter than the virtio_net_hdr");  // not from a tap
            continue;
        }
        if (direct >= kMaxFrame) {
            complete_receive(static_cast<uint64_t>(length));
            // Per frame, as QEMU does: the guest starts on this frame while we read
            // the next (with NAPI it masks further interrupts through used_event).
            if (!failed())
                signal_if_needed(queue);
        } else {
            m_bounced_length = static_cast<size_t>(length);
        }
    }
    poll_backend(keep_polling);
    if (!failed())
        signal_if_needed(queue);
}

bool NetDevice::deliver_bounced() {
    uint64_t length = m_bounced_length;
    if (!hold_receive_buffers(length))
        return false;
    bool mergeable = (acked_features() & net_feature::kMrgRxbuf) != 0;
    uint16_t queue_size = virtqueue(kReceiveQueue).size();
    if (m_held.empty())
        return false;
    if (!mergeable && m_held.front().capacity < length) {
        // One chain must take the whole frame; the driver's buffers are too small
        // for it (a host MTU above what the guest negotiated).
        m_bounced_length = 0;
        drop_frame(fmt::format("a {}-byte frame does not fit the guest's {}-byte buffer", length,
                               m_held.front().capacity));
        return true;
    }
    if (mergeable && m_held_capacity < length) {
        if (m_held.size() < queue_size)
            return false;  // the driver can still add buffers
        m_bounced_length = 0;
        drop_frame(fmt::format("a {}-byte frame is larger than the whole receive queue ({} bytes)",
                               length, m_held_capacity));
        return true;
    }
    uint64_t copied = 0;
    for (const HeldChain& held : m_held) {
        if (copied == length)
            break;
        uint64_t take = std::min(length - copied, held.capacity);
        held.chain.write(0, {m_bounce.data() + copied, take});
        copied += take;
    }
    m_bounced_length = 0;
    complete_receive(length);
    return true;
}

}  // namespace twinbox::virtio
