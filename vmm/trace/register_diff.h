// What one guest instruction changed: the difference between the vCPU's
// registers before and after a single step (`twinbox vm step`).
//
// General-purpose registers are named at the width of the mode the vCPU is
// in (ax in real mode, eax in 32-bit code, rax in 64-bit mode; a wider name
// when a value does not fit), RFLAGS changes list the flags set and cleared
// (Intel SDM vol. 1, 3.4.3), and the system registers a bare-metal guest
// typically touches on its way to long mode are compared too: segment
// selectors and bases, CR0/CR2/CR3/CR4, EFER, GDTR and IDTR (SDM vol. 3A,
// 2.4 and 2.5). RIP is left out: it changes with every instruction and is
// printed as the instruction's address.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/trace/disassembler.h"

namespace twinbox {

struct CpuSnapshot {
    kvm_regs regs{};
    kvm_sregs sregs{};
};

struct RegisterChange {
    std::string name;  // "ax", "rflags", "ds", "cr0", ...
    uint64_t before = 0;
    uint64_t after = 0;
    std::string note;  // e.g. "+ZF -CF" for flags, "base 0x10000" for segments
};

// The registers that differ between `before` and `after`, in a fixed order
// (general-purpose, flags, segments, control registers, descriptor tables).
// `mode` is the mode the instruction ran in; it picks the register names.
std::vector<RegisterChange> diff_registers(const CpuSnapshot& before, const CpuSnapshot& after,
                                           GuestMode mode);

// "+ZF +PF -CF": the RFLAGS bits set and cleared between two values.
std::string describe_flag_changes(uint64_t before, uint64_t after);

// "ax 0x0->0x7c1b  rflags 0x2->0x46 (+ZF +PF)"; empty when nothing changed.
std::string format_changes(const std::vector<RegisterChange>& changes);

// One line of the listing: step number, address, bytes, instruction, changes.
//   "    4  0x7c05  be 1b 7c              mov si, 0x7c1b              si 0x0->0x7c1b"
std::string format_step(uint64_t step, uint64_t address, const std::vector<uint8_t>& bytes,
                        const std::string& instruction, const std::string& changes);

}  // namespace twinbox
