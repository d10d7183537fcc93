// The parts a Machine is made of, and the functions that build each one whole
// from a VmConfig (vmm/machine/machine_builder.cpp calls them in order).
//
// Every builder returns a complete part or an error, never a half-filled one,
// so Machine has no "not built yet" state. Parts that later parts keep a
// reference to are returned on the heap (GuestMemory: the virtio transports and
// the exit tracer read it; Vm: the interrupt lines raise GSIs through it;
// DeviceSet: the tracer and exit counters name its buses' devices), so that
// moving them into the Machine does not move them in memory.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "common/event_fd.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/devices/bus.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine/vm_config.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

class Serial;
class ExitStatusPort;
class GenericEventDevice;
class RunControl;
namespace virtio {
class EventLoop;
class MmioTransport;
class VirtioDevice;
class ConsoleDevice;
}  // namespace virtio
namespace agent {
class AgentChannel;
}

// Checks what no later step could: exactly one guest, a sane vCPU count, memory
// the host has (machine_guest.cpp).
Result<void> check_config(const VmConfig& config);

// The virtio-mmio devices in slot order (slot i: layout::virtio_mmio_address(i),
// GSI layout::kVirtioIrqs[i]), not yet on any bus (machine_virtio.cpp).
struct VirtioDeviceSet {
    std::vector<std::shared_ptr<virtio::VirtioDevice>> devices;
    std::shared_ptr<virtio::ConsoleDevice> console;  // with --console virtio
    // The guest agent's exec channel (VmConfig::agent_channel): a second
    // virtio-console, served as agent.sock next to the control socket.
    std::unique_ptr<agent::AgentChannel> agent_channel;

    VirtioDeviceSet();
    VirtioDeviceSet(VirtioDeviceSet&&) noexcept;
    VirtioDeviceSet& operator=(VirtioDeviceSet&&) noexcept;
    ~VirtioDeviceSet();
};
Result<VirtioDeviceSet> build_virtio_devices(const VmConfig& config);

// Loads the firmware tables and the kernel (or bare-metal image) into guest
// RAM; returns where the boot vCPU starts (machine_guest.cpp). `virtio_slots`
// devices are described in the ACPI tables and on the Linux command line.
Result<BootEntry> load_guest(const VmConfig& config, GuestMemory& memory, size_t virtio_slots);

// /dev/kvm, checked against what the config asks of it (machine_kvm.cpp).
Result<Kvm> open_kvm(const VmConfig& config);
// The VM with its in-kernel interrupt controllers and `memory` as its RAM.
Result<std::unique_ptr<Vm>> create_vm(const Kvm& kvm, const GuestMemory& memory);

// A callback that writes 1 to the eventfd `event`: how a device wakes a poll()
// on another thread (machine_devices.cpp).
std::function<void()> signal_event(int event);

// The PC's own devices on the port-I/O and MMIO buses (machine_devices.cpp).
struct DeviceSet {
    Bus io_bus;
    Bus mmio_bus;
    std::shared_ptr<Serial> serial;
    std::shared_ptr<ExitStatusPort> exit_status_port;          // the guest agent's status
    std::shared_ptr<GenericEventDevice> generic_event_device;  // the ACPI power button
    // Written when the UART (or the virtio console) has room for more input.
    UniqueFd input_space_event;
};
// `power` receives the guest's power-off and reset.
Result<std::unique_ptr<DeviceSet>> build_devices(const VmConfig& config, const Vm& vm,
                                                 const GuestMemory& memory,
                                                 std::shared_ptr<PowerControl> power);

// The virtio devices wired to KVM: one transport per slot on the MMIO bus, its
// queue notifiers as ioeventfds, its interrupt as an irqfd, and the event loop
// that serves them (machine_virtio.cpp). Destroying it stops the devices and
// the loop; it must go before the devices and guest memory do.
class VirtioWiring {
public:
    VirtioWiring();
    VirtioWiring(VirtioWiring&&) noexcept;
    VirtioWiring& operator=(VirtioWiring&&) noexcept;
    ~VirtioWiring();

    std::unique_ptr<virtio::EventLoop> loop;  // null without virtio devices
    std::vector<std::shared_ptr<virtio::MmioTransport>> transports;
    std::vector<EventFd> irqfds;
};
// `enter_thread` runs first on the event loop's thread (its seccomp filter).
Result<VirtioWiring> wire_virtio_devices(const VirtioDeviceSet& virtio, const Vm& vm,
                                         const GuestMemory& memory, DeviceSet& devices,
                                         std::function<bool()> enter_thread);

// Everything about one vCPU and the thread that runs it, in one place.
struct VcpuSlot {
    explicit VcpuSlot(Vcpu created) : vcpu(std::move(created)) {}
    ~VcpuSlot();
    Vcpu vcpu;
    std::thread thread;
    pthread_t handle{};
    bool kickable = false;      // the thread runs (set and cleared by Machine::run())
    std::atomic<pid_t> tid{0};  // the thread's id, once it runs
    // The thread's /proc/thread-self/stat, opened by the thread before its
    // filter (which forbids open) so the control thread can pread its CPU time.
    std::atomic<int> stat_fd{-1};
};
using VcpuSet = std::vector<std::unique_ptr<VcpuSlot>>;
// The vCPUs with their CPUID, the boot vCPU at `entry` (machine_kvm.cpp).
Result<VcpuSet> create_vcpus(const VmConfig& config, const Kvm& kvm, const Vm& vm,
                             const GuestMemory& memory, const BootEntry& entry);

}  // namespace twinbox
