// virtio-net (vmm/virtio/net.cpp) driven by hand-built rings in fake guest
// memory. The back end is an AF_UNIX SOCK_SEQPACKET pair, which moves whole
// frames per read and write like a tap: the test plays the host network on
// one end, the device owns the other. Tests with a real TAP device run as
// root in a private network namespace, and skip with the reason otherwise.
#include "vmm/virtio/net.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "host/network/links.h"
#include "tests/unit/vmm/virtio/ring_builder.h"
#include "tests/unit/vmm/virtio/virtio_fakes.h"
#include "vmm/virtio/tap.h"

namespace twinbox::test {
namespace {

using virtio::NetDevice;
using virtio::VirtioNetHeader;
namespace net_feature = virtio::net_feature;

constexpr std::array<uint8_t, 6> kMac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
constexpr uint64_t kAllFeatures = net_feature::kMrgRxbuf | net_feature::kGuestCsum |
                                  net_feature::kCsum | net_feature::kMac | net_feature::kStatus |
                                  virtio::feature::kVersion1;

bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return condition();
}

std::vector<uint8_t> pattern(size_t length, uint8_t seed) {
    std::vector<uint8_t> bytes(length);
    for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
    return bytes;
}

// A header + frame as the tap would hand it over.
std::vector<uint8_t> tap_frame(size_t frame_length, uint8_t seed, uint8_t flags = 0) {
    VirtioNetHeader header{};
    header.flags = flags;
    std::vector<uint8_t> bytes(sizeof header);
    std::memcpy(bytes.data(), &header, sizeof header);
    auto frame = pattern(frame_length, seed);
    bytes.insert(bytes.end(), frame.begin(), frame.end());
    return bytes;
}

// Guest memory, receive and transmit rings, a socket back end, the device.
class NetDeviceTest : public ::testing::Test {
protected:
    static constexpr uint16_t kQueueSize = 256;

    void SetUp() override {
        int pair[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
        host.reset(pair[0]);
        // Room for several 64 KiB frames in flight on the host side.
        int size = 4 << 20;
        ::setsockopt(host.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        ::setsockopt(pair[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        device = std::make_unique<NetDevice>(UniqueFd(pair[1]), kMac);
        ASSERT_TRUE(loop->start());
    }

    void TearDown() override { device.reset(); }

    // Rings other than the fixture's two may be given (a driver that set up new ones).
    Result<void> activate(uint64_t features, bool event_idx = false,
                          const RingBuilder* receive_ring = nullptr,
                          const RingBuilder* transmit_ring = nullptr) {
        const RingBuilder& rx = receive_ring ? *receive_ring : receive;
        const RingBuilder& tx = transmit_ring ? *transmit_ring : transmit;
        std::vector<virtio::ActiveQueue> queues;
        queues.push_back(
            {TRY(virtio::Virtqueue::create(memory, rx.config(), event_idx)), &receive_notify});
        queues.push_back(
            {TRY(virtio::Virtqueue::create(memory, tx.config(), event_idx)), &transmit_notify});
        return device->activate({memory, std::move(queues), features, interrupt, *loop});
    }

    // Guest data buffers all come from `receive`'s allocator, so they never overlap.
    uint64_t place(std::span<const uint8_t> bytes) { return receive.place(bytes); }
    uint64_t allocate(uint64_t length) { return receive.allocate(length); }

    // Posts `count` receive chains of `length` writable bytes; returns their addresses.
    std::vector<uint64_t> post_receive_buffers(int count, uint32_t length) {
        std::vector<uint64_t> addresses;
        for (int i = 0; i < count; ++i) {
            uint64_t address = allocate(length);
            receive.add_chain({{address, length, true}});
            addresses.push_back(address);
        }
        receive.publish();
        receive_notify.signal();
        return addresses;
    }

    void host_send(const std::vector<uint8_t>& bytes) {
        ASSERT_EQ(::send(host.get(), bytes.data(), bytes.size(), 0),
                  static_cast<ssize_t>(bytes.size()));
    }

    std::vector<uint8_t> host_receive() {
        std::vector<uint8_t> bytes(NetDevice::kMaxFrame + 16);
        ssize_t length = -1;
        eventually([&] {
            length = ::recv(host.get(), bytes.data(), bytes.size(), 0);
            return length >= 0;
        });
        bytes.resize(length < 0 ? 0 : static_cast<size_t>(length));
        return bytes;
    }

    bool wait_receive_used(uint16_t index) {
        return eventually([&] { return receive.used_index() == index; });
    }

    GuestMemory memory = GuestMemory::create(16ull << 20).release_value();
    RingBuilder receive{memory, kQueueSize, RingBuilder::kRingBase};
    RingBuilder transmit{memory, kQueueSize, RingBuilder::kRingBase + 0x8000};
    EventFd receive_notify = EventFd::create().release_value();
    EventFd transmit_notify = EventFd::create().release_value();
    std::unique_ptr<virtio::EventLoop> loop = virtio::EventLoop::create().release_value();
    std::shared_ptr<FakeInterrupt> interrupt = std::make_shared<FakeInterrupt>();
    UniqueFd host;
    std::unique_ptr<NetDevice> device;
};

TEST_F(NetDeviceTest, OffersOffloadsMergeableBuffersMacAndStatus) {
    uint64_t features = device->device_features();
    for (uint64_t bit : {net_feature::kCsum, net_feature::kGuestCsum, net_feature::kMac,
                         net_feature::kGuestTso4, net_feature::kGuestTso6, net_feature::kHostTso4,
                         net_feature::kHostTso6, net_feature::kMrgRxbuf, net_feature::kStatus})
        EXPECT_TRUE(features & bit) << "feature bit " << __builtin_ctzll(bit);
    EXPECT_EQ(device->queue_count(), 2u);
    EXPECT_EQ(device->device_id(), virtio::DeviceId::net);
}

TEST_F(NetDeviceTest, ConfigSpaceHoldsMacThenLinkUpStatus) {
    std::array<uint8_t, 8> config{};
    device->read_config(0, config);
    EXPECT_EQ((std::array<uint8_t, 8>{0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 1, 0}), config);
    // A 2-byte read of the status field, and reads past the end are zero.
    std::array<uint8_t, 2> status{0xff, 0xff};
    device->read_config(6, status);
    EXPECT_EQ(status[0], NetDevice::kStatusLinkUp);
    std::array<uint8_t, 4> beyond{0xff, 0xff, 0xff, 0xff};
    device->read_config(7, beyond);
    EXPECT_EQ((std::array<uint8_t, 4>{0, 0, 0, 0}), beyond);
    device->read_config(1ull << 40, beyond);
    EXPECT_EQ((std::array<uint8_t, 4>{0, 0, 0, 0}), beyond);
}

TEST_F(NetDeviceTest, DerivedMacIsLocallyAdministeredUnicastAndStable) {
    auto mac = NetDevice::derive_mac("twinbox0");
    EXPECT_EQ(mac[0] & 1, 0) << "unicast";
    EXPECT_EQ(mac[0] & 2, 2) << "locally administered";
    EXPECT_EQ(mac, NetDevice::derive_mac("twinbox0"));
    EXPECT_NE(mac, NetDevice::derive_mac("twinbox1"));
}

TEST_F(NetDeviceTest, ActivateNeedsBothQueues) {
    std::vector<virtio::ActiveQueue> queues;
    queues.push_back({virtio::Virtqueue::create(memory, receive.config(), false).release_value(),
                      &receive_notify});
    auto result = device->activate({memory, std::move(queues), kAllFeatures, interrupt, *loop});
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().to_string().find("receiveq1 and transmitq1"), std::string::npos);
}

TEST_F(NetDeviceTest, TransmitWritesHeaderAndFrameInOneMessage) {
    ASSERT_TRUE(activate(kAllFeatures));
    // Header and frame split over three buffers, as Linux may do with a fragmented skb.
    auto bytes = tap_frame(1500, 3);
    uint64_t header = place({bytes.data(), 12});
    uint64_t first = place({bytes.data() + 12, 100});
    uint64_t rest = place({bytes.data() + 112, bytes.size() - 112});
    uint16_t head = transmit.add_chain({{header, 12, false},
                                        {first, 100, false},
                                        {rest, static_cast<uint32_t>(bytes.size() - 112), false}});
    transmit.publish();
    transmit_notify.signal();
    EXPECT_EQ(host_receive(), bytes);
    ASSERT_TRUE(eventually([&] { return transmit.used_index() == 1; }));
    EXPECT_EQ(transmit.used_entry(0).id, head);
    EXPECT_EQ(transmit.used_entry(0).length, 0u);
    EXPECT_TRUE(interrupt->wait_used(1));
    EXPECT_EQ(interrupt->needs_reset(), 0);
}

TEST_F(NetDeviceTest, TransmitsManyFramesInOrder) {
    ASSERT_TRUE(activate(kAllFeatures));
    constexpr int kFrames = 100;
    std::vector<std::vector<uint8_t>> sent;
    for (int i = 0; i < kFrames; ++i) {
        sent.push_back(tap_frame(60 + i, static_cast<uint8_t>(i)));
        uint64_t address = place(sent.back());
        transmit.add_chain({{address, static_cast<uint32_t>(sent.back().size()), false}});
    }
    transmit.publish();
    transmit_notify.signal();
    for (int i = 0; i < kFrames; ++i) ASSERT_EQ(host_receive(), sent[i]) << "frame " << i;
    ASSERT_TRUE(eventually([&] { return transmit.used_index() == kFrames; }));
}

TEST_F(NetDeviceTest, ReceiveWithoutMergeableBuffersUsesOneChainPerFrame) {
    ASSERT_TRUE(activate(kAllFeatures & ~net_feature::kMrgRxbuf));
    auto buffers = post_receive_buffers(2, 1526);  // section 5.1.6.3.1's minimum
    auto frame = tap_frame(1514, 9, /*flags=*/2 /* DATA_VALID */);
    host_send(frame);
    ASSERT_TRUE(wait_receive_used(1));
    EXPECT_EQ(receive.used_entry(0).length, frame.size());
    auto got = receive.read(buffers[0], frame.size());
    EXPECT_EQ(got[10] | got[11] << 8, 1) << "num_buffers is 1 without MRG_RXBUF";
    got[10] = got[11] = 0;
    EXPECT_EQ(got, frame);
    EXPECT_TRUE(interrupt->wait_used(1));
}

TEST_F(NetDeviceTest, ReceiveMergeableFrameSpansSeveralBuffers) {
    ASSERT_TRUE(activate(kAllFeatures));
    // 50 buffers of 1536 bytes: enough for a 64 KiB frame, so the device reads directly.
    auto buffers = post_receive_buffers(50, 1536);
    auto frame = tap_frame(4000 - 12, 5);
    host_send(frame);
    ASSERT_TRUE(wait_receive_used(3));
    EXPECT_EQ(receive.used_entry(0).length, 1536u);
    EXPECT_EQ(receive.used_entry(1).length, 1536u);
    EXPECT_EQ(receive.used_entry(2).length, 4000u - 2 * 1536);
    std::vector<uint8_t> got;
    for (int i = 0; i < 3; ++i) {
        auto part = receive.read(buffers[receive.used_entry(i).id], receive.used_entry(i).length);
        got.insert(got.end(), part.begin(), part.end());
    }
    EXPECT_EQ(got[10] | got[11] << 8, 3) << "num_buffers";
    got[10] = got[11] = 0;
    EXPECT_EQ(got, frame);

    // The next frame starts in the next unused buffer.
    auto second = tap_frame(100, 77);
    host_send(second);
    ASSERT_TRUE(wait_receive_used(4));
    EXPECT_EQ(receive.used_entry(3).id, 3u);
    EXPECT_EQ(receive.used_entry(3).length, second.size());
}

TEST_F(NetDeviceTest, ReceiveLargeGsoFrameIntoFewBuffersGoesThroughBounceBuffer) {
    ASSERT_TRUE(activate(kAllFeatures | net_feature::kGuestTso4));
    // 8 x 4 KiB = 32 KiB: less than kMaxFrame, so the device cannot read directly.
    post_receive_buffers(8, 4096);
    auto frame = tap_frame(20000, 1);
    host_send(frame);
    ASSERT_TRUE(wait_receive_used(5));  // 20012 bytes over 4096-byte buffers
    std::vector<uint8_t> got;
    for (int i = 0; i < 5; ++i) {
        auto entry = receive.used_entry(i);
        auto part = receive.read(RingBuilder::kDataBase + 4096ull * entry.id, entry.length);
        got.insert(got.end(), part.begin(), part.end());
    }
    got[10] = got[11] = 0;
    EXPECT_EQ(got, frame);
}

TEST_F(NetDeviceTest, FrameWaitsForBuffersAndIsDeliveredAfterTheDriverAddsSome) {
    ASSERT_TRUE(activate(kAllFeatures));
    auto frame = tap_frame(300, 4);
    host_send(frame);
    // No buffers: nothing is used, nothing fails, and the frame stays queued.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(receive.used_index(), 0);
    EXPECT_EQ(interrupt->needs_reset(), 0);
    auto buffers = post_receive_buffers(64, 2048);
    ASSERT_TRUE(wait_receive_used(1));
    auto got = receive.read(buffers[0], frame.size());
    got[10] = got[11] = 0;
    EXPECT_EQ(got, frame);
    EXPECT_EQ(device->dropped_frames(), 0u);
}

TEST_F(NetDeviceTest, ReceiveClearsChecksumFlagsWithoutGuestCsum) {
    ASSERT_TRUE(activate(kAllFeatures & ~net_feature::kGuestCsum));
    auto buffers = post_receive_buffers(64, 2048);
    host_send(tap_frame(100, 2, /*flags=*/1 /* NEEDS_CSUM */));
    ASSERT_TRUE(wait_receive_used(1));
    EXPECT_EQ(receive.read(buffers[0], 1)[0], 0) << "section 5.1.6.4.1: flags must be zero";
}

TEST_F(NetDeviceTest, FrameTooBigForOneBufferIsDroppedWithoutMergeableBuffers) {
    ASSERT_TRUE(activate(kAllFeatures & ~net_feature::kMrgRxbuf));
    post_receive_buffers(4, 1526);
    host_send(tap_frame(3000, 1));  // a jumbo frame the guest cannot take
    auto small = tap_frame(64, 2);
    host_send(small);
    ASSERT_TRUE(wait_receive_used(1));
    EXPECT_EQ(receive.used_entry(0).length, small.size());
    EXPECT_EQ(device->dropped_frames(), 1u);
    EXPECT_EQ(interrupt->needs_reset(), 0);
}

TEST_F(NetDeviceTest, EventIdxSuppressesInterruptsAndPublishesAvailEvent) {
    ASSERT_TRUE(activate(kAllFeatures, /*event_idx=*/true));
    transmit.set_used_event(10);  // "interrupt me when used idx passes 10"
    auto bytes = tap_frame(60, 1);
    uint64_t address = place(bytes);
    transmit.add_chain({{address, static_cast<uint32_t>(bytes.size()), false}});
    transmit.publish();
    transmit_notify.signal();
    EXPECT_EQ(host_receive(), bytes);
    ASSERT_TRUE(eventually([&] { return transmit.used_index() == 1; }));
    EXPECT_TRUE(eventually([&] { return transmit.available_event() == 1; }))
        << "after draining, avail_event asks for a notification at the next chain";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(interrupt->used(), 0);
}

// ---------------------------------------------------------------------------
// Hostile drivers: one needs-reset signal, no crash, no further work.
// ---------------------------------------------------------------------------

TEST_F(NetDeviceTest, TransmitChainShorterThanTheHeaderNeedsReset) {
    ASSERT_TRUE(activate(kAllFeatures));
    uint64_t address = allocate(8);
    transmit.add_chain({{address, 8, false}});
    transmit.add_chain({{address, 8, false}});
    transmit.publish();
    transmit_notify.signal();
    ASSERT_TRUE(interrupt->wait_needs_reset());
    transmit_notify.signal();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(interrupt->needs_reset(), 1) << "signalled once";
    EXPECT_EQ(transmit.used_index(), 0);
    char byte;
    EXPECT_LT(::recv(host.get(), &byte, 1, 0), 0) << "nothing reached the host";
}

TEST_F(NetDeviceTest, ReceiveChainWithReadableBufferNeedsReset) {
    ASSERT_TRUE(activate(kAllFeatures));
    uint64_t address = allocate(2048);
    receive.add_chain({{address, 64, false}, {address + 64, 1984, true}});
    receive.publish();
    host_send(tap_frame(100, 1));
    receive_notify.signal();
    ASSERT_TRUE(interrupt->wait_needs_reset());
    EXPECT_EQ(receive.used_index(), 0);
}

TEST_F(NetDeviceTest, ReceiveBufferOutsideGuestRamNeedsReset) {
    ASSERT_TRUE(activate(kAllFeatures));
    receive.add_chain({{memory.size() - 100, 2048, true}});  // runs off the end of RAM
    receive.publish();
    receive_notify.signal();
    host_send(tap_frame(100, 1));
    ASSERT_TRUE(interrupt->wait_needs_reset());
    EXPECT_EQ(interrupt->needs_reset(), 1);
}

TEST_F(NetDeviceTest, ReceiveBufferSmallerThanTheHeaderNeedsReset) {
    ASSERT_TRUE(activate(kAllFeatures));
    receive.add_chain({{allocate(8), 8, true}});
    receive.publish();
    receive_notify.signal();
    host_send(tap_frame(100, 1));
    ASSERT_TRUE(interrupt->wait_needs_reset());
}

TEST_F(NetDeviceTest, ResetAfterFailureAllowsAFreshActivation) {
    ASSERT_TRUE(activate(kAllFeatures));
    uint64_t address = allocate(8);
    transmit.add_chain({{address, 8, false}});
    transmit.publish();
    transmit_notify.signal();
    ASSERT_TRUE(interrupt->wait_needs_reset());
    device->reset();

    // The driver sets up fresh rings and the device works again.
    RingBuilder new_receive(memory, kQueueSize, RingBuilder::kRingBase + 0x10000);
    RingBuilder new_transmit(memory, kQueueSize, RingBuilder::kRingBase + 0x18000);
    ASSERT_TRUE(activate(kAllFeatures, false, &new_receive, &new_transmit));
    auto bytes = tap_frame(80, 8);
    uint64_t frame = place(bytes);
    new_transmit.add_chain({{frame, static_cast<uint32_t>(bytes.size()), false}});
    new_transmit.publish();
    transmit_notify.signal();
    EXPECT_EQ(host_receive(), bytes);
}

// ---------------------------------------------------------------------------
// A real TAP device, in a network namespace of its own (root only).
// ---------------------------------------------------------------------------

// Runs `body` on a thread that has unshared its network namespace, so the
// taps and bridges it makes vanish with it and never touch the host's network.
// Returns a reason to skip, or "".
std::string in_private_network_namespace(const std::function<void()>& body) {
    if (::geteuid() != 0)
        return "needs root (CAP_NET_ADMIN) for a TAP device and a network namespace";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0)
        return "no /dev/net/tun";
    std::string skip;
    std::thread thread([&] {
        // unshare(CLONE_NEWNET) moves only this thread; the fds it opens stay in the new
        // namespace, which ends when the thread and its fds are gone.
        if (::unshare(CLONE_NEWNET) != 0) {
            skip = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
            return;
        }
        body();
    });
    thread.join();
    return skip;
}

bool link_exists(const char* name) {
    return ::if_nametoindex(name) != 0;
}

int run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str());
}

TEST(TapTest, CreatedTapVanishesWithItsFd) {
    auto skip = in_private_network_namespace([] {
        {
            auto tap = virtio::Tap::open("tbxtest0");
            ASSERT_TRUE(tap) << tap.error().to_string();
            EXPECT_TRUE(tap->created());
            EXPECT_EQ(tap->name(), "tbxtest0");
            EXPECT_TRUE(link_exists("tbxtest0"));
            ASSERT_TRUE(tap->set_up());
            auto netlink = network::RouteSocket::open().release_value();
            auto link = netlink.find_link("tbxtest0").release_value();
            ASSERT_TRUE(link);
            EXPECT_EQ(link->kind, "tun");
            EXPECT_TRUE(link->flags & IFF_UP);
            EXPECT_TRUE(tap->set_offloads({.checksum = true, .tso4 = true, .tso6 = true}));
        }
        EXPECT_FALSE(link_exists("tbxtest0")) << "a tap twinbox created is gone with its fd";

        auto unnamed = virtio::Tap::open("");
        ASSERT_TRUE(unnamed) << unnamed.error().to_string();
        EXPECT_EQ(unnamed->name().rfind("twinbox", 0), 0u) << unnamed->name();
    });
    if (!skip.empty())
        GTEST_SKIP() << skip;
}

TEST(TapTest, NameInUseIsRefusedClearly) {
    auto skip = in_private_network_namespace([] {
        auto not_a_tap = virtio::Tap::open("lo");
        ASSERT_FALSE(not_a_tap);
        EXPECT_NE(not_a_tap.error().to_string().find("already exists and is not a tap"),
                  std::string::npos)
            << not_a_tap.error().to_string();

        auto first = virtio::Tap::open("tbxbusy");
        ASSERT_TRUE(first);
        auto second = virtio::Tap::open("tbxbusy");
        ASSERT_FALSE(second);
        EXPECT_NE(second.error().to_string().find("tap tbxbusy is in use"), std::string::npos)
            << second.error().to_string();

        auto too_long = virtio::Tap::open("a-name-much-too-long-for-linux");
        ASSERT_FALSE(too_long);
    });
    if (!skip.empty())
        GTEST_SKIP() << skip;
}

TEST(TapTest, ExistingPersistentTapIsUsedAndLeftInPlace) {
    auto skip = in_private_network_namespace([] {
        ASSERT_EQ(run("ip tuntap add tbxkeep mode tap"), 0);
        {
            auto tap = virtio::Tap::open("tbxkeep");
            ASSERT_TRUE(tap) << tap.error().to_string();
            EXPECT_FALSE(tap->created());
        }
        EXPECT_TRUE(link_exists("tbxkeep")) << "an existing tap stays";
        run("ip tuntap del tbxkeep mode tap");
    });
    if (!skip.empty())
        GTEST_SKIP() << skip;
}

TEST(TapTest, BridgeMustExistAndBeABridge) {
    auto skip = in_private_network_namespace([] {
        auto tap = virtio::Tap::open("tbxbr");
        ASSERT_TRUE(tap);
        auto missing = tap->attach_to_bridge("tbxnobr");
        ASSERT_FALSE(missing);
        EXPECT_EQ(
            missing.error().to_string(),
            "bridge tbxnobr does not exist - create it with 'ip link add tbxnobr type bridge'");
        auto not_bridge = tap->attach_to_bridge("lo");
        ASSERT_FALSE(not_bridge);
        EXPECT_NE(not_bridge.error().to_string().find("is not a bridge"), std::string::npos);

        ASSERT_EQ(run("ip link add tbxbr0 type bridge"), 0);
        ASSERT_TRUE(tap->attach_to_bridge("tbxbr0"));
        auto netlink = network::RouteSocket::open().release_value();
        auto bridge = netlink.find_link("tbxbr0").release_value();
        auto link = netlink.find_link("tbxbr").release_value();
        ASSERT_TRUE(bridge && link);
        EXPECT_EQ(bridge->kind, "bridge");
        EXPECT_EQ(link->master_index, bridge->index);
    });
    if (!skip.empty())
        GTEST_SKIP() << skip;
}

TEST(TapTest, BridgeMissingLeavesNoTapBehind) {
    auto skip = in_private_network_namespace([] {
        NetConfig config;
        config.tap_name = "tbxgone";
        config.bridge = "tbxnobr";
        auto device = NetDevice::create(config);
        ASSERT_FALSE(device);
        EXPECT_EQ(
            device.error().to_string(),
            "bridge tbxnobr does not exist - create it with 'ip link add tbxnobr type bridge'");
        EXPECT_FALSE(link_exists("tbxgone"));
    });
    if (!skip.empty())
        GTEST_SKIP() << skip;
}

// ARP through a real tap: the guest asks "who has 10.99.0.1?", the host
// kernel (which owns that address on the tap) answers to the guest's MAC.
TEST(TapTest, GuestArpRequestGetsTheHostKernelsReply) {
    auto skip = in_private_network_namespace([] {
        NetConfig config;
        config.tap_name = "tbxarp";
        config.mac = kMac;
        auto created = NetDevice::create(config);
        ASSERT_TRUE(created) << created.error().to_string();
        std::unique_ptr<NetDevice> device = std::move(created).value();
        ASSERT_EQ(run("ip addr add 10.99.0.1/24 dev tbxarp"), 0);

        auto memory = GuestMemory::create(8ull << 20).release_value();
        RingBuilder receive(memory, 256, RingBuilder::kRingBase);
        RingBuilder transmit(memory, 256, RingBuilder::kRingBase + 0x8000);
        auto receive_notify = EventFd::create().release_value();
        auto transmit_notify = EventFd::create().release_value();
        auto loop = virtio::EventLoop::create().release_value();
        ASSERT_TRUE(loop->start());
        auto interrupt = std::make_shared<FakeInterrupt>();
        std::vector<virtio::ActiveQueue> queues;
        queues.push_back({virtio::Virtqueue::create(memory, receive.config(), true).release_value(),
                          &receive_notify});
        queues.push_back(
            {virtio::Virtqueue::create(memory, transmit.config(), true).release_value(),
             &transmit_notify});
        ASSERT_TRUE(device->activate({memory, std::move(queues),
                                      kAllFeatures | net_feature::kGuestTso4 |
                                          net_feature::kGuestTso6 | net_feature::kHostTso4,
                                      interrupt, *loop}));
        for (int i = 0; i < 64; ++i) receive.add_chain({{receive.allocate(2048), 2048, true}});
        receive.publish();
        receive_notify.signal();

        // virtio_net_hdr (zero) + Ethernet broadcast + ARP request (RFC 826).
        std::vector<uint8_t> request(12, 0);
        std::vector<uint8_t> frame = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        frame.insert(frame.end(), kMac.begin(), kMac.end());
        std::vector<uint8_t> arp = {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1};
        frame.insert(frame.end(), arp.begin(), arp.end());
        frame.insert(frame.end(), kMac.begin(), kMac.end());
        frame.insert(frame.end(), {10, 99, 0, 2, 0, 0, 0, 0, 0, 0, 10, 99, 0, 1});
        request.insert(request.end(), frame.begin(), frame.end());
        uint64_t address = receive.place(request);
        transmit.add_chain({{address, static_cast<uint32_t>(request.size()), false}});
        transmit.publish();
        transmit_notify.signal();

        ASSERT_TRUE(eventually([&] {
            for (uint16_t i = 0; i < receive.used_index(); ++i) {
                auto entry = receive.used_entry(i);
                auto bytes =
                    receive.read(RingBuilder::kDataBase + 2048ull * entry.id, entry.length);
                // An ARP reply (opcode 2) addressed to the guest's MAC.
                if (bytes.size() >= 12 + 42 &&
                    std::equal(kMac.begin(), kMac.end(), bytes.begin() + 12) &&
                    bytes[12 + 12] == 0x08 && bytes[12 + 13] == 0x06 && bytes[12 + 21] == 2)
                    return true;
            }
            return false;
        })) << "no ARP reply from the host kernel";
        device->reset();
    });
    if (!skip.empty())
        GTEST_SKIP() << skip;
}

}  // namespace
}  // namespace twinbox::test
