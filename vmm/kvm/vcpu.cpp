#include "vmm/kvm/vcpu.h"

#include <fmt/core.h>
#include <sys/ioctl.h>

#include <memory>

#include "vmm/kvm/kvm_abi.h"

namespace twinbox {

namespace {

// One helper for the many "ioctl with a struct" calls, so each names itself in errors.
template <typename T>
Result<void> vcpu_ioctl(int fd, unsigned long request, T* argument, const char* name,
                        uint32_t index) {
    if (::ioctl(fd, request, argument) < 0)
        return Error::from_errno(fmt::format("ioctl({})", name), fmt::format("vCPU {}", index));
    return ok();
}

}  // namespace

Result<void> Vcpu::run() {
    if (::ioctl(m_fd.get(), KVM_RUN, 0) < 0)
        return Error::from_errno("ioctl(KVM_RUN)", fmt::format("vCPU {}", m_index));
    return ok();
}

Result<kvm_regs> Vcpu::get_regs() const {
    kvm_regs regs{};
    TRY(vcpu_ioctl(m_fd.get(), KVM_GET_REGS, &regs, "KVM_GET_REGS", m_index));
    return regs;
}

Result<void> Vcpu::set_regs(const kvm_regs& regs) {
    kvm_regs copy = regs;
    return vcpu_ioctl(m_fd.get(), KVM_SET_REGS, &copy, "KVM_SET_REGS", m_index);
}

Result<kvm_sregs> Vcpu::get_sregs() const {
    kvm_sregs sregs{};
    TRY(vcpu_ioctl(m_fd.get(), KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", m_index));
    return sregs;
}

Result<void> Vcpu::set_sregs(const kvm_sregs& sregs) {
    kvm_sregs copy = sregs;
    return vcpu_ioctl(m_fd.get(), KVM_SET_SREGS, &copy, "KVM_SET_SREGS", m_index);
}

Result<kvm_fpu> Vcpu::get_fpu() const {
    kvm_fpu fpu{};
    TRY(vcpu_ioctl(m_fd.get(), KVM_GET_FPU, &fpu, "KVM_GET_FPU", m_index));
    return fpu;
}

Result<void> Vcpu::set_fpu(const kvm_fpu& fpu) {
    kvm_fpu copy = fpu;
    return vcpu_ioctl(m_fd.get(), KVM_SET_FPU, &copy, "KVM_SET_FPU", m_index);
}

Result<void> Vcpu::set_cpuid(std::span<const kvm_cpuid_entry2> entries) {
    size_t bytes = sizeof(kvm_abi::CpuidHeader) + entries.size() * sizeof(kvm_cpuid_entry2);
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
    auto* header = reinterpret_cast<kvm_abi::CpuidHeader*>(buffer.get());
    header->entry_count = static_cast<uint32_t>(entries.size());
    std::copy(entries.begin(), entries.end(), reinterpret_cast<kvm_cpuid_entry2*>(header + 1));
    return vcpu_ioctl(m_fd.get(), kvm_abi::kSetCpuid2, buffer.get(), "KVM_SET_CPUID2", m_index);
}

Result<void> Vcpu::set_msrs(std::span<const std::pair<uint32_t, uint64_t>> msrs) {
    size_t bytes = sizeof(kvm_abi::MsrsHeader) + msrs.size() * sizeof(kvm_msr_entry);
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
    auto* header = reinterpret_cast<kvm_abi::MsrsHeader*>(buffer.get());
    auto* entries = reinterpret_cast<kvm_msr_entry*>(header + 1);
    header->msr_count = static_cast<uint32_t>(msrs.size());
    for (size_t i = 0; i < msrs.size(); ++i) {
        entries[i].index = msrs[i].first;
        entries[i].data = msrs[i].second;
    }
    // KVM_SET_MSRS returns how many it set; fewer than asked names the first it refused.
    int set = ::ioctl(m_fd.get(), kvm_abi::kSetMsrs, buffer.get());
    if (set < 0)
        return Error::from_errno("ioctl(KVM_SET_MSRS)", fmt::format("vCPU {}", m_index));
    if (static_cast<size_t>(set) != msrs.size())
        return Error::message(
            fmt::format("KVM refused to set MSR {:#x} on vCPU {}", msrs[set].first, m_index));
    return ok();
}

Result<void> Vcpu::set_xcr0(uint64_t value) {
    kvm_xcrs xcrs{};
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = value;
    return vcpu_ioctl(m_fd.get(), KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS", m_index);
}

Result<kvm_lapic_state> Vcpu::get_lapic() const {
    kvm_lapic_state lapic{};
    TRY(vcpu_ioctl(m_fd.get(), KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", m_index));
    return lapic;
}

Result<void> Vcpu::set_lapic(const kvm_lapic_state& lapic) {
    kvm_lapic_state copy = lapic;
    return vcpu_ioctl(m_fd.get(), KVM_SET_LAPIC, &copy, "KVM_SET_LAPIC", m_index);
}

Result<kvm_mp_state> Vcpu::get_mp_state() const {
    kvm_mp_state state{};
    TRY(vcpu_ioctl(m_fd.get(), KVM_GET_MP_STATE, &state, "KVM_GET_MP_STATE", m_index));
    return state;
}

Result<void> Vcpu::set_guest_debug(const kvm_guest_debug& debug) {
    kvm_guest_debug copy = debug;
    return vcpu_ioctl(m_fd.get(), KVM_SET_GUEST_DEBUG, &copy, "KVM_SET_GUEST_DEBUG", m_index);
}

Result<kvm_translation> Vcpu::translate(uint64_t linear_address) const {
    kvm_translation translation{};
    translation.linear_address = linear_address;
    TRY(vcpu_ioctl(m_fd.get(), KVM_TRANSLATE, &translation, "KVM_TRANSLATE", m_index));
    return translation;
}

}  // namespace twinbox
