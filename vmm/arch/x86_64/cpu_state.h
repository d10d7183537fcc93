// The state a vCPU starts in: model-specific registers, FPU, local APIC
// LINT pins, and for the boot processor the registers a loader's BootEntry
// asks for (real mode, 32-bit protected mode, or 64-bit long mode).
#pragma once

#include <linux/kvm.h>

#include "common/result.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/arch/x86_64/cpuid.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

// Everything every vCPU needs, boot processor or not: CPUID, MSRs, FPU, LAPIC.
Result<void> configure_vcpu(Vcpu& vcpu, const std::vector<kvm_cpuid_entry2>& supported_cpuid,
                            const CpuidOptions& options);

// The boot processor's entry state. Writes the boot GDT (and for long mode the
// identity page tables) into guest memory first.
Result<void> set_boot_state(Vcpu& vcpu, const GuestMemory& memory, const BootEntry& entry);

// The pure parts of set_boot_state, for unit tests.
kvm_sregs boot_sregs(kvm_sregs sregs, const BootEntry& entry, uint64_t cr3);
kvm_regs boot_regs(const BootEntry& entry);

}  // namespace twinbox
