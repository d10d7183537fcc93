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
#include "vmm/machine/machine_parts.h"
#include "vmm/sandbox/test_hook.h"
#include "vmm/virtio/block.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/event_loop.h"
#include "vmm/virtio/mmio_transport.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/rng.h"

namespace twinbox {

VirtioDeviceSet::VirtioDeviceSet() = default;
VirtioDeviceSet::VirtioDeviceSet(VirtioDeviceSet&&) noexcept = default;
VirtioDeviceSet& VirtioDeviceSet::operator=(VirtioDeviceSet&&) noexcept = default;
VirtioDeviceSet::~VirtioDeviceSet() = default;

Result<VirtioDeviceSet> build_virtio_devices(const VmConfig& config) {
    VirtioDeviceSet set;
    for (const DiskConfig& disk : config.disks)
        set.devices.push_back(TRY(virtio::BlockDevice::create(disk)));
    for (const NetConfig& net : config.nets)
        set.devices.push_back(TRY(virtio::NetDevice::create(net)));
    if (config.console == ConsoleKind::virtio) {
        set.console = TRY(virtio::ConsoleDevice::create(std::make_shared<FdSink>(STDOUT_FILENO)));
        set.devices.push_back(set.console);
    }
    if (config.agent_channel) {
        set.agent_channel = TRY(agent::AgentChannel::create());
        set.devices.push_back(set.agent_channel->device());
    }
    if (config.rng)
        set.devices.push_back(virtio::RngDevice::create());
    if (set.devices.size() > layout::kMaxVirtioDevices)
        return Error::message(
                   fmt::format("{} virtio devices are more than the {} slots twinbox has",
                               set.devices.size(), layout::kMaxVirtioDevices))
            .with_hint("use fewer --disk and --net options");
    return set;
}

VirtioWiring::VirtioWiring() = default;
VirtioWiring::VirtioWiring(VirtioWiring&&) noexcept = default;
VirtioWiring& VirtioWiring::operator=(VirtioWiring&&) noexcept = default;

VirtioWiring::~VirtioWiring() {
    // Devices stop (and leave the event loop) before the loop goes away; the
    // devices themselves and guest memory outlive this object (machine.h).
    for (auto& transport : transports) transport->shutdown();
    loop.reset();
    transports.clear();
}

Result<VirtioWiring> wire_virtio_devices(const VirtioDeviceSet& virtio, const Vm& vm,
                                         const GuestMemory& memory, DeviceSet& devices,
                                         std::function<bool()> enter_thread) {
    VirtioWiring wiring;
    if (virtio.devices.empty())
        return wiring;
    wiring.loop = TRY(virtio::EventLoop::create());
    // Keystrokes the console had no room for are retried when the guest takes some.
    if (virtio.console)
        virtio.console->set_input_space_callback(signal_event(devices.input_space_event.get()));
    for (size_t slot = 0; slot < virtio.devices.size(); ++slot) {
        uint64_t address = layout::virtio_mmio_address(slot);
        uint32_t gsi = layout::kVirtioIrqs[slot];
        EventFd irqfd = TRY(EventFd::create(EFD_CLOEXEC | EFD_NONBLOCK));
        TRY(vm.register_irqfd(irqfd.fd(), gsi));
        auto transport = TRY(virtio::MmioTransport::create(virtio.devices[slot], memory,
                                                           *wiring.loop, signal_event(irqfd.fd())));
        wiring.irqfds.push_back(std::move(irqfd));
        auto notifiers = transport->queue_notifiers();
        for (uint32_t queue = 0; queue < notifiers.size(); ++queue)
            TRY(vm.register_ioeventfd(address + virtio::mmio::kQueueNotify, queue,
                                      notifiers[queue]->fd()));
        transport->set_ioeventfds_registered(true);
        TRY(devices.mmio_bus.insert(transport, address, virtio::mmio::kWindowSize));
        log::info("{} at {:#x}, GSI {}", virtio.devices[slot]->name(), address, gsi);
        wiring.transports.push_back(std::move(transport));
    }
    TRY(wiring.loop->start([enter = std::move(enter_thread)] {
        if (!enter())
            return false;
        sandbox::run_test_violation(sandbox::TestViolation::event_loop);
        return true;
    }));
    return wiring;
}

}  // namespace twinbox
