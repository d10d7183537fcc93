#include "vmm/kvm/vm.h"

#include <fmt/core.h>
#include <sys/ioctl.h>

#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vcpu.h"

namespace twinbox {

Result<void> Vm::register_memory(const GuestMemory& memory) {
    for (const MemoryRegion& region : memory.regions()) {
        kvm_userspace_memory_region slot{};
        slot.slot = m_next_slot++;
        slot.guest_phys_addr = region.guest_address;
        slot.memory_size = region.size;
        slot.userspace_addr = reinterpret_cast<uint64_t>(region.host);
        if (::ioctl(m_fd.get(), KVM_SET_USER_MEMORY_REGION, &slot) < 0)
            return Error::from_errno(
                "ioctl(KVM_SET_USER_MEMORY_REGION)",
                fmt::format("guest RAM at {:#x}+{:#x}", region.guest_address, region.size));
    }
    return ok();
}

Result<void> Vm::set_tss_and_identity_map(uint64_t tss_address, uint64_t identity_map_address) {
    if (::ioctl(m_fd.get(), KVM_SET_IDENTITY_MAP_ADDR, &identity_map_address) < 0)
        return Error::from_errno("ioctl(KVM_SET_IDENTITY_MAP_ADDR)",
                                 fmt::format("{:#x}", identity_map_address));
    if (::ioctl(m_fd.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(tss_address)) < 0)
        return Error::from_errno("ioctl(KVM_SET_TSS_ADDR)", fmt::format("{:#x}", tss_address));
    return ok();
}

Result<void> Vm::create_irqchip_and_pit() {
    if (::ioctl(m_fd.get(), KVM_CREATE_IRQCHIP, 0) < 0)
        return Error::from_errno("ioctl(KVM_CREATE_IRQCHIP)",
                                 "in-kernel PIC, IOAPIC and local APICs");
    kvm_pit_config pit{};
    // Port 0x61 (the speaker and PIT channel 2 gate) is read by Linux to calibrate its
    // clocks; the dummy speaker lets the kernel answer it instead of twinbox.
    pit.flags = KVM_PIT_SPEAKER_DUMMY;
    if (::ioctl(m_fd.get(), KVM_CREATE_PIT2, &pit) < 0)
        return Error::from_errno("ioctl(KVM_CREATE_PIT2)", "in-kernel i8254 PIT");
    return ok();
}

Result<void> Vm::set_irq_line(uint32_t gsi, bool high) const {
    kvm_irq_level level{};
    level.irq = gsi;
    level.level = high ? 1 : 0;
    if (::ioctl(m_fd.get(), KVM_IRQ_LINE, &level) < 0)
        return Error::from_errno("ioctl(KVM_IRQ_LINE)", fmt::format("GSI {}", gsi));
    return ok();
}

Result<void> Vm::register_ioeventfd(uint64_t address, uint32_t datamatch, int event) const {
    kvm_ioeventfd request{};
    request.datamatch = datamatch;
    request.addr = address;
    request.len = 4;
    request.fd = event;
    request.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
    if (::ioctl(m_fd.get(), KVM_IOEVENTFD, &request) < 0)
        return Error::from_errno("ioctl(KVM_IOEVENTFD)", fmt::format("MMIO {:#x}", address));
    return ok();
}

Result<void> Vm::register_irqfd(int event, uint32_t gsi) const {
    kvm_irqfd request{};
    request.fd = static_cast<uint32_t>(event);
    request.gsi = gsi;
    if (::ioctl(m_fd.get(), KVM_IRQFD, &request) < 0)
        return Error::from_errno("ioctl(KVM_IRQFD)", fmt::format("GSI {}", gsi));
    return ok();
}

Result<Vcpu> Vm::create_vcpu(uint32_t index, size_t run_mmap_size) const {
    int fd = ::ioctl(m_fd.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(index));
    if (fd < 0)
        return Error::from_errno("ioctl(KVM_CREATE_VCPU)", fmt::format("vCPU {}", index));
    UniqueFd vcpu_fd(fd);
    auto run =
        TRY(Mapping::of_fd(vcpu_fd.get(), run_mmap_size, fmt::format("kvm_run of vCPU {}", index)));
    return Vcpu(std::move(vcpu_fd), std::move(run), index);
}

}  // namespace twinbox
