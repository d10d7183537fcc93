// Machine: one running VM, from KVM_CREATE_VM to the guest's power-off.
//
// Machine::create() builds everything in the order a PC comes up: guest RAM,
// the kernel and firmware tables loaded into it, then KVM (VM, in-kernel
// interrupt controllers, memory slots), the devices on the port-I/O and MMIO
// buses, and the vCPUs in their boot state. run() starts one thread per vCPU
// and lets the calling thread serve the console and signals until the guest
// powers off or the host stops it. See docs/vmm.md for the whole flow.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/event_fd.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/devices/bus.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine/machine_view.h"
#include "vmm/machine/pause_gate.h"
#include "vmm/machine/vm_config.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/sandbox/seccomp_filter.h"

namespace twinbox {

class Serial;
class ExitTracer;
class ExitStatusPort;
class GenericEventDevice;
class ControlServer;
class MachineControl;
class VmRegistration;
namespace virtio {
class EventLoop;
class MmioTransport;
class VirtioDevice;
class ConsoleDevice;
}  // namespace virtio
namespace agent {
class AgentChannel;
}

class Machine : public PowerControl, public MachineView {
public:
    // Checks the configuration, loads the guest and builds the VM. Errors are
    // one line naming what failed and what to do.
    static Result<std::unique_ptr<Machine>> create(const VmConfig& config);
    ~Machine() override;

    // Runs the guest to the end; returns the exit status for the process.
    int run();

    const GuestMemory& memory() const override { return m_memory; }

    // Exit-by-exit control for the single-stepper (vmm/machine/stepper.h), instead
    // of run(): the calling thread is the vCPU (one-vCPU machines only). Enters
    // the guest once, serves the exit as run() would (port I/O, MMIO, power-off)
    // and returns its KVM_EXIT_* reason; KVM_EXIT_DEBUG is left to the caller and
    // a signal gives KVM_EXIT_INTR. See machine_step.cpp.
    Result<uint32_t> enter_guest_once();
    Vcpu& boot_vcpu() { return m_vcpus.front()->vcpu; }
    bool stopping() const override { return m_stopping.load(); }
    int exit_status() const { return m_exit_status.load(); }
    // The name in the VM registry (vm ls, top); empty when the VM is not registered.
    const std::string& name() const { return m_name; }
    KvmBackend backend() const { return m_kvm->backend(); }
    // The exit status the guest agent reported on the exit-status port
    // (vmm/devices/exit_status.h), if it did.
    std::optional<int> workload_status() const;

    // Presses the ACPI power button (the GED's event, devices/generic_event_device.h):
    // the guest then shuts down on its own. Any thread. An error when the guest
    // is not a Linux kernel, which is the only kind that reads the DSDT.
    Result<void> press_power_button() override;

    // PowerControl: called by devices (ACPI sleep, debug-exit, i8042) on vCPU threads.
    void power_off(int status) override;
    void reset() override;

    // MachineView: the control socket's read-only view, pause, resume and stop
    // (machine_view.cpp).
    bool paused() const override;
    const Bus& io_bus() const override { return m_io_bus; }
    const Bus& mmio_bus() const override { return m_mmio_bus; }
    std::vector<std::string> virtio_kinds() const override;
    ExitCounters::Snapshot exit_counts() const override;
    bool exits_timed() const override { return m_tracer != nullptr; }
    std::vector<VcpuThread> vcpu_threads() const override;
    bool pause(std::chrono::milliseconds timeout) override;
    void resume() override;
    void stop() override;

private:
    explicit Machine(const VmConfig& config, GuestMemory memory);

    Result<void> create_virtio_devices();
    Result<void> load_guest();
    Result<void> create_vm();
    Result<void> create_devices();
    Result<void> attach_virtio_devices();
    void shutdown_virtio_devices();
    std::string virtio_command_line() const;
    Result<void> create_vcpus();
    // The registry entry and control socket (machine_control.cpp).
    Result<void> open_control_socket();
    void close_control_socket();

    // Asks every thread to stop; the first caller's status wins.
    void request_stop(int status);
    void kick_vcpus();
    void vcpu_thread(size_t index);
    // Handles one exit; false when the vCPU must stop.
    bool handle_exit(Vcpu& vcpu);
    bool handle_io(Vcpu& vcpu);
    bool handle_mmio(Vcpu& vcpu);
    void fail_vcpu(Vcpu& vcpu, const std::string& what);
    int serve_console();
    // Installs the role's seccomp filter on the calling thread when the machine is
    // sandboxed (VmConfig::seccomp); on failure stops the VM and returns false.
    bool enter_sandbox(sandbox::ThreadRole role);

    VmConfig m_config;
    GuestMemory m_memory;
    BootEntry m_boot_entry;
    std::optional<Kvm> m_kvm;
    std::optional<Vm> m_vm;
    // Everything about one vCPU and the thread that runs it, in one place.
    struct VcpuSlot {
        explicit VcpuSlot(Vcpu created) : vcpu(std::move(created)) {}
        ~VcpuSlot();
        Vcpu vcpu;
        std::thread thread;
        pthread_t handle{};
        bool kickable = false;      // the thread runs (set and cleared by run())
        std::atomic<pid_t> tid{0};  // the thread's id, once it runs
        // The thread's /proc/thread-self/stat, opened by the thread before its
        // filter (which forbids open) so the control thread can pread its CPU time.
        std::atomic<int> stat_fd{-1};
    };
    std::vector<std::unique_ptr<VcpuSlot>> m_vcpus;
    Bus m_io_bus;
    Bus m_mmio_bus;
    std::shared_ptr<Serial> m_serial;
    UniqueFd m_stop_event;         // eventfd written by request_stop()
    UniqueFd m_input_space_event;  // eventfd written when the UART has room for input
    // virtio-mmio devices in slot order (slot i: layout::virtio_mmio_address(i),
    // GSI layout::kVirtioIrqs[i]); created before the guest is loaded, so the ACPI
    // tables and command line can name them and a bad --disk fails before KVM opens.
    std::vector<std::shared_ptr<virtio::VirtioDevice>> m_virtio_devices;
    std::shared_ptr<virtio::ConsoleDevice> m_virtio_console;
    // The guest agent's exec channel (VmConfig::agent_channel): a second
    // virtio-console, served as agent.sock next to the control socket.
    std::unique_ptr<agent::AgentChannel> m_agent_channel;
    std::vector<std::shared_ptr<virtio::MmioTransport>> m_virtio_transports;
    std::vector<EventFd> m_virtio_irqfds;
    std::unique_ptr<virtio::EventLoop> m_virtio_loop;
    std::shared_ptr<ExitStatusPort> m_exit_status_port;
    std::shared_ptr<GenericEventDevice> m_generic_event_device;  // the ACPI power button
    std::unique_ptr<ExitTracer> m_tracer;                        // --trace-exits / --exit-stats
    std::unique_ptr<ExitCounters> m_counters;  // always on: stats for the control socket
    PauseGate m_pause;
    std::string m_name;
    std::unique_ptr<MachineControl> m_control_target;
    std::unique_ptr<ControlServer> m_control_server;
    std::unique_ptr<VmRegistration> m_registration;
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_exit_status{0};
};

}  // namespace twinbox
