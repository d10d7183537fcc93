#include "vmm/arch/x86_64/cpu_state.h"

#include <array>

#include "common/log.h"
#include "vmm/arch/x86_64/gdt.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/arch/x86_64/page_tables.h"

namespace twinbox {

namespace {

// Control register and EFER bits (Intel SDM vol. 3A, sections 2.5 and 2.2.1).
constexpr uint64_t kCr0Pe = 1ull << 0;   // protection enable
constexpr uint64_t kCr0Et = 1ull << 4;   // extension type, hard-wired to 1 on modern CPUs
constexpr uint64_t kCr0Pg = 1ull << 31;  // paging
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kEferLme = 1ull << 8;   // long mode enable
constexpr uint64_t kEferLma = 1ull << 10;  // long mode active

// MSR numbers (SDM vol. 4, table 2-2).
constexpr uint32_t kMsrSysenterCs = 0x174;
constexpr uint32_t kMsrSysenterEsp = 0x175;
constexpr uint32_t kMsrSysenterEip = 0x176;
constexpr uint32_t kMsrStar = 0xc0000081;
constexpr uint32_t kMsrLstar = 0xc0000082;
constexpr uint32_t kMsrCstar = 0xc0000083;
constexpr uint32_t kMsrSyscallMask = 0xc0000084;
constexpr uint32_t kMsrKernelGsBase = 0xc0000102;
constexpr uint32_t kMsrMiscEnable = 0x1a0;
constexpr uint64_t kMiscEnableFastStrings = 1ull << 0;
constexpr uint32_t kMsrMtrrDefType = 0x2ff;
constexpr uint64_t kMtrrEnable = 1ull << 11;
constexpr uint64_t kMtrrTypeWriteBack = 6;

// Local APIC registers (SDM vol. 3A, table 11-1) and delivery modes (section 11.5.1).
constexpr size_t kApicLvtLint0 = 0x350;
constexpr size_t kApicLvtLint1 = 0x360;
constexpr uint32_t kDeliveryModeNmi = 4;
constexpr uint32_t kDeliveryModeExtInt = 7;

uint32_t read_apic_register(const kvm_lapic_state& lapic, size_t offset) {
    uint32_t value;
    std::memcpy(&value, lapic.regs + offset, sizeof(value));
    return value;
}

void write_apic_register(kvm_lapic_state& lapic, size_t offset, uint32_t value) {
    std::memcpy(lapic.regs + offset, &value, sizeof(value));
}

// LINT0 delivers the 8259 PIC's interrupts (ExtINT), LINT1 the NMI: the wiring
// of every PC since the APIC appeared (MultiProcessor Specification 1.4, section 3.6.2.2,
// "virtual wire mode"). Without it the guest never sees PIC timer interrupts.
Result<void> configure_lapic_pins(Vcpu& vcpu) {
    auto lapic = TRY(vcpu.get_lapic());
    uint32_t lint0 = read_apic_register(lapic, kApicLvtLint0);
    write_apic_register(lapic, kApicLvtLint0, (lint0 & ~0x700u) | (kDeliveryModeExtInt << 8));
    uint32_t lint1 = read_apic_register(lapic, kApicLvtLint1);
    write_apic_register(lapic, kApicLvtLint1, (lint1 & ~0x700u) | (kDeliveryModeNmi << 8));
    return vcpu.set_lapic(lapic);
}

Result<void> configure_msrs(Vcpu& vcpu) {
    const std::array<std::pair<uint32_t, uint64_t>, 10> msrs{{
        {kMsrSysenterCs, 0},
        {kMsrSysenterEsp, 0},
        {kMsrSysenterEip, 0},
        {kMsrStar, 0},
        {kMsrCstar, 0},
        {kMsrKernelGsBase, 0},
        {kMsrSyscallMask, 0},
        {kMsrLstar, 0},
        {kMsrMiscEnable, kMiscEnableFastStrings},
        // Firmware leaves the MTRRs on with write-back as the default type; a guest
        // that finds them off maps all memory uncached and crawls.
        {kMsrMtrrDefType, kMtrrEnable | kMtrrTypeWriteBack},
    }};
    return vcpu.set_msrs(msrs);
}

Result<void> configure_fpu(Vcpu& vcpu) {
    kvm_fpu fpu{};
    fpu.fcw = 0x37f;     // the x87 control word after FNINIT (SDM vol. 1, section 8.1.5)
    fpu.mxcsr = 0x1f80;  // all SSE exceptions masked (SDM vol. 1, section 10.2.3)
    return vcpu.set_fpu(fpu);
}

// XCR0 resets to 1 (x87 only) and the guest's OS raises it with XSETBV; KVM
// then updates the XSAVE size it reports in CPUID leaf 0xD (EBX). When KVM
// itself runs nested under an emulator that does not intercept XSETBV (QEMU
// TCG's SVM, which the test host uses), KVM never sees that write and Linux
// finds CPUID's size for 576 bytes while its own sum is larger ("XSAVE
// consistency problem", and XSAVE turned off). Starting with XCR0 already
// holding every feature the CPUID table offers, which is the value Linux
// writes, keeps both views the same. The register has no effect until the
// guest sets CR4.OSXSAVE, so firmware-level code is unaffected.
Result<void> preset_xcr0(Vcpu& vcpu, std::vector<kvm_cpuid_entry2>& cpuid) {
    const kvm_cpuid_entry2* xsave = find_cpuid(cpuid, 0xd, 0);
    if (xsave == nullptr)
        return ok();
    uint64_t features = (static_cast<uint64_t>(xsave->edx) << 32) | xsave->eax;
    if ((features & 1) == 0)
        return ok();
    auto result = vcpu.set_xcr0(features);
    // Not fatal: the guest still boots, with the warning above at worst.
    if (!result)
        log::info("leaving XCR0 at its reset value: {}", result.error().to_string());
    return ok();
}

}  // namespace

Result<void> configure_vcpu(Vcpu& vcpu, const std::vector<kvm_cpuid_entry2>& supported_cpuid,
                            const CpuidOptions& options) {
    auto cpuid = build_vcpu_cpuid(supported_cpuid, options);
    TRY(vcpu.set_cpuid(cpuid));
    TRY(preset_xcr0(vcpu, cpuid));
    TRY(configure_msrs(vcpu));
    TRY(configure_fpu(vcpu));
    return configure_lapic_pins(vcpu);
}

kvm_sregs boot_sregs(kvm_sregs sregs, const BootEntry& entry, uint64_t cr3) {
    if (entry.mode == CpuMode::real) {
        // Real mode: linear address = selector * 16 + offset. Choose the segment
        // so that IP fits in 16 bits (boot sectors use 0000:7C00).
        uint16_t selector = static_cast<uint16_t>((entry.instruction_pointer >> 4) & 0xf000);
        for (kvm_segment* segment :
             {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss}) {
            segment->selector = selector;
            segment->base = static_cast<uint64_t>(selector) << 4;
            segment->limit = 0xffff;
        }
        sregs.cr0 &= ~(kCr0Pe | kCr0Pg);
        sregs.efer = 0;
        return sregs;
    }
    auto table = gdt::boot_table();
    sregs.gdt.base = layout::kGdtAddress;
    sregs.gdt.limit = sizeof(table) - 1;
    sregs.idt.base = layout::kIdtAddress;
    sregs.idt.limit = 7;
    kvm_segment data =
        gdt::segment_from_descriptor(table[gdt::kDataSelector / 8], gdt::kDataSelector);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr = gdt::segment_from_descriptor(table[gdt::kTssSelector / 8], gdt::kTssSelector);
    if (entry.mode == CpuMode::protected32) {
        sregs.cs =
            gdt::segment_from_descriptor(table[gdt::kCode32Selector / 8], gdt::kCode32Selector);
        sregs.cr0 = kCr0Pe | kCr0Et;
        sregs.cr4 = 0;
        sregs.efer = 0;
        return sregs;
    }
    sregs.cs = gdt::segment_from_descriptor(table[gdt::kCode64Selector / 8], gdt::kCode64Selector);
    sregs.cr0 = kCr0Pe | kCr0Et | kCr0Pg;
    sregs.cr3 = cr3;
    sregs.cr4 = kCr4Pae;
    sregs.efer = kEferLme | kEferLma;
    return sregs;
}

kvm_regs boot_regs(const BootEntry& entry) {
    kvm_regs regs{};
    regs.rflags = 0x2;  // bit 1 is reserved and always set; IF clear: no interrupts yet
    regs.rip = entry.instruction_pointer;
    if (entry.mode == CpuMode::real)
        regs.rip = entry.instruction_pointer & 0xffff;
    regs.rsp = entry.stack_pointer;
    regs.rbp = entry.stack_pointer;
    regs.rax = entry.rax;
    regs.rbx = entry.rbx;
    regs.rsi = entry.rsi;
    return regs;
}

Result<void> set_boot_state(Vcpu& vcpu, const GuestMemory& memory, const BootEntry& entry) {
    uint64_t cr3 = 0;
    if (entry.mode != CpuMode::real)
        TRY(gdt::write_boot_gdt(memory));
    if (entry.mode == CpuMode::long64)
        cr3 = TRY(write_identity_page_tables(memory));
    auto sregs = TRY(vcpu.get_sregs());
    TRY(vcpu.set_sregs(boot_sregs(sregs, entry, cr3)));
    return vcpu.set_regs(boot_regs(entry));
}

}  // namespace twinbox
