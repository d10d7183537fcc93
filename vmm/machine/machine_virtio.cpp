// The virtio-mmio devices of a twinbox VM (docs/vmm.md, "virtio").
//
// Each device sits in its own slot: slot i is the 4 KiB register window at
// layout::virtio_mmio_address(i) and interrupt line layout::kVirtioIrqs[i].
// Slots are handed out in a fixed order (disks, then network cards, then the
// virtio console, then the guest agent's channel, then the entropy device),
// so vda is always the first --disk and the agent's console follows hvc0.
//
// The guest learns about the slots in two ways, because kernels differ:
//   - the ACPI DSDT has one LNRO0005 device per slot (what Debian's kernel reads);
//   - the command line gets virtio_mmio.device=4K@ADDRESS:IRQ per slot (what
//     kernels built with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES read).
//
// At run time the vCPU threads only see register accesses: queue notifications
// go from KVM to the device's eventfd (ioeventfd), and the device raises its
// interrupt through KVM without a vCPU thread (irqfd).
#include <fmt/format.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/agent/agent_channel.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/machine/console.h"
#include "vmm/machine/machine.h"
#include "vmm/sandbox/test_hook.h"
#include "vmm/virtio/block.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/event_loop.h"
#include "vmm/virtio/mmio_transport.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/rng.h"

namespace twinbox {

Result<void> Machine::create_virtio_devices() {
    for (const DiskConfig& disk : m_config.disks)
        m_virtio_devices.push_back(TRY(virtio::BlockDevice::create(disk)));
    for (const NetConfig& net : m_config.nets)
        m_virtio_devices.push_back(TRY(virtio::NetDevice::create(net)));
    if (m_config.console == ConsoleKind::virtio) {
        m_virtio_console =
            TRY(virtio::ConsoleDevice::create(std::make_shared<FdSink>(STDOUT_FILENO)));
        m_virtio_devices.push_back(m_virtio_console);
    }
    if (m_config.agent_channel) {
        m_agent_channel = TRY(agent::AgentChannel::create());
        m_virtio_devices.push_back(m_agent_channel->device());
    }
    if (m_config.rng)
        m_virtio_devices.push_back(virtio::RngDevice::create());
    if (m_virtio_devices.size() > layout::kMaxVirtioDevices)
        return Error::message(
                   fmt::format("{} virtio devices are more than the {} slots twinbox has",
                               m_virtio_devices.size(), layout::kMaxVirtioDevices))
            .with_hint("use fewer --disk and --net options");
    return ok();
}

std::string Machine::virtio_command_line() const {
    std::string text;
    for (size_t slot = 0; slot < m_virtio_devices.size(); ++slot)
        text += fmt::format(" virtio_mmio.device=4K@{:#x}:{}", layout::virtio_mmio_address(slot),
                            layout::kVirtioIrqs[slot]);
    return text;
}

Result<void> Machine::attach_virtio_devices() {
    if (m_virtio_devices.empty())
        return ok();
    m_virtio_loop = TRY(virtio::EventLoop::create());
    if (m_virtio_console) {
        // Keystrokes the console had no room for are retried when the guest takes some.
        int space_event = m_input_space_event.get();
        m_virtio_console->set_input_space_callback([space_event] {
            uint64_t one = 1;
            [[maybe_unused]] ssize_t n = ::write(space_event, &one, sizeof one);
        });
    }
    for (size_t slot = 0; slot < m_virtio_devices.size(); ++slot) {
        uint64_t address = layout::virtio_mmio_address(slot);
        uint32_t gsi = layout::kVirtioIrqs[slot];
        EventFd irqfd = TRY(EventFd::create(EFD_CLOEXEC | EFD_NONBLOCK));
        TRY(m_vm->register_irqfd(irqfd.fd(), gsi));
        int raise_fd = irqfd.fd();
        m_virtio_irqfds.push_back(std::move(irqfd));
        auto transport = TRY(virtio::MmioTransport::create(
            m_virtio_devices[slot], m_memory, *m_virtio_loop, [raise_fd] {
                uint64_t one = 1;
                [[maybe_unused]] ssize_t n = ::write(raise_fd, &one, sizeof one);
            }));
        auto notifiers = transport->queue_notifiers();
        for (uint32_t queue = 0; queue < notifiers.size(); ++queue)
            TRY(m_vm->register_ioeventfd(address + virtio::mmio::kQueueNotify, queue,
                                         notifiers[queue]->fd()));
        transport->set_ioeventfds_registered(true);
        TRY(m_mmio_bus.insert(transport, address, virtio::mmio::kWindowSize));
        log::info("{} at {:#x}, GSI {}", m_virtio_devices[slot]->name(), address, gsi);
        m_virtio_transports.push_back(std::move(transport));
    }
    return m_virtio_loop->start([this] {
        if (!enter_sandbox(sandbox::ThreadRole::event_loop))
            return false;
        sandbox::run_test_violation(sandbox::TestViolation::event_loop);
        return true;
    });
}

void Machine::shutdown_virtio_devices() {
    // Devices stop (and leave the event loop) before the loop and guest memory go away.
    for (auto& transport : m_virtio_transports) transport->shutdown();
    m_virtio_loop.reset();
    m_virtio_transports.clear();
    m_virtio_console.reset();
    m_virtio_devices.clear();
}

}  // namespace twinbox
