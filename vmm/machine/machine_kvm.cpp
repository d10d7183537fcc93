// The KVM side of building a Machine (machine_parts.h), in the order the KVM
// API requires (Documentation/virt/kvm/api.rst): /dev/kvm and its
// capabilities, then the VM; on x86 the TSS and identity map and the in-kernel
// IRQ chip before any vCPU exists (KVM refuses KVM_CREATE_IRQCHIP once a vCPU
// was created, and each vCPU gets its local APIC from the chip: api.rst 4.24),
// the memory slots, and last the vCPUs, whose boot state points into the
// loaded guest.
#include <fmt/core.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/arch/x86_64/cpu_state.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/machine/machine_parts.h"

namespace twinbox {

Result<Kvm> open_kvm(const VmConfig& config) {
    Kvm kvm = TRY(Kvm::open());
    log::info("KVM backend: {}", backend_name(kvm.backend()));
    if (!config.kernel.empty() && !backend_boots_linux(kvm.backend()))
        return Error::message(
                   fmt::format(
                       "cannot boot Linux kernel {} on this host's KVM backend, {}: it emulates guest kernel code and unmodified Linux dies on it",
                       config.kernel, backend_name(kvm.backend())))
            .with_hint(
                "run Linux guests inside the test host VM (tests/testhost/testhost.sh -- twinbox vm run ...); bare-metal guests (--flat, --multiboot) run here");
    if (kvm.backend() == KvmBackend::pvm)
        log::warn(
            "this host's KVM is PVM: guest kernel-mode code is emulated (about 1.5 us per instruction), so bare-metal guests run slowly and unmodified Linux kernels cannot run at all");
    int max_vcpus = kvm.max_vcpus();
    if (config.cpus > static_cast<uint32_t>(max_vcpus))
        return Error::message(fmt::format(
            "--cpus {} is more than the {} vCPUs KVM allows on this host", config.cpus, max_vcpus));
    return kvm;
}

Result<std::unique_ptr<Vm>> create_vm(const Kvm& kvm, const GuestMemory& memory) {
    auto vm = std::make_unique<Vm>(TRY(kvm.create_vm()));
    TRY(vm->set_tss_and_identity_map(layout::kTssAddress, layout::kIdentityMapAddress));
    TRY(vm->create_irqchip_and_pit());
    TRY(vm->register_memory(memory));
    return vm;
}

Result<VcpuSet> create_vcpus(const VmConfig& config, const Kvm& kvm, const Vm& vm,
                             const GuestMemory& memory, const BootEntry& entry) {
    auto run_size = TRY(kvm.vcpu_mmap_size());
    auto supported = TRY(kvm.supported_cpuid());
    bool tsc_deadline = kvm.check_extension(KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    VcpuSet vcpus;
    for (uint32_t index = 0; index < config.cpus; ++index) {
        Vcpu vcpu = TRY(vm.create_vcpu(index, run_size));
        TRY(configure_vcpu(vcpu, supported, CpuidOptions{index, config.cpus, tsc_deadline}));
        // Only the boot processor gets the loader's state; with the in-kernel LAPIC the
        // others wait for INIT/SIPI from the guest, as on real hardware.
        if (index == 0)
            TRY(set_boot_state(vcpu, memory, entry));
        vcpus.push_back(std::make_unique<VcpuSlot>(std::move(vcpu)));
    }
    return vcpus;
}

VcpuSlot::~VcpuSlot() {
    if (int fd = stat_fd.load(); fd >= 0)
        ::close(fd);
}

}  // namespace twinbox
