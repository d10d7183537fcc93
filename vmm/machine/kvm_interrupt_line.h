// KvmInterruptLine: an InterruptLine (vmm/devices/bus.h) backed by
// KVM_IRQ_LINE on one GSI. It lives in machine/, where devices meet KVM, so
// that neither kvm/ nor devices/ needs the other.
#pragma once

#include <cstdint>

#include "vmm/devices/bus.h"
#include "vmm/kvm/vm.h"

namespace twinbox {

class KvmInterruptLine : public InterruptLine {
public:
    KvmInterruptLine(const Vm& vm, uint32_t gsi) : m_vm(vm), m_gsi(gsi) {}
    void set_level(bool high) override;

private:
    const Vm& m_vm;
    uint32_t m_gsi;
};

}  // namespace twinbox
