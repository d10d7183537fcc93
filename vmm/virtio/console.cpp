// virtio-console, one port (virtio 1.2 section 5.3). See console.h.
#include "vmm/virtio/console.h"

#include <fmt/format.h>
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/log.h"

namespace twinbox::virtio {

namespace {
// Chains served per notification before the loop serves other devices.
constexpr int kBudget = 256;
}  // namespace

Result<std::unique_ptr<ConsoleDevice>> ConsoleDevice::create(std::shared_ptr<ByteSink> output,
                                                             std::optional<ConsoleSize> size) {
    EventFd input_ready = TRY(EventFd::create());
    return std::unique_ptr<ConsoleDevice>(
        new ConsoleDevice(std::move(output), size, std::move(input_ready)));
}

ConsoleDevice::ConsoleDevice(std::shared_ptr<ByteSink> output, std::optional<ConsoleSize> size,
                             EventFd input_ready)
    : m_output(std::move(output)),
      m_input_ready(std::move(input_ready)),
      m_size(size),
      m_offer_size(size.has_value()) {}

ConsoleDevice::~ConsoleDevice() {
    reset();
}

uint64_t ConsoleDevice::device_features() const {
    return m_offer_size ? console_feature::kSize : 0;
}

void ConsoleDevice::read_config(uint64_t offset, std::span<uint8_t> data) const {
    // Section 5.3.4: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr.
    std::array<uint8_t, 12> config{};
    {
        std::lock_guard lock(m_lock);
        if (m_size) {
            config[0] = m_size->columns & 0xff;
            config[1] = m_size->columns >> 8;
            config[2] = m_size->rows & 0xff;
            config[3] = m_size->rows >> 8;
        }
    }
    std::fill(data.begin(), data.end(), 0);
    if (offset >= config.size())
        return;
    size_t length = std::min<size_t>(data.size(), config.size() - offset);
    std::copy_n(config.begin() + offset, length, data.begin());
}

Result<void> ConsoleDevice::start() {
    // Buffered input stays across resets: it is delivered when the driver comes back.
    TRY(watch_queue(kReceiveQueue, [this] { process_receive(); }));
    TRY(watch_queue(kTransmitQueue, [this] { process_transmit(); }));
    TRY(watch(m_input_ready.fd(), [this] { on_input_ready(); }));
    // Input typed before the driver was ready, and output queued before DRIVER_OK.
    m_input_ready.signal();
    notify(kTransmitQueue).signal();
    return {};
}

// ---------------------------------------------------------------------------
// Host side
// ---------------------------------------------------------------------------

size_t ConsoleDevice::push_input(std::span<const uint8_t> bytes) {
    size_t accepted;
    {
        std::lock_guard lock(m_lock);
        accepted = std::min(bytes.size(), kInputCapacity - m_input.size());
        m_input.insert(m_input.end(), bytes.begin(), bytes.begin() + accepted);
        if (accepted < bytes.size())
            m_input_refused = true;
    }
    if (accepted > 0)
        m_input_ready.signal();
    return accepted;
}

size_t ConsoleDevice::input_space() const {
    std::lock_guard lock(m_lock);
    return kInputCapacity - m_input.size();
}

void ConsoleDevice::set_input_space_callback(std::function<void()> callback) {
    std::lock_guard lock(m_lock);
    m_input_space_callback = std::move(callback);
}

void ConsoleDevice::set_size(ConsoleSize size) {
    {
        std::lock_guard lock(m_lock);
        m_size = size;
        m_size_changed = true;
    }
    m_input_ready.signal();  // the loop raises the interrupt, as for all device work
}

// ---------------------------------------------------------------------------
// Event loop side
// ---------------------------------------------------------------------------

void ConsoleDevice::on_input_ready() {
    m_input_ready.consume();
    if (failed())
        return;
    bool size_changed;
    {
        std::lock_guard lock(m_lock);
        size_changed = std::exchange(m_size_changed, false);
    }
    if (size_changed && (acked_features() & console_feature::kSize))
        interrupt().signal_config_change();
    process_receive();
}

// Section 5.3.6: the driver's output arrives as device-readable buffers on transmitq.
void ConsoleDevice::process_transmit() {
    Virtqueue& transmit = virtqueue(kTransmitQueue);
    for (int budget = kBudget;;) {
        if (budget-- == 0) {
            notify(kTransmitQueue).signal();  // more later
            break;
        }
        auto popped = transmit.pop();
        if (!popped)
            return fail(std::move(popped).error().with_context("transmit queue"));
        if (!popped.value()) {
            if (transmit.enable_notification())
                continue;
            break;
        }
        const DescriptorChain& chain = *popped.value();
        // Buffers are already checked against guest RAM: hand them to the sink as they are.
        for (const Buffer& buffer : chain.readable()) m_output->write(buffer.host);
        if (auto result = transmit.add_used(chain.head(), 0); !result)
            return fail(result.error());
    }
    signal_if_needed(transmit);
}

// Section 5.3.6: input goes into device-writable buffers the driver posts on receiveq.
void ConsoleDevice::process_receive() {
    Virtqueue& receive = virtqueue(kReceiveQueue);
    std::vector<uint8_t> bytes;
    std::function<void()> space_callback;
    for (int budget = kBudget; budget > 0; --budget) {
        {
            std::lock_guard lock(m_lock);
            if (m_input.empty())
                break;
        }
        auto popped = receive.pop();
        if (!popped)
            return fail(std::move(popped).error().with_context("receive queue"));
        if (!popped.value()) {
            if (receive.enable_notification())
                continue;
            break;  // the driver notifies receiveq when it posts buffers
        }
        const DescriptorChain& chain = *popped.value();
        if (chain.writable_bytes() == 0)
            return fail(Error::message(fmt::format(
                "receive chain {} has no device-writable buffer (virtio 1.2 section 5.3.6)",
                chain.head())));
        {
            std::lock_guard lock(m_lock);
            size_t take = std::min<uint64_t>(chain.writable_bytes(), m_input.size());
            bytes.assign(m_input.begin(), m_input.begin() + take);
            m_input.erase(m_input.begin(), m_input.begin() + take);
            if (m_input_refused) {
                m_input_refused = false;
                space_callback = m_input_space_callback;
            }
        }
        size_t written = chain.write(0, bytes);
        if (auto result = receive.add_used(chain.head(), static_cast<uint32_t>(written)); !result)
            return fail(result.error());
    }
    signal_if_needed(receive);
    if (space_callback)
        space_callback();
}

}  // namespace twinbox::virtio
