#include "vmm/machine/register_dump.h"

#include <fmt/core.h>

#include "common/log.h"

namespace twinbox {

namespace {
std::string format_segment(const char* name, const kvm_segment& segment) {
    return fmt::format(
        "{:<3} {:04x} base={:016x} limit={:08x} type={:x} dpl={} db={} l={} present={}\n", name,
        segment.selector, segment.base, segment.limit, segment.type, segment.dpl, segment.db,
        segment.l, segment.present);
}
}  // namespace

std::string format_registers(const kvm_regs& r, const kvm_sregs& s) {
    std::string text;
    text += fmt::format("rip={:016x} rsp={:016x} rflags={:08x}\n", r.rip, r.rsp, r.rflags);
    text += fmt::format("rax={:016x} rbx={:016x} rcx={:016x} rdx={:016x}\n", r.rax, r.rbx, r.rcx,
                        r.rdx);
    text += fmt::format("rsi={:016x} rdi={:016x} rbp={:016x}\n", r.rsi, r.rdi, r.rbp);
    text +=
        fmt::format("r8 ={:016x} r9 ={:016x} r10={:016x} r11={:016x}\n", r.r8, r.r9, r.r10, r.r11);
    text += fmt::format("r12={:016x} r13={:016x} r14={:016x} r15={:016x}\n", r.r12, r.r13, r.r14,
                        r.r15);
    text += fmt::format("cr0={:016x} cr2={:016x} cr3={:016x} cr4={:016x} efer={:x}\n", s.cr0, s.cr2,
                        s.cr3, s.cr4, s.efer);
    text += format_segment("cs", s.cs) + format_segment("ss", s.ss) + format_segment("ds", s.ds) +
            format_segment("tr", s.tr);
    text += fmt::format("gdt base={:016x} limit={:04x}  idt base={:016x} limit={:04x}", s.gdt.base,
                        s.gdt.limit, s.idt.base, s.idt.limit);
    return text;
}

void dump_registers(const Vcpu& vcpu) {
    auto regs = vcpu.get_regs();
    auto sregs = vcpu.get_sregs();
    if (!regs || !sregs) {
        log::error("vCPU {}: registers unavailable", vcpu.index());
        return;
    }
    log::error("vCPU {} registers:\n{}", vcpu.index(), format_registers(*regs, *sregs));
}

}  // namespace twinbox
