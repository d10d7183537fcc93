// Machine::create(): the machine builder. It turns a VmConfig into complete
// parts (machine_parts.h), one step at a time, and only then constructs the
// Machine from them, so a Machine is never half-built and an error at any step
// unwinds the parts built so far through their destructors (RAII), leaving
// nothing behind on the host. The order is the one a PC comes up in, with the
// constraints KVM adds (api.rst); each step says why it sits where it does.
// Models: Firecracker's builder.rs (build_microvm_for_boot), Cloud
// Hypervisor's Vm::new.
#include "common/log.h"
#include "vmm/control/exit_counters.h"
#include "vmm/machine/machine.h"
#include "vmm/sandbox/test_hook.h"
#include "vmm/trace/exit_trace.h"

namespace twinbox {

namespace {

// The guest and its devices, before KVM is opened: everything that can fail
// because of what the user asked for (a bad --disk, --net, kernel or initrd) is
// reported as such even on a host without /dev/kvm, and leaves nothing behind.
struct GuestParts {
    std::unique_ptr<GuestMemory> memory;
    VirtioDeviceSet virtio;
    BootEntry boot_entry;
};

Result<GuestParts> build_guest(const VmConfig& config) {
    TRY(check_config(config));
    auto memory = std::make_unique<GuestMemory>(TRY(GuestMemory::create(config.memory)));
    // Disks and taps are opened before the guest is loaded: the firmware tables
    // and the Linux command line name one virtio-mmio slot per device.
    auto virtio = TRY(build_virtio_devices(config));
    auto entry = TRY(load_guest(config, *memory, virtio.devices.size()));
    return GuestParts{std::move(memory), std::move(virtio), entry};
}

}  // namespace

Result<std::unique_ptr<Machine>> Machine::create(const VmConfig& config) {
    auto guest = TRY(build_guest(config));
    // The run state comes before any device: devices send the guest's power-off
    // and reset to it, and threads started while building (the virtio event
    // loop) install their seccomp filter through it.
    auto run = TRY(RunControl::create(config.seccomp));
    // KVM: the VM, its in-kernel interrupt controllers and its memory slots
    // (machine_kvm.cpp), before any device that raises an interrupt through it.
    Kvm kvm = TRY(open_kvm(config));
    auto vm = TRY(create_vm(kvm, *guest.memory));
    // The PC's devices, then the virtio transports beside them on the MMIO bus,
    // with their ioeventfds and irqfds registered in the VM: both raise GSIs of
    // the in-kernel irqchip made above (KVM_IRQ_LINE and KVM_IRQFD need it,
    // api.rst 4.25 and 4.75).
    auto devices = TRY(build_devices(config, *vm, *guest.memory, run));
    auto wiring = TRY(wire_virtio_devices(guest.virtio, *vm, *guest.memory, *devices, [run] {
        return run->enter_sandbox(sandbox::ThreadRole::event_loop);
    }));
    // The exit tracer and counters name the devices on the buses, so they follow them.
    std::unique_ptr<ExitTracer> tracer;
    if (config.trace_exits || config.exit_stats)
        tracer = TRY(ExitTracer::create({config.trace_exits, config.trace_file, config.exit_stats},
                                        *guest.memory, devices->io_bus, devices->mmio_bus));
    auto counters = std::make_unique<ExitCounters>(config.cpus, devices->io_bus, devices->mmio_bus);
    // vCPUs last: KVM creates their local APICs from the irqchip above, and the
    // boot vCPU starts at the entry point of the guest loaded into memory.
    auto vcpus = TRY(create_vcpus(config, kvm, *vm, *guest.memory, guest.boot_entry));
    sandbox::requested_test_violation();  // the test hook reads its variable once, now

    std::unique_ptr<Machine> machine(new Machine(config, Parts{.run = std::move(run),
                                                               .memory = std::move(guest.memory),
                                                               .kvm = std::move(kvm),
                                                               .vm = std::move(vm),
                                                               .devices = std::move(devices),
                                                               .virtio = std::move(guest.virtio),
                                                               .virtio_wiring = std::move(wiring),
                                                               .tracer = std::move(tracer),
                                                               .counters = std::move(counters),
                                                               .vcpus = std::move(vcpus)}));
    // The registry entry and control socket (twinbox vm ls / top / pause) serve the
    // finished Machine. With --name they are required; otherwise a VM whose state
    // directory is not writable still runs, just without them.
    if (auto opened = machine->open_control_socket(); !opened) {
        if (!config.name.empty())
            return std::move(opened).error().with_context("--name " + config.name);
        log::info("no control socket for this VM: {}", opened.error().to_string());
    }
    return machine;
}

}  // namespace twinbox
