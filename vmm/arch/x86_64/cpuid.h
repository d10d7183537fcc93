// The CPUID table each vCPU sees: what KVM supports (KVM_GET_SUPPORTED_CPUID),
// made consistent and personal to the vCPU. References: Intel SDM volume 2A,
// "CPUID"; AMD APM volume 3, appendix E; the kernel's
// Documentation/virt/kvm/x86/cpuid.rst for the KVM leaves.
//
// What changes per vCPU: its initial APIC ID (leaf 1 EBX[31:24], leaves 0xB
// and 0x1F EDX, leaf 0x8000001E EAX) and the topology it belongs to (one
// package with `count` cores, one thread each). What changes for all: the
// hypervisor bit, leaf 0xD made consistent with the XSAVE features passed,
// and the TSC-deadline timer when the in-kernel LAPIC supports it.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace twinbox {

struct CpuidOptions {
    uint32_t vcpu_index = 0;
    uint32_t vcpu_count = 1;
    bool tsc_deadline_timer = false;  // KVM_CAP_TSC_DEADLINE_TIMER
};

std::vector<kvm_cpuid_entry2> build_vcpu_cpuid(std::vector<kvm_cpuid_entry2> supported,
                                               const CpuidOptions& options);

// Looks up a leaf/subleaf in a table; nullptr when absent.
kvm_cpuid_entry2* find_cpuid(std::vector<kvm_cpuid_entry2>& entries, uint32_t function,
                             uint32_t index = 0);

}  // namespace twinbox
