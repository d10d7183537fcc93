// Vm: one KVM virtual machine (the fd KVM_CREATE_VM returns). It owns the
// guest's memory slots, the in-kernel interrupt controllers and PIT, and
// creates the vCPUs. Model: rust-vmm kvm-ioctls src/ioctls/vm.rs.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <memory>

#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

class Kvm;
class Vcpu;

class Vm {
public:
    int fd() const { return m_fd.get(); }

    // Registers every region of `memory` as a KVM memory slot (KVM_SET_USER_MEMORY_REGION).
    Result<void> register_memory(const GuestMemory& memory);
    // TSS and identity-map pages inside the MMIO hole, needed by Intel VMX (api.rst 4.40, 4.41).
    Result<void> set_tss_and_identity_map(uint64_t tss_address, uint64_t identity_map_address);
    // The in-kernel PIC pair, IOAPIC and per-vCPU local APICs (KVM_CREATE_IRQCHIP), and
    // the i8254 PIT (KVM_CREATE_PIT2) with the PC speaker port emulated as a dummy.
    Result<void> create_irqchip_and_pit();
    // Sets the level of an interrupt controller input (KVM_IRQ_LINE; GSI numbering).
    Result<void> set_irq_line(uint32_t gsi, bool high) const;

    // Lets KVM signal `event` itself when the guest writes `datamatch` (4 bytes) to
    // MMIO `address`, without an exit to twinbox (KVM_IOEVENTFD, api.rst 4.59).
    Result<void> register_ioeventfd(uint64_t address, uint32_t datamatch, int event) const;
    // Lets a signal on `event` raise `gsi` as an edge, from any thread (KVM_IRQFD, api.rst 4.75).
    Result<void> register_irqfd(int event, uint32_t gsi) const;

    Result<Vcpu> create_vcpu(uint32_t index, size_t run_mmap_size) const;

private:
    friend class Kvm;
    explicit Vm(UniqueFd fd) : m_fd(std::move(fd)) {}

    UniqueFd m_fd;
    uint32_t m_next_slot = 0;
};

}  // namespace twinbox
