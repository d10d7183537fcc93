// LifecycleDevice: activation, reset and the failed state every virtio
// device shares (virtio 1.2 sections 2.1.2, 2.4, 3.1), checked with a
// minimal one-queue device that returns every chain it is given.
#include "vmm/virtio/lifecycle_device.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/unit/vmm/virtio/virtio_fakes.h"

namespace twinbox::virtio {
namespace {

using test::DeviceHarness;

class EchoDevice final : public LifecycleDevice {
public:
    ~EchoDevice() override { reset(); }

    DeviceId device_id() const override { return DeviceId::entropy; }
    std::string_view name() const override { return "echo"; }
    uint64_t device_features() const override { return 0; }
    size_t queue_count() const override { return 1; }
    void read_config(uint64_t, std::span<uint8_t>) const override {}

    std::atomic<int> starts{0};
    std::atomic<int> stops{0};
    std::atomic<int> chains{0};
    bool refuse_start = false;
    using LifecycleDevice::fail;  // lets a test break the device by hand

private:
    Result<void> start() override {
        ++starts;
        if (refuse_start)
            return Error::message("the backend is gone");
        return watch_queue(0, [this] { process(); });
    }
    void stop() override { ++stops; }
    std::string_view queue_names() const override { return "echoq"; }

    void process() {
        Virtqueue& queue = virtqueue(0);
        for (;;) {
            auto popped = queue.pop();
            if (!popped)
                return fail(popped.error());
            if (!popped->has_value())
                break;
            ++chains;
            if (auto added = queue.add_used((*popped)->head(), 0); !added)
                return fail(added.error());
        }
        signal_if_needed(queue);
    }
};

class LifecycleDeviceTest : public ::testing::Test {
protected:
    DeviceHarness harness;
    EchoDevice device;

    uint16_t add_good_chain() {
        return harness.ring.add_chain({{harness.ring.allocate(16), 16, false}});
    }
    // Offers a chain that runs off the end of guest RAM (the queue refuses
    // it) and waits for the device to ask for a reset.
    bool break_device() {
        harness.ring.add_chain({{DeviceHarness::kMemorySize - 8, 64, false}});
        harness.ring.publish();
        harness.notify.signal();
        return harness.interrupt->wait_needs_reset();
    }
};

TEST_F(LifecycleDeviceTest, ActivateServesTheQueue) {
    ASSERT_TRUE(harness.activate(device));
    EXPECT_TRUE(device.active());
    add_good_chain();
    ASSERT_TRUE(harness.kick_and_wait(1));
    EXPECT_EQ(device.chains, 1);
}

TEST_F(LifecycleDeviceTest, ActivatingTwiceStartsAfresh) {
    ASSERT_TRUE(harness.activate(device));
    ASSERT_TRUE(harness.activate(device));  // DRIVER_OK again without a reset in between
    EXPECT_EQ(device.starts, 2);
    EXPECT_EQ(device.stops, 1) << "the first activation was stopped before the second";
    add_good_chain();
    ASSERT_TRUE(harness.kick_and_wait(1));
    EXPECT_EQ(device.chains, 1) << "one watch on the queue, not two";
}

TEST_F(LifecycleDeviceTest, TheWrongNumberOfQueuesIsRefused) {
    auto refused = device.activate({harness.memory, {}, 0, harness.interrupt, *harness.loop});
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().to_string().find("set up 0 queues; the device needs 1 (echoq)"),
              std::string::npos)
        << refused.error().to_string();
    EXPECT_FALSE(device.active());
    EXPECT_EQ(device.starts, 0);
}

TEST_F(LifecycleDeviceTest, AFailedStartUndoesTheActivation) {
    device.refuse_start = true;
    auto refused = harness.activate(device);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().to_string().find("echo: the backend is gone"), std::string::npos)
        << refused.error().to_string();
    EXPECT_FALSE(device.active());
    EXPECT_EQ(device.stops, 1);
}

TEST_F(LifecycleDeviceTest, AHostileChainFailsTheDeviceOnceAndItNeedsAReset) {
    ASSERT_TRUE(harness.activate(device));
    ASSERT_TRUE(break_device());
    EXPECT_TRUE(device.failed());
    // A failed device ignores the queue: a good chain after it is not served,
    // and a second failure raises no second DEVICE_NEEDS_RESET.
    add_good_chain();
    harness.ring.publish();
    harness.notify.signal();
    device.fail(Error::message("again"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(device.chains, 0);
    EXPECT_EQ(harness.ring.used_index(), 0);
    EXPECT_EQ(harness.interrupt->needs_reset(), 1);
}

TEST_F(LifecycleDeviceTest, ResetClearsTheFailureAndStopsServing) {
    ASSERT_TRUE(harness.activate(device));
    ASSERT_TRUE(break_device());

    device.reset();
    EXPECT_FALSE(device.active());
    EXPECT_FALSE(device.failed());
    EXPECT_EQ(device.stops, 1);
    device.reset();  // idempotent
    EXPECT_EQ(device.stops, 1);

    // After a reset the notify fd is no longer watched.
    harness.notify.signal();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(device.chains, 0);

    // The driver sets the queue up again (a fresh ring) and the device serves it.
    DeviceHarness fresh;
    ASSERT_TRUE(fresh.activate(device));
    EXPECT_FALSE(device.failed());
    fresh.ring.add_chain({{fresh.ring.allocate(16), 16, false}});
    ASSERT_TRUE(fresh.kick_and_wait(1));
    EXPECT_EQ(device.chains, 1);
    device.reset();  // before `fresh` and its loop go away
}

TEST_F(LifecycleDeviceTest, FailBeforeActivationDoesNothing) {
    device.fail(Error::message("no driver yet"));
    EXPECT_FALSE(device.failed());
    EXPECT_EQ(harness.interrupt->needs_reset(), 0);
}

}  // namespace
}  // namespace twinbox::virtio
