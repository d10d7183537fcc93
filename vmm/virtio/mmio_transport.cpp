// The virtio-mmio transport (virtio 1.2 section 4.2). See mmio_transport.h.
#include "vmm/virtio/mmio_transport.h"

#include <fmt/format.h>

#include <cstring>

#include "common/log.h"

namespace twinbox::virtio {

// The device's view of its interrupt: InterruptStatus bits (section 4.2.2),
// the DEVICE_NEEDS_RESET status bit and the configuration generation, all
// shared between the device thread (which sets them) and vCPU threads (which
// read and acknowledge them through registers).
class MmioTransport::TransportInterrupt : public Interrupt {
public:
    explicit TransportInterrupt(std::function<void()> raise) : m_raise(std::move(raise)) {}

    void signal_used_queue() override {
        m_pending.fetch_or(interrupt::kUsedBuffer);
        m_raise();
    }
    void signal_config_change() override {
        m_generation.fetch_add(1);
        m_pending.fetch_or(interrupt::kConfigChange);
        m_raise();
    }
    void signal_needs_reset() override {
        m_needs_reset.store(true);
        signal_config_change();
    }

    uint32_t pending() const { return m_pending.load(); }
    void acknowledge(uint32_t bits) { m_pending.fetch_and(~bits); }
    bool needs_reset() const { return m_needs_reset.load(); }
    uint32_t generation() const { return m_generation.load(); }
    void clear() {
        m_pending.store(0);
        m_needs_reset.store(false);
    }

private:
    std::function<void()> m_raise;
    std::atomic<uint32_t> m_pending{0};
    std::atomic<bool> m_needs_reset{false};
    std::atomic<uint32_t> m_generation{0};
};

namespace {

// Features every twinbox device offers on top of its own (section 6).
constexpr uint64_t kTransportFeatures =
    feature::kVersion1 | feature::kRingEventIdx | feature::kRingIndirectDesc;

void set_low(uint64_t& field, uint32_t value) {
    field = (field & ~0xffff'ffffull) | value;
}
void set_high(uint64_t& field, uint32_t value) {
    field = (field & 0xffff'ffffull) | (static_cast<uint64_t>(value) << 32);
}

}  // namespace

Result<std::shared_ptr<MmioTransport>> MmioTransport::create(std::shared_ptr<VirtioDevice> device,
                                                             const GuestMemory& memory,
                                                             EventLoop& loop,
                                                             std::function<void()> raise) {
    std::vector<EventFd> notifiers;
    for (size_t i = 0; i < device->queue_count(); ++i) notifiers.push_back(TRY(EventFd::create()));
    return std::shared_ptr<MmioTransport>(
        new MmioTransport(std::move(device), memory, loop, std::move(notifiers), std::move(raise)));
}

MmioTransport::MmioTransport(std::shared_ptr<VirtioDevice> device, const GuestMemory& memory,
                             EventLoop& loop, std::vector<EventFd> notifiers,
                             std::function<void()> raise)
    : m_device(std::move(device)),
      m_memory(memory),
      m_loop(loop),
      m_notifiers(std::move(notifiers)),
      m_interrupt(std::make_shared<TransportInterrupt>(std::move(raise))),
      m_offered_features(m_device->device_features() | kTransportFeatures),
      m_queues(m_device->queue_count()) {}

MmioTransport::~MmioTransport() {
    shutdown();
}

void MmioTransport::shutdown() {
    std::lock_guard lock(m_lock);
    reset_locked();
}

std::vector<const EventFd*> MmioTransport::queue_notifiers() const {
    std::vector<const EventFd*> out;
    for (const EventFd& notifier : m_notifiers) out.push_back(&notifier);
    return out;
}

uint32_t MmioTransport::status() const {
    return m_status.load() | (m_interrupt->needs_reset() ? status::kDeviceNeedsReset : 0);
}

QueueConfig* MmioTransport::selected_queue() {
    if (m_queue_select >= m_queues.size())
        return nullptr;
    return &m_queues[m_queue_select];
}

void MmioTransport::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= mmio::kConfig) {
        // Configuration space: any access width (section 4.2.2.2).
        m_device->read_config(offset - mmio::kConfig, data);
        return;
    }
    if (data.size() != 4 || offset % 4 != 0) {
        log::debug("{}: ignoring a {}-byte read at register {:#x}", name(), data.size(), offset);
        return;
    }
    std::lock_guard lock(m_lock);
    uint32_t value = read_register(offset);
    std::memcpy(data.data(), &value, sizeof value);
}

void MmioTransport::write(uint64_t offset, std::span<const uint8_t> data) {
    if (offset >= mmio::kConfig) {
        m_device->write_config(offset - mmio::kConfig, data);
        return;
    }
    if (data.size() != 4 || offset % 4 != 0) {
        log::debug("{}: ignoring a {}-byte write at register {:#x}", name(), data.size(), offset);
        return;
    }
    uint32_t value;
    std::memcpy(&value, data.data(), sizeof value);
    std::lock_guard lock(m_lock);
    write_register(offset, value);
}

uint32_t MmioTransport::read_register(uint64_t offset) {
    QueueConfig* queue = selected_queue();
    switch (offset) {
        case mmio::kMagicValue:
            return mmio::kMagic;
        case mmio::kVersion:
            return 2;
        case mmio::kDeviceId:
            return static_cast<uint32_t>(m_device->device_id());
        case mmio::kVendorId:
            return mmio::kVendor;
        case mmio::kDeviceFeatures:
            if (m_device_features_select > 1)
                return 0;
            return static_cast<uint32_t>(m_offered_features >> (32 * m_device_features_select));
        case mmio::kQueueNumMax:
            return queue ? m_device->queue_max_size() : 0;
        case mmio::kQueueReady:
            return queue && queue->ready ? 1 : 0;
        case mmio::kInterruptStatus:
            return m_interrupt->pending();
        case mmio::kStatus:
            return status();
        case mmio::kShmLenLow:
        case mmio::kShmLenHigh:
            return 0xffff'ffff;  // no shared memory regions (section 4.2.2: length ~0)
        case mmio::kQueueReset:
            return 0;
        case mmio::kConfigGeneration:
            return m_interrupt->generation();
        default:
            log::debug("{}: read of register {:#x}", name(), offset);
            return 0;
    }
}

void MmioTransport::write_register(uint64_t offset, uint32_t value) {
    // Queue and feature registers may only change before DRIVER_OK (section 4.2.3.2);
    // a driver that writes them later gets them ignored.
    bool setting_up = !(m_status.load() & status::kDriverOk);
    QueueConfig* queue = selected_queue();
    switch (offset) {
        case mmio::kDeviceFeaturesSel:
            m_device_features_select = value;
            return;
        case mmio::kDriverFeaturesSel:
            m_driver_features_select = value;
            return;
        case mmio::kDriverFeatures:
            if (!setting_up || (m_status.load() & status::kFeaturesOk) ||
                m_driver_features_select > 1)
                return;
            if (m_driver_features_select == 0)
                set_low(m_driver_features, value);
            else
                set_high(m_driver_features, value);
            return;
        case mmio::kQueueSel:
            m_queue_select = value;
            return;
        case mmio::kQueueNum:
            if (queue && setting_up)
                queue->size = static_cast<uint16_t>(value > 0xffff ? 0 : value);
            return;
        case mmio::kQueueReady:
            if (queue && setting_up)
                queue->ready = value == 1;
            return;
        case mmio::kQueueDescLow:
        case mmio::kQueueDescHigh:
        case mmio::kQueueDriverLow:
        case mmio::kQueueDriverHigh:
        case mmio::kQueueDeviceLow:
        case mmio::kQueueDeviceHigh: {
            if (!queue || !setting_up || queue->ready)
                return;
            uint64_t& field = offset < mmio::kQueueDriverLow   ? queue->descriptor_table
                              : offset < mmio::kQueueDeviceLow ? queue->available_ring
                                                               : queue->used_ring;
            if (offset % 8 == 0)
                set_low(field, value);
            else
                set_high(field, value);
            return;
        }
        case mmio::kQueueNotify:
            // Reaches here only without ioeventfd (or for an index KVM did not match).
            if (value < m_notifiers.size())
                m_notifiers[value].signal();
            return;
        case mmio::kInterruptAck:
            m_interrupt->acknowledge(value);
            return;
        case mmio::kStatus:
            write_status(value);
            return;
        case mmio::kShmSel:
            return;
        default:
            log::debug("{}: write of {:#x} to register {:#x}", name(), value, offset);
            return;
    }
}

// Section 3.1.1, driver initialisation, and section 2.1 (device status field).
void MmioTransport::write_status(uint32_t value) {
    if (value == 0) {
        reset_locked();
        return;
    }
    uint32_t current = m_status.load();
    // Status bits are only ever added by the driver, never removed (except by reset).
    if ((value & current) != current) {
        log::debug("{}: driver cleared status bits ({:#x} -> {:#x}); ignored", name(), current,
                   value);
        return;
    }
    uint32_t added = value & ~current;
    if (added & status::kFeaturesOk) {
        // Accept only features we offered, and only modern drivers (VERSION_1): a legacy
        // driver on a modern device is refused by leaving FEATURES_OK clear (section 3.1.1).
        if ((m_driver_features & ~m_offered_features) != 0 ||
            !(m_driver_features & feature::kVersion1)) {
            log::warn("{}: driver asked for features {:#x} of the offered {:#x}; refusing", name(),
                      m_driver_features, m_offered_features);
            value &= ~status::kFeaturesOk;
        }
    }
    m_status.store(value & ~status::kDeviceNeedsReset);
    if ((added & status::kDriverOk) && (value & status::kFeaturesOk))
        activate();
}

void MmioTransport::activate() {
    auto fail = [&](const Error& error) {
        // Section 2.1.2: the device tells the driver it cannot go on.
        log::warn("{}: cannot start: {}", name(), error.to_string());
        m_interrupt->signal_needs_reset();
    };
    std::vector<ActiveQueue> queues;
    bool event_idx = m_driver_features & feature::kRingEventIdx;
    bool indirect = m_driver_features & feature::kRingIndirectDesc;
    for (size_t index = 0; index < m_queues.size(); ++index) {
        const QueueConfig& config = m_queues[index];
        if (!config.ready)
            continue;
        if (config.size > m_device->queue_max_size()) {
            fail(Error::message(fmt::format("queue {} size {} is larger than the maximum {}", index,
                                            config.size, m_device->queue_max_size())));
            return;
        }
        auto queue = Virtqueue::create(m_memory, config, event_idx, indirect);
        if (!queue) {
            fail(std::move(queue).release_error().with_context(fmt::format("queue {}", index)));
            return;
        }
        queues.push_back({std::move(queue.value()), &m_notifiers[index]});
    }
    auto result = m_device->activate(
        ActivateContext{m_memory, std::move(queues), m_driver_features, m_interrupt, m_loop});
    if (!result) {
        fail(result.error());
        return;
    }
    m_activated = true;
}

void MmioTransport::reset_locked() {
    if (m_activated)
        m_device->reset();
    m_activated = false;
    m_status.store(0);
    m_driver_features = 0;
    m_device_features_select = 0;
    m_driver_features_select = 0;
    m_queue_select = 0;
    for (QueueConfig& queue : m_queues) queue = QueueConfig{};
    m_interrupt->clear();
    for (const EventFd& notifier : m_notifiers) notifier.consume();
}

}  // namespace twinbox::virtio
