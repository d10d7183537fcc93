#include "vmm/machine/kvm_interrupt_line.h"

#include "common/log.h"

namespace twinbox {

void KvmInterruptLine::set_level(bool high) {
    auto result = m_vm.set_irq_line(m_gsi, high);
    if (!result)
        log::warn("{}", result.error().to_string());
}

}  // namespace twinbox
