// Prints a vCPU's registers to stderr, for KVM internal errors and exits
// twinbox cannot handle: what a student (or a bug report) needs to see where
// the guest was and in which mode.
#pragma once

#include <string>

#include "vmm/kvm/vcpu.h"

namespace twinbox {

std::string format_registers(const kvm_regs& regs, const kvm_sregs& sregs);
void dump_registers(const Vcpu& vcpu);

}  // namespace twinbox
