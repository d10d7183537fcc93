// What the guest was executing when a vCPU exited: its mode, RIP, and the
// instruction there, read through the guest's own page tables.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/trace/disassembler.h"

namespace twinbox {

struct GuestLocation {
    GuestMode mode = GuestMode::real16;
    uint64_t rip = 0;
    uint64_t linear = 0;    // segment base + RIP
    uint64_t physical = 0;  // after paging (KVM_TRANSLATE)
    Instruction instruction;
    std::vector<uint8_t> bytes;  // the decoded instruction's bytes (for the single-stepper)
};

// The CPU mode from CR0.PE, EFER.LMA and the code segment's L and D bits
// (Intel SDM vol. 3A, 2.2 and 5.2.1).
GuestMode guest_mode(const kvm_sregs& sregs);

// Reads the registers, translates CS:RIP and disassembles the instruction
// there. Guest-controlled values are bounds-checked: an unmapped RIP gives
// an "(unmapped)" instruction, never a host read outside guest RAM.
Result<GuestLocation> locate_guest(const Vcpu& vcpu, const GuestMemory& memory);

// The same, from registers the caller already has.
GuestLocation locate_guest(const Vcpu& vcpu, const GuestMemory& memory, const kvm_regs& regs,
                           const kvm_sregs& sregs);

}  // namespace twinbox
