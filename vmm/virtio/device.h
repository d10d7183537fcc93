// The interface between the virtio-mmio transport and a virtio device.
//
// The transport (mmio_transport.h) speaks the register protocol with the
// driver: feature negotiation, queue setup, status. When the driver sets
// DRIVER_OK it activates the device with everything the device needs to run
// on its own: guest memory, its configured queues, each queue's notification
// eventfd (signalled by KVM's ioeventfd, or by the transport), the interrupt
// and the event loop its work runs on. Queue processing never happens on a
// vCPU thread, so a busy disk does not stall a vCPU (virtio 1.2 section 4.2.2).
//
// A device is told of a driver reset (status 0) with reset(); after it returns
// the device must no longer touch guest memory or the queues.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "common/event_fd.h"
#include "common/result.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/event_loop.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/virtio_abi.h"

namespace twinbox::virtio {

// The device's interrupt line: sets InterruptStatus bits and raises the GSI
// (through KVM's irqfd in the VMM; a fake in unit tests).
class Interrupt {
public:
    virtual ~Interrupt() = default;
    virtual void signal_used_queue() = 0;
    virtual void signal_config_change() = 0;
    // Sets DEVICE_NEEDS_RESET and signals a configuration change (section 2.1.2).
    virtual void signal_needs_reset() = 0;
};

struct ActiveQueue {
    Virtqueue queue;
    const EventFd* notify;  // readable when the driver notified this queue
};

struct ActivateContext {
    const GuestMemory& memory;
    std::vector<ActiveQueue> queues;  // one per queue the driver set ready, in index order
    uint64_t acked_features;
    std::shared_ptr<Interrupt> interrupt;
    EventLoop& loop;
};

class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;

    virtual DeviceId device_id() const = 0;
    virtual std::string_view name() const = 0;  // "virtio-blk", for logs
    // Device features offered; the transport adds VERSION_1, EVENT_IDX and INDIRECT_DESC.
    virtual uint64_t device_features() const = 0;
    virtual size_t queue_count() const = 0;
    virtual uint16_t queue_max_size() const { return 256; }

    // The device-specific configuration space (offset 0x100 on MMIO). Reads
    // past its end return zeros, writes there are ignored.
    virtual void read_config(uint64_t offset, std::span<uint8_t> data) const = 0;
    virtual void write_config(uint64_t /*offset*/, std::span<const uint8_t> /*data*/) {}

    // DRIVER_OK: start serving the queues (register their notify fds on the loop).
    virtual Result<void> activate(ActivateContext context) = 0;
    // Driver reset: stop, unregister from the loop, forget the queues. Called on a vCPU thread.
    virtual void reset() = 0;
};

}  // namespace twinbox::virtio
