// Fakes for virtio device tests: an Interrupt that records what the device
// signalled and lets a test wait for it (devices run on the EventLoop
// thread), and a fixture piece that activates a one-queue device.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "common/event_fd.h"
#include "tests/unit/vmm/virtio/ring_builder.h"
#include "vmm/virtio/device.h"
#include "vmm/virtio/event_loop.h"

namespace twinbox::test {

class FakeInterrupt : public virtio::Interrupt {
public:
    void signal_used_queue() override { bump(m_used); }
    void signal_config_change() override { bump(m_config); }
    void signal_needs_reset() override { bump(m_needs_reset); }

    int used() const { return read(m_used); }
    int config_changes() const { return read(m_config); }
    int needs_reset() const { return read(m_needs_reset); }

    // Waits until the device signalled the used queue at least `count` times.
    bool wait_used(int count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        std::unique_lock lock(m_lock);
        return m_changed.wait_for(lock, timeout, [&] { return m_used >= count; });
    }
    bool wait_needs_reset(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        std::unique_lock lock(m_lock);
        return m_changed.wait_for(lock, timeout, [&] { return m_needs_reset > 0; });
    }

private:
    void bump(int& counter) {
        {
            std::lock_guard lock(m_lock);
            ++counter;
        }
        m_changed.notify_all();
    }
    int read(const int& counter) const {
        std::lock_guard lock(m_lock);
        return counter;
    }
    mutable std::mutex m_lock;
    std::condition_variable m_changed;
    int m_used = 0;
    int m_config = 0;
    int m_needs_reset = 0;
};

// Guest memory, one ring, a notify eventfd, a running EventLoop and a fake
// interrupt: everything a one-queue device needs to be activated.
struct DeviceHarness {
    static constexpr uint64_t kMemorySize = 4ull << 20;

    GuestMemory memory = GuestMemory::create(kMemorySize).release_value();
    RingBuilder ring;
    EventFd notify = EventFd::create().release_value();
    std::unique_ptr<virtio::EventLoop> loop = virtio::EventLoop::create().release_value();
    std::shared_ptr<FakeInterrupt> interrupt = std::make_shared<FakeInterrupt>();

    explicit DeviceHarness(uint16_t queue_size = 16) : ring(memory, queue_size) {
        EXPECT_TRUE(loop->start());
    }

    Result<void> activate(virtio::VirtioDevice& device, bool event_idx = false) {
        auto queue = TRY(virtio::Virtqueue::create(memory, ring.config(), event_idx));
        std::vector<virtio::ActiveQueue> queues;
        queues.push_back({std::move(queue), &notify});
        return device.activate({memory, std::move(queues), 0, interrupt, *loop});
    }

    // Publishes what was added, rings the doorbell and waits for the used
    // ring to reach `used_index` (one interrupt per chain is not guaranteed).
    bool kick_and_wait(uint16_t used_index,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        ring.publish();
        notify.signal();
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (static_cast<int16_t>(ring.used_index() - used_index) >= 0)
                return true;
            interrupt->wait_used(interrupt->used() + 1, std::chrono::milliseconds(10));
        }
        return false;
    }
};

}  // namespace twinbox::test
