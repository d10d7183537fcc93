// The virtio-mmio transport, version 2 ("modern"), virtio 1.2 section 4.2.
//
// One MmioTransport is one 4 KiB window in the MMIO hole (layout.h) that a
// driver programs with 32-bit register accesses: it reads the device's
// features and writes the ones it accepts, sets up each queue's size and
// ring addresses, and moves the status through ACKNOWLEDGE, DRIVER,
// FEATURES_OK and DRIVER_OK (section 3.1.1). At DRIVER_OK the transport
// builds the checked Virtqueues and activates the device; from then on the
// device works on its own thread and the transport only answers interrupt
// status and acknowledgement, configuration reads, and a reset.
//
//   guest driver ──MMIO exit──▶ vCPU thread ──▶ MmioTransport (registers)
//   guest driver ──QueueNotify──▶ KVM ioeventfd ──▶ EventLoop ──▶ device
//   device ──Interrupt::signal_used_queue──▶ irqfd ──▶ KVM IOAPIC ──▶ guest
//
// Model: Firecracker src/vmm/src/devices/virtio/mmio.rs.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/event_fd.h"
#include "vmm/devices/bus.h"
#include "vmm/virtio/device.h"

namespace twinbox::virtio {

// Register offsets (section 4.2.2, table "MMIO Device Register Layout").
namespace mmio {
inline constexpr uint64_t kMagicValue = 0x000;  // "virt"
inline constexpr uint64_t kVersion = 0x004;
inline constexpr uint64_t kDeviceId = 0x008;
inline constexpr uint64_t kVendorId = 0x00c;
inline constexpr uint64_t kDeviceFeatures = 0x010;
inline constexpr uint64_t kDeviceFeaturesSel = 0x014;
inline constexpr uint64_t kDriverFeatures = 0x020;
inline constexpr uint64_t kDriverFeaturesSel = 0x024;
inline constexpr uint64_t kQueueSel = 0x030;
inline constexpr uint64_t kQueueNumMax = 0x034;
inline constexpr uint64_t kQueueNum = 0x038;
inline constexpr uint64_t kQueueReady = 0x044;
inline constexpr uint64_t kQueueNotify = 0x050;
inline constexpr uint64_t kInterruptStatus = 0x060;
inline constexpr uint64_t kInterruptAck = 0x064;
inline constexpr uint64_t kStatus = 0x070;
inline constexpr uint64_t kQueueDescLow = 0x080;
inline constexpr uint64_t kQueueDescHigh = 0x084;
inline constexpr uint64_t kQueueDriverLow = 0x090;
inline constexpr uint64_t kQueueDriverHigh = 0x094;
inline constexpr uint64_t kQueueDeviceLow = 0x0a0;
inline constexpr uint64_t kQueueDeviceHigh = 0x0a4;
inline constexpr uint64_t kShmSel = 0x0ac;
inline constexpr uint64_t kShmLenLow = 0x0b0;
inline constexpr uint64_t kShmLenHigh = 0x0b4;
inline constexpr uint64_t kShmBaseLow = 0x0b8;
inline constexpr uint64_t kShmBaseHigh = 0x0bc;
inline constexpr uint64_t kQueueReset = 0x0c0;
inline constexpr uint64_t kConfigGeneration = 0x0fc;
inline constexpr uint64_t kConfig = 0x100;
inline constexpr uint32_t kMagic = 0x74726976;   // "virt", little endian
inline constexpr uint32_t kVendor = 0x786f6274;  // "tbox"
inline constexpr uint64_t kWindowSize = 0x1000;
}  // namespace mmio

class MmioTransport : public BusDevice {
public:
    // `raise_interrupt` raises the device's GSI (an irqfd write in the VMM).
    static Result<std::shared_ptr<MmioTransport>> create(std::shared_ptr<VirtioDevice> device,
                                                         const GuestMemory& memory, EventLoop& loop,
                                                         std::function<void()> raise_interrupt);
    ~MmioTransport() override;

    std::string_view name() const override { return m_device->name(); }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    VirtioDevice& device() { return *m_device; }
    // Each queue's notification eventfd, for KVM_IOEVENTFD on QueueNotify with datamatch = index.
    std::vector<const EventFd*> queue_notifiers() const;
    // After the VMM registered the ioeventfds, QueueNotify writes no longer reach write();
    // without them, write() signals the eventfd itself.
    void set_ioeventfds_registered(bool registered) { m_ioeventfds = registered; }

    // Stops the device (as a driver reset would). Called when the VM is torn down.
    void shutdown();

    uint32_t status() const;

private:
    class TransportInterrupt;
    MmioTransport(std::shared_ptr<VirtioDevice> device, const GuestMemory& memory, EventLoop& loop,
                  std::vector<EventFd> notifiers, std::function<void()> raise_interrupt);

    uint32_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint32_t value);
    void write_status(uint32_t value);
    void activate();
    void reset_locked();
    QueueConfig* selected_queue();

    std::shared_ptr<VirtioDevice> m_device;
    const GuestMemory& m_memory;
    EventLoop& m_loop;
    std::vector<EventFd> m_notifiers;
    std::shared_ptr<TransportInterrupt> m_interrupt;
    bool m_ioeventfds = false;

    std::mutex m_lock;                  // vCPU threads access registers concurrently
    std::atomic<uint32_t> m_status{0};  // without DEVICE_NEEDS_RESET, which lives in m_interrupt
    uint64_t m_offered_features;
    uint64_t m_driver_features = 0;
    uint32_t m_device_features_select = 0;
    uint32_t m_driver_features_select = 0;
    uint32_t m_queue_select = 0;
    std::vector<QueueConfig> m_queues;
    bool m_activated = false;
};

}  // namespace twinbox::virtio
