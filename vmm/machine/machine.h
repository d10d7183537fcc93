// Machine: one running VM, from KVM_CREATE_VM to the guest's power-off.
//
// Machine::create() (machine_builder.cpp) builds each part whole, in the order
// a PC comes up and KVM requires (machine_parts.h): guest RAM, the virtio
// devices, the kernel and firmware tables loaded into RAM, then KVM (VM,
// in-kernel interrupt controllers, memory slots), the devices on the port-I/O
// and MMIO buses, the virtio devices wired to KVM, and the vCPUs in their boot
// state; then the Machine from the finished parts. run() starts one thread per
// vCPU and lets the calling thread serve the console and signals until the
// guest powers off or the host stops it. See docs/vmm.md for the whole flow.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "vmm/devices/bus.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine/machine_parts.h"
#include "vmm/machine/machine_view.h"
#include "vmm/machine/run_control.h"
#include "vmm/machine/vm_config.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/sandbox/seccomp_filter.h"

namespace twinbox {

class ExitTracer;
class ExitCounters;
class ControlServer;
class MachineControl;
class VmRegistration;

class Machine : public PowerControl, public MachineView {
public:
    // Checks the configuration, loads the guest and builds the VM. Errors are
    // one line naming what failed and what to do.
    static Result<std::unique_ptr<Machine>> create(const VmConfig& config);
    ~Machine() override;

    // Every part of a machine, each complete (machine_parts.h). Declared in the
    // order they are built, so they are destroyed in reverse: the vCPUs and the
    // virtio wiring (which stops the devices and their event loop) before the
    // devices, the devices before the VM, guest memory last.
    struct Parts {
        std::shared_ptr<RunControl> run;
        std::unique_ptr<GuestMemory> memory;
        Kvm kvm;
        std::unique_ptr<Vm> vm;
        std::unique_ptr<DeviceSet> devices;
        VirtioDeviceSet virtio;
        VirtioWiring virtio_wiring;
        std::unique_ptr<ExitTracer> tracer;      // null without --trace-exits / --exit-stats
        std::unique_ptr<ExitCounters> counters;  // always on: stats for the control socket
        VcpuSet vcpus;
    };

    // Runs the guest to the end; returns the exit status for the process.
    int run();

    const GuestMemory& memory() const override { return *m_parts.memory; }

    // Exit-by-exit control for the single-stepper (vmm/machine/stepper.h), instead
    // of run(): the calling thread is the vCPU (one-vCPU machines only). Enters
    // the guest once, serves the exit as run() would (port I/O, MMIO, power-off)
    // and returns its KVM_EXIT_* reason; KVM_EXIT_DEBUG is left to the caller and
    // a signal gives KVM_EXIT_INTR. See machine_step.cpp.
    Result<uint32_t> enter_guest_once();
    Vcpu& boot_vcpu() { return m_parts.vcpus.front()->vcpu; }
    bool stopping() const override { return m_parts.run->stopping(); }
    int exit_status() const { return m_parts.run->exit_status(); }
    // The name in the VM registry (vm ls, top); empty when the VM is not registered.
    const std::string& name() const { return m_name; }
    KvmBackend backend() const { return m_parts.kvm.backend(); }
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
    const Bus& io_bus() const override { return m_parts.devices->io_bus; }
    const Bus& mmio_bus() const override { return m_parts.devices->mmio_bus; }
    std::vector<std::string> virtio_kinds() const override;
    ExitCounters::Snapshot exit_counts() const override;
    bool exits_timed() const override { return m_parts.tracer != nullptr; }
    std::vector<VcpuThread> vcpu_threads() const override;
    bool pause(std::chrono::milliseconds timeout) override;
    void resume() override;
    void stop() override;

private:
    Machine(const VmConfig& config, Parts parts);

    // The registry entry and control socket (machine_control.cpp): attached to
    // the finished Machine, because they answer questions about it.
    Result<void> open_control_socket();
    void close_control_socket();

    void request_stop(int status) { m_parts.run->request_stop(status); }
    void kick_vcpus();
    void vcpu_thread(size_t index);
    // Handles one exit; false when the vCPU must stop.
    bool handle_exit(Vcpu& vcpu);
    bool handle_io(Vcpu& vcpu);
    bool handle_mmio(Vcpu& vcpu);
    void fail_vcpu(Vcpu& vcpu, const std::string& what);
    int serve_console();
    bool enter_sandbox(sandbox::ThreadRole role) { return m_parts.run->enter_sandbox(role); }

    VmConfig m_config;
    Parts m_parts;
    // Present when the VM is registered (a null pointer means "not registered",
    // never "not built yet": see create()).
    std::string m_name;
    std::unique_ptr<MachineControl> m_control_target;
    std::unique_ptr<ControlServer> m_control_server;
    std::unique_ptr<VmRegistration> m_registration;
};

}  // namespace twinbox
