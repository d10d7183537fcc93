// Vcpu: one virtual CPU (the fd KVM_CREATE_VCPU returns) and its kvm_run
// area, the page KVM and twinbox share to describe each exit. The thread
// that calls run() is the vCPU; it must be the same thread every time.
// Model: rust-vmm kvm-ioctls src/ioctls/vcpu.rs.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "common/mapping.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox {

class Vcpu {
public:
    uint32_t index() const { return m_index; }
    int fd() const { return m_fd.get(); }
    kvm_run* run_state() const { return m_run.as<kvm_run>(); }
    size_t run_state_size() const { return m_run.size(); }

    // KVM_RUN: enters the guest until the next exit to user space. Returns the
    // errno on failure; EINTR and EAGAIN mean "look at your stop flag and retry".
    Result<void> run();

    Result<kvm_regs> get_regs() const;
    Result<void> set_regs(const kvm_regs& regs);
    Result<kvm_sregs> get_sregs() const;
    Result<void> set_sregs(const kvm_sregs& sregs);
    Result<kvm_fpu> get_fpu() const;
    Result<void> set_fpu(const kvm_fpu& fpu);
    Result<void> set_cpuid(std::span<const kvm_cpuid_entry2> entries);
    // Sets model-specific registers: pairs of (index, value).
    Result<void> set_msrs(std::span<const std::pair<uint32_t, uint64_t>> msrs);
    // Sets XCR0, the extended-state enable register (KVM_SET_XCRS).
    Result<void> set_xcr0(uint64_t value);
    Result<kvm_lapic_state> get_lapic() const;
    Result<void> set_lapic(const kvm_lapic_state& lapic);
    Result<kvm_mp_state> get_mp_state() const;
    Result<void> set_guest_debug(const kvm_guest_debug& debug);
    // Guest-virtual to guest-physical, through the vCPU's current page tables (KVM_TRANSLATE).
    Result<kvm_translation> translate(uint64_t linear_address) const;

private:
    friend class Vm;
    Vcpu(UniqueFd fd, Mapping run, uint32_t index)
        : m_fd(std::move(fd)), m_run(std::move(run)), m_index(index) {}

    UniqueFd m_fd;
    Mapping m_run;
    uint32_t m_index;
};

}  // namespace twinbox
