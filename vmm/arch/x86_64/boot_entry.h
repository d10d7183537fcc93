// BootEntry: what a loader hands to the vCPU setup code, i.e. the processor
// state the guest's first instruction expects. Each loader (bzImage,
// multiboot, flat) fills one in; vmm/arch/x86_64/cpu_state.cpp turns it into
// KVM registers.
#pragma once

#include <cstdint>

namespace twinbox {

enum class CpuMode {
    real,         // 16-bit real mode; all segments share one base chosen so IP and SP fit 16 bits
    protected32,  // 32-bit protected mode, flat 4 GiB segments, paging off (multiboot, boot.rst
                  // 32-bit)
    long64,  // 64-bit long mode, identity-mapped first 4 GiB, flat segments (Linux 64-bit boot)
};

struct BootEntry {
    CpuMode mode = CpuMode::long64;
    uint64_t instruction_pointer = 0;
    uint64_t stack_pointer = 0;
    // General registers the boot protocol defines (multiboot: EAX magic, EBX info;
    // Linux 64-bit: RSI zero page). Others start as zero.
    uint64_t rax = 0;
    uint64_t rbx = 0;
    uint64_t rsi = 0;
};

}  // namespace twinbox
