// Register differences for the single-stepper (see register_diff.h).
#include "vmm/trace/register_diff.h"

#include <fmt/core.h>

#include <array>

namespace twinbox {

namespace {

// A general-purpose register under its three names, 64-, 32- and 16-bit.
struct GeneralRegister {
    const char* names[3];
    __u64 kvm_regs::*field;
};

constexpr std::array<GeneralRegister, 16> kGeneralRegisters{{
    {{"rax", "eax", "ax"}, &kvm_regs::rax},
    {{"rbx", "ebx", "bx"}, &kvm_regs::rbx},
    {{"rcx", "ecx", "cx"}, &kvm_regs::rcx},
    {{"rdx", "edx", "dx"}, &kvm_regs::rdx},
    {{"rsi", "esi", "si"}, &kvm_regs::rsi},
    {{"rdi", "edi", "di"}, &kvm_regs::rdi},
    {{"rsp", "esp", "sp"}, &kvm_regs::rsp},
    {{"rbp", "ebp", "bp"}, &kvm_regs::rbp},
    {{"r8", "r8d", "r8w"}, &kvm_regs::r8},
    {{"r9", "r9d", "r9w"}, &kvm_regs::r9},
    {{"r10", "r10d", "r10w"}, &kvm_regs::r10},
    {{"r11", "r11d", "r11w"}, &kvm_regs::r11},
    {{"r12", "r12d", "r12w"}, &kvm_regs::r12},
    {{"r13", "r13d", "r13w"}, &kvm_regs::r13},
    {{"r14", "r14d", "r14w"}, &kvm_regs::r14},
    {{"r15", "r15d", "r15w"}, &kvm_regs::r15},
}};

// RFLAGS bits a program changes (SDM vol. 1, figure 3-8), lowest first.
struct Flag {
    unsigned bit;
    const char* name;
};
constexpr std::array<Flag, 10> kFlags{{{0, "CF"},
                                       {2, "PF"},
                                       {4, "AF"},
                                       {6, "ZF"},
                                       {7, "SF"},
                                       {8, "TF"},
                                       {9, "IF"},
                                       {10, "DF"},
                                       {11, "OF"},
                                       {18, "AC"}}};

struct SegmentRegister {
    const char* name;
    kvm_segment kvm_sregs::*field;
};
constexpr std::array<SegmentRegister, 6> kSegments{{{"cs", &kvm_sregs::cs},
                                                    {"ds", &kvm_sregs::ds},
                                                    {"es", &kvm_sregs::es},
                                                    {"fs", &kvm_sregs::fs},
                                                    {"gs", &kvm_sregs::gs},
                                                    {"ss", &kvm_sregs::ss}}};

struct ControlRegister {
    const char* name;
    __u64 kvm_sregs::*field;
};
constexpr std::array<ControlRegister, 6> kControlRegisters{{{"cr0", &kvm_sregs::cr0},
                                                            {"cr2", &kvm_sregs::cr2},
                                                            {"cr3", &kvm_sregs::cr3},
                                                            {"cr4", &kvm_sregs::cr4},
                                                            {"cr8", &kvm_sregs::cr8},
                                                            {"efer", &kvm_sregs::efer}}};

// 0: the 64-bit name, 1: 32-bit, 2: 16-bit. The mode's own width, widened
// when either value does not fit (a real-mode program may use 32-bit registers).
int name_width(GuestMode mode, uint64_t before, uint64_t after) {
    uint64_t both = before | after;
    int width = mode == GuestMode::long64                                     ? 0
                : mode == GuestMode::real16 || mode == GuestMode::protected16 ? 2
                                                                              : 1;
    if (width == 2 && both > 0xffff)
        width = 1;
    if (width == 1 && both > 0xffffffffull)
        width = 0;
    return width;
}

bool is_16_bit(GuestMode mode) {
    return mode == GuestMode::real16 || mode == GuestMode::protected16;
}

}  // namespace

std::string describe_flag_changes(uint64_t before, uint64_t after) {
    std::string text;
    for (const Flag& flag : kFlags) {
        uint64_t mask = 1ull << flag.bit;
        if ((before & mask) == (after & mask))
            continue;
        if (!text.empty())
            text += ' ';
        text += (after & mask) ? '+' : '-';
        text += flag.name;
    }
    return text;
}

std::vector<RegisterChange> diff_registers(const CpuSnapshot& before, const CpuSnapshot& after,
                                           GuestMode mode) {
    std::vector<RegisterChange> changes;
    for (const GeneralRegister& reg : kGeneralRegisters) {
        uint64_t old_value = before.regs.*reg.field;
        uint64_t new_value = after.regs.*reg.field;
        if (old_value != new_value)
            changes.push_back(
                {reg.names[name_width(mode, old_value, new_value)], old_value, new_value, {}});
    }
    if (before.regs.rflags != after.regs.rflags)
        changes.push_back({is_16_bit(mode)             ? "flags"
                           : mode == GuestMode::long64 ? "rflags"
                                                       : "eflags",
                           before.regs.rflags, after.regs.rflags,
                           describe_flag_changes(before.regs.rflags, after.regs.rflags)});
    for (const SegmentRegister& segment : kSegments) {
        const kvm_segment& old_segment = before.sregs.*segment.field;
        const kvm_segment& new_segment = after.sregs.*segment.field;
        // A selector load also reloads the hidden base (in real mode, selector * 16).
        if (old_segment.selector != new_segment.selector || old_segment.base != new_segment.base)
            changes.push_back({segment.name, old_segment.selector, new_segment.selector,
                               fmt::format("base {:#x}", new_segment.base)});
    }
    for (const ControlRegister& reg : kControlRegisters)
        if (before.sregs.*reg.field != after.sregs.*reg.field)
            changes.push_back({reg.name, before.sregs.*reg.field, after.sregs.*reg.field, {}});
    if (before.sregs.gdt.base != after.sregs.gdt.base ||
        before.sregs.gdt.limit != after.sregs.gdt.limit)
        changes.push_back({"gdtr", before.sregs.gdt.base, after.sregs.gdt.base,
                           fmt::format("limit {:#x}", after.sregs.gdt.limit)});
    if (before.sregs.idt.base != after.sregs.idt.base ||
        before.sregs.idt.limit != after.sregs.idt.limit)
        changes.push_back({"idtr", before.sregs.idt.base, after.sregs.idt.base,
                           fmt::format("limit {:#x}", after.sregs.idt.limit)});
    return changes;
}

std::string format_changes(const std::vector<RegisterChange>& changes) {
    std::string text;
    for (const RegisterChange& change : changes) {
        if (!text.empty())
            text += "  ";
        text += fmt::format("{} {:#x}->{:#x}", change.name, change.before, change.after);
        if (!change.note.empty())
            text += fmt::format(" ({})", change.note);
    }
    return text;
}

std::string format_step(uint64_t step, uint64_t address, const std::vector<uint8_t>& bytes,
                        const std::string& instruction, const std::string& changes) {
    std::string hex;
    for (uint8_t byte : bytes) {
        if (!hex.empty())
            hex += ' ';
        hex += fmt::format("{:02x}", byte);
    }
    std::string line =
        fmt::format("{:>5}  {:#8x}  {:<20}  {:<28}", step, address, hex, instruction);
    if (!changes.empty())
        line += "  " + changes;
    // No trailing blanks when nothing changed.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
}

}  // namespace twinbox
