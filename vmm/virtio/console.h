// virtio-console: a paravirtual console, faster than the UART because it
// moves whole buffers per notification instead of one byte per exit.
//
// Spec: virtio 1.2 section 5.3 "Console Device": 5.3.2 virtqueues,
// 5.3.3 feature bits, 5.3.4 configuration layout, 5.3.6 device operation.
// Models: Cloud Hypervisor virtio-devices/src/console.rs, kvmtool
// virtio/console.c.
//
// One port, no VIRTIO_CONSOLE_F_MULTIPORT, so there are exactly two queues:
// 0 receiveq(port0), host to guest (keystrokes), and 1 transmitq(port0),
// guest to host (output). Linux's virtio_console driver makes the port an
// hvc console: /dev/hvc0, `console=hvc0` on the kernel command line.
//
// Output goes to a ByteSink, as the UART's does. Input arrives through
// push_input() from the machine's console thread; it is buffered (up to
// kInputCapacity bytes) until the guest posts receive buffers, and delivered
// on the event loop. As with Serial::enqueue_input(), push_input() accepts
// what fits, and a callback says when room appears, so no keystroke is lost.
//
// VIRTIO_CONSOLE_F_SIZE is offered when a terminal size is known; set_size()
// changes it and raises a configuration-change interrupt (section 5.3.6:
// the driver then reads cols and rows again; Linux resizes hvc0).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "vmm/devices/bus.h"
#include "vmm/virtio/lifecycle_device.h"

namespace twinbox::virtio {

// Feature bits of the console device (section 5.3.3).
namespace console_feature {
inline constexpr uint64_t kSize = 1ull << 0;            // VIRTIO_CONSOLE_F_SIZE: cols, rows valid
inline constexpr uint64_t kMultiport = 1ull << 1;       // not offered
inline constexpr uint64_t kEmergencyWrite = 1ull << 2;  // not offered
}  // namespace console_feature

// Configuration layout (section 5.3.4), little endian.
enum class ConsoleConfigField : uint64_t {
    columns = 0,          // le16 cols (with F_SIZE)
    rows = 2,             // le16 rows (with F_SIZE)
    max_ports = 4,        // le32 max_nr_ports (with F_MULTIPORT; 0 here)
    emergency_write = 8,  // le32 emerg_wr (with F_EMERG_WRITE; ignored here)
};

struct ConsoleSize {
    uint16_t columns;
    uint16_t rows;
};

class ConsoleDevice : public LifecycleDevice {
public:
    static constexpr size_t kReceiveQueue = 0;
    static constexpr size_t kTransmitQueue = 1;
    // Input bytes held for the guest before push_input() turns bytes away.
    static constexpr size_t kInputCapacity = 64 * 1024;

    // `size`: the host terminal's size, when there is one (offers F_SIZE).
    static Result<std::unique_ptr<ConsoleDevice>> create(std::shared_ptr<ByteSink> output,
                                                         std::optional<ConsoleSize> size = {});
    ~ConsoleDevice() override;

    DeviceId device_id() const override { return DeviceId::console; }
    std::string_view name() const override { return "virtio-console"; }
    uint64_t device_features() const override;
    size_t queue_count() const override { return 2; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;

    // Host side (any thread). Queues as many of `bytes` as there is room for
    // and returns that count; retry the rest after the input-space callback.
    size_t push_input(std::span<const uint8_t> bytes);
    size_t input_space() const;
    // Called on the event loop thread, without device locks held, when room
    // appears after push_input() turned bytes away. Keep it short.
    void set_input_space_callback(std::function<void()> callback);
    // The host terminal changed size (SIGWINCH); tells the driver if it uses F_SIZE.
    void set_size(ConsoleSize size);

private:
    ConsoleDevice(std::shared_ptr<ByteSink> output, std::optional<ConsoleSize> size,
                  EventFd input_ready);

    Result<void> start() override;
    std::string_view queue_names() const override { return "receiveq and transmitq of port 0"; }
    void on_input_ready();
    void process_transmit();
    void process_receive();

    std::shared_ptr<ByteSink> m_output;
    EventFd m_input_ready;  // push_input() and set_size() -> event loop

    // Shared with the host threads: guarded by m_lock.
    mutable std::mutex m_lock;
    std::deque<uint8_t> m_input;
    bool m_input_refused = false;
    std::function<void()> m_input_space_callback;
    std::optional<ConsoleSize> m_size;
    bool m_size_changed = false;  // set_size() -> a config interrupt from the loop
    const bool m_offer_size;      // F_SIZE: a size was known when the device was made
};

}  // namespace twinbox::virtio
