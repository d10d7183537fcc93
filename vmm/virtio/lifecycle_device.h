// LifecycleDevice: the part of every virtio device's life that the spec
// defines once, written once for blk, net, console and rng.
//
// Spec ("Virtual I/O Device (VIRTIO) Version 1.2"):
// - 3.1.1 Driver Requirements: Device Initialization: the driver resets the
//   device, negotiates features, sets up the virtqueues and finally sets
//   DRIVER_OK; from then on the device serves the queues. The MMIO transport
//   (4.2, mmio_transport.cpp) speaks that register protocol and calls
//   activate() at DRIVER_OK and reset() when the driver writes 0 to Status
//   (4.2.2, "Writing zero (0x0) to this register triggers a device reset").
// - 2.1 Device Status Field and 2.1.2 Device Requirements: a device that hits
//   an error it cannot recover from (here: a driver that broke the ring rules
//   of 2.7) sets DEVICE_NEEDS_RESET and, on a live device, sends a
//   configuration change notification (4.2.3.3); it then does nothing with
//   the queues until the driver resets it.
// - 2.4 Device Reset: after a reset the device must not use the buffers or
//   the queues it had: reset() takes its fds off the event loop (which waits
//   for a running callback) before anything is dropped.
//
// This base owns what one activation hands over (the queues, their notify
// eventfds, the interrupt, the event loop, the acknowledged features), the
// fds a device watches on the loop, and the active / failed states. A device
// supplies start() (register its watches; kick work that arrived before
// DRIVER_OK) and stop() (drop its own per-activation state), and calls fail()
// when the driver breaks the spec.
//
// Threads: activate() and reset() run on a vCPU thread (the transport's);
// callbacks, and so fail(), run on the event loop thread. They never overlap:
// activate() registers callbacks last, and reset() unregisters them first.
//
// Models: Cloud Hypervisor virtio-devices/src/device.rs (VirtioCommon),
// Firecracker src/vmm/src/devices/virtio/device.rs (DeviceState).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "vmm/virtio/device.h"

namespace twinbox::virtio {

class LifecycleDevice : public VirtioDevice {
public:
    // DRIVER_OK. A second one without a reset in between starts afresh.
    Result<void> activate(ActivateContext context) final;
    // Driver reset (status 0), or the device going away. Idempotent.
    void reset() final;

    bool active() const { return m_active; }
    // Whether the driver broke the spec and the device waits for a reset.
    bool failed() const { return m_failed; }

protected:
    LifecycleDevice() = default;
    // Derived destructors must call reset() themselves: by the time this one
    // runs, the derived part (which the loop's callbacks use) is gone.
    ~LifecycleDevice() override = default;

    // Registers the device's watches (watch_queue(), watch()) and starts work
    // that was queued before DRIVER_OK. An error undoes the activation.
    virtual Result<void> start() = 0;
    // Drops what start() and the callbacks built, after the loop stopped
    // calling the device and before the queues are dropped.
    virtual void stop() {}
    // The queues for the error when the driver set up the wrong number
    // ("receiveq1 and transmitq1").
    virtual std::string_view queue_names() const = 0;
    // The device in log lines ("virtio-blk /images/disk.img").
    virtual std::string describe() const { return std::string(name()); }

    // While active: the activation's queues, interrupt, loop and features.
    Virtqueue& virtqueue(size_t index) { return m_queues[index].queue; }
    const EventFd& notify(size_t index) const { return *m_queues[index].notify; }
    Interrupt& interrupt() { return *m_interrupt; }
    EventLoop& loop() { return *m_loop; }
    uint64_t acked_features() const { return m_acked; }

    // Runs `process` on the loop whenever the driver notifies queue `index`,
    // unless the device has failed (the notification is consumed either way).
    Result<void> watch_queue(size_t index, std::function<void()> process);
    // Runs `callback` on the loop whenever `fd` is readable, until reset() or
    // fail() (or unwatch()).
    Result<void> watch(int fd, std::function<void()> callback);
    void unwatch(int fd);

    // The driver broke the spec: log it (the first time in the device's life,
    // so a guest that breaks it in a loop cannot flood the log), stop serving
    // the queues, and set DEVICE_NEEDS_RESET (section 2.1.2). Loop thread only.
    void fail(const Error& error);
    // Raises the used-buffer interrupt when the driver wants one for what was
    // added to `queue` (section 2.7.10).
    void signal_if_needed(Virtqueue& queue);

private:
    void stop_watching();

    std::vector<ActiveQueue> m_queues;
    std::shared_ptr<Interrupt> m_interrupt;
    EventLoop* m_loop = nullptr;
    uint64_t m_acked = 0;
    std::mutex m_watched_lock;   // start() adds on a vCPU thread, fail() reads on the loop's
    std::vector<int> m_watched;  // fds registered on m_loop
    bool m_active = false;
    bool m_failed = false;
    bool m_logged_failure = false;  // across resets
};

}  // namespace twinbox::virtio
