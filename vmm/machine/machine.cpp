#include "vmm/machine/machine.h"

#include <fmt/core.h>
#include <sys/eventfd.h>
#include <sys/sysinfo.h>

#include "common/file.h"
#include "common/log.h"
#include "vmm/agent/agent_channel.h"
#include "vmm/arch/x86_64/acpi/tables.h"
#include "vmm/arch/x86_64/cpu_state.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/arch/x86_64/mptable.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/flat.h"
#include "vmm/boot/multiboot.h"
#include "vmm/control/exit_counters.h"
#include "vmm/control/registry.h"
#include "vmm/machine/control_socket.h"
#include "vmm/machine/machine_control.h"
#include "vmm/sandbox/test_hook.h"
#include "vmm/trace/exit_trace.h"
#include "vmm/virtio/console.h"
#include "vmm/virtio/event_loop.h"
#include "vmm/virtio/mmio_transport.h"

namespace twinbox {

namespace {

// Upper bounds for files twinbox reads whole; far above any real kernel or initrd,
// low enough that a mistaken path to a disk image fails clearly.
constexpr uint64_t kMaxKernelSize = 256 * layout::kMiB;
constexpr uint64_t kMaxInitrdSize = 2 * layout::kGiB;

Result<void> check_config(const VmConfig& config) {
    int sources = !config.kernel.empty() + !config.multiboot.empty() + !config.flat.empty();
    if (sources != 1)
        return Error::message("give exactly one of --kernel, --multiboot and --flat");
    if (!config.initrd.empty() && config.kernel.empty())
        return Error::message("--initrd needs --kernel");
    if (!config.modules.empty() && config.multiboot.empty())
        return Error::message("--module needs --multiboot");
    if (config.cpus == 0)
        return Error::message("--cpus must be at least 1");
    if (config.cpus > 254)  // APIC IDs are 8 bits and 0xff is broadcast (SDM vol. 3A, 11.4.6)
        return Error::message(fmt::format(
            "--cpus {} is more than the 254 an xAPIC machine can address", config.cpus));
    struct sysinfo info {};
    if (::sysinfo(&info) == 0) {
        uint64_t host_memory = static_cast<uint64_t>(info.totalram) * info.mem_unit;
        if (config.memory > host_memory)
            return Error::message(fmt::format("--memory {} MiB is more than this host's {} MiB",
                                              config.memory >> 20, host_memory >> 20))
                .with_hint("give a smaller --memory");
    }
    return ok();
}

// "FILE ARGS" -> {FILE, ARGS}, as QEMU splits -initrd "mod1 arg,mod2".
std::pair<std::string, std::string> split_module(const std::string& module) {
    auto space = module.find(' ');
    if (space == std::string::npos)
        return {module, ""};
    return {module.substr(0, space), module.substr(space + 1)};
}

}  // namespace

Machine::Machine(const VmConfig& config, GuestMemory memory)
    : m_config(config), m_memory(std::move(memory)) {}

Machine::~Machine() {
    request_stop(exit_code::kTwinboxError);
    kick_vcpus();
    for (auto& slot : m_vcpus)
        if (slot->thread.joinable())
            slot->thread.join();
    close_control_socket();
    shutdown_virtio_devices();
}

Machine::VcpuSlot::~VcpuSlot() {
    if (int fd = stat_fd.load(); fd >= 0)
        ::close(fd);
}

Result<std::unique_ptr<Machine>> Machine::create(const VmConfig& config) {
    TRY(check_config(config));
    auto memory = TRY(GuestMemory::create(config.memory));
    std::unique_ptr<Machine> machine(new Machine(config, std::move(memory)));
    // Disks and taps are opened before anything else, so that a bad --disk or --net is
    // reported as such (and leaves nothing behind) even on a host without /dev/kvm.
    TRY(machine->create_virtio_devices());
    // The guest is loaded before KVM is opened, so that a bad kernel or initrd is
    // reported as such even on a host without /dev/kvm.
    TRY(machine->load_guest());
    TRY(machine->create_vm());
    TRY(machine->create_devices());
    TRY(machine->attach_virtio_devices());
    if (config.trace_exits || config.exit_stats)
        machine->m_tracer =
            TRY(ExitTracer::create({config.trace_exits, config.trace_file, config.exit_stats},
                                   machine->m_memory, machine->m_io_bus, machine->m_mmio_bus));
    TRY(machine->create_vcpus());
    machine->m_counters =
        std::make_unique<ExitCounters>(config.cpus, machine->m_io_bus, machine->m_mmio_bus);
    sandbox::requested_test_violation();  // the test hook reads its variable once, now
    // The registry entry and control socket (twinbox vm ls / top / pause). With
    // --name they are required; otherwise a VM whose state directory is not
    // writable still runs, just without them.
    if (auto opened = machine->open_control_socket(); !opened) {
        if (!config.name.empty())
            return std::move(opened).error().with_context("--name " + config.name);
        log::info("no control socket for this VM: {}", opened.error().to_string());
    }
    return machine;
}

Result<void> Machine::load_guest() {
    // Firmware tables first: the Linux loader records the RSDP address in boot_params.
    AcpiConfig acpi{};
    acpi.cpus = m_config.cpus;
    for (size_t slot = 0; slot < m_virtio_devices.size(); ++slot)
        acpi.virtio_devices.push_back({layout::virtio_mmio_address(slot), layout::kVirtioMmioStride,
                                       layout::kVirtioIrqs[slot]});
    uint64_t rsdp = TRY(write_acpi_tables(m_memory, acpi));
    TRY(write_mp_table(m_memory, m_config.cpus));
    if (!m_config.dump_acpi_directory.empty())
        TRY(dump_acpi_tables(m_memory, rsdp, m_config.dump_acpi_directory));

    if (!m_config.kernel.empty()) {
        auto kernel = TRY(read_whole_file(m_config.kernel, "kernel", kMaxKernelSize));
        std::vector<uint8_t> initrd;
        if (!m_config.initrd.empty())
            initrd = TRY(read_whole_file(m_config.initrd, "initrd", kMaxInitrdSize));
        LinuxBootConfig linux_config{kernel, initrd, m_config.command_line + virtio_command_line(),
                                     rsdp};
        m_boot_entry = TRY(load_bzimage(m_memory, linux_config).with_context(m_config.kernel));
    } else if (!m_config.multiboot.empty()) {
        auto kernel = TRY(read_whole_file(m_config.multiboot, "multiboot kernel", kMaxKernelSize));
        MultibootConfig multiboot{kernel, m_config.multiboot, m_config.command_line, {}};
        for (const std::string& module : m_config.modules) {
            auto [path, arguments] = split_module(module);
            auto data = TRY(read_whole_file(path, "--module", kMaxInitrdSize));
            multiboot.modules.push_back({path, arguments, std::move(data)});
        }
        m_boot_entry = TRY(load_multiboot(m_memory, multiboot).with_context(m_config.multiboot));
    } else {
        auto image = TRY(read_whole_file(m_config.flat, "flat binary", kMaxKernelSize));
        m_boot_entry = TRY(load_flat(m_memory, image, m_config.flat_mode, m_config.flat_address)
                               .with_context(m_config.flat));
    }
    return ok();
}

Result<void> Machine::create_vm() {
    m_kvm.emplace(TRY(Kvm::open()));
    log::info("KVM backend: {}", backend_name(m_kvm->backend()));
    if (!m_config.kernel.empty() && !backend_boots_linux(m_kvm->backend()))
        return Error::message(
                   fmt::format(
                       "cannot boot Linux kernel {} on this host's KVM backend, {}: it emulates guest kernel code and unmodified Linux dies on it",
                       m_config.kernel, backend_name(m_kvm->backend())))
            .with_hint(
                "run Linux guests inside the test host VM (tests/testhost/testhost.sh -- twinbox vm run ...); bare-metal guests (--flat, --multiboot) run here");
    if (m_kvm->backend() == KvmBackend::pvm)
        log::warn(
            "this host's KVM is PVM: guest kernel-mode code is emulated (about 1.5 us per instruction), so bare-metal guests run slowly and unmodified Linux kernels cannot run at all");
    int max_vcpus = m_kvm->max_vcpus();
    if (m_config.cpus > static_cast<uint32_t>(max_vcpus))
        return Error::message(
            fmt::format("--cpus {} is more than the {} vCPUs KVM allows on this host",
                        m_config.cpus, max_vcpus));
    m_vm.emplace(TRY(m_kvm->create_vm()));
    TRY(m_vm->set_tss_and_identity_map(layout::kTssAddress, layout::kIdentityMapAddress));
    TRY(m_vm->create_irqchip_and_pit());
    TRY(m_vm->register_memory(m_memory));
    int stop = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int space = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop < 0 || space < 0)
        return Error::from_errno("eventfd", "VM control events");
    m_stop_event.reset(stop);
    m_input_space_event.reset(space);
    return ok();
}

Result<void> Machine::create_vcpus() {
    auto run_size = TRY(m_kvm->vcpu_mmap_size());
    auto supported = TRY(m_kvm->supported_cpuid());
    bool tsc_deadline = m_kvm->check_extension(KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    for (uint32_t index = 0; index < m_config.cpus; ++index) {
        Vcpu vcpu = TRY(m_vm->create_vcpu(index, run_size));
        TRY(configure_vcpu(vcpu, supported, CpuidOptions{index, m_config.cpus, tsc_deadline}));
        // Only the boot processor gets the loader's state; with the in-kernel LAPIC the
        // others wait for INIT/SIPI from the guest, as on real hardware.
        if (index == 0)
            TRY(set_boot_state(vcpu, m_memory, m_boot_entry));
        m_vcpus.push_back(std::make_unique<VcpuSlot>(std::move(vcpu)));
    }
    return ok();
}

void Machine::power_off(int status) {
    log::info("guest powered off (status {})", status);
    request_stop(status);
}

void Machine::reset() {
    // Like Firecracker, a guest reboot ends the VM; the caller may start it again.
    log::info("guest asked for a reset; stopping the VM");
    request_stop(exit_code::kGuestPoweredOff);
}

}  // namespace twinbox
