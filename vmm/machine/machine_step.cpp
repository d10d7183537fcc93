// Machine::enter_guest_once(): the vCPU loop of machine_run.cpp taken one exit
// at a time, for `twinbox vm step`. The stepper enters the guest with
// KVM_SET_GUEST_DEBUG single-stepping on, and every exit that is not the
// debug trap (the UART, the debug-exit port, an MMIO access) is still served
// by the same devices and the same handle_exit() as in a normal run, so the
// guest behaves exactly as it would without stepping.
#include <cerrno>

#include "vmm/machine/machine.h"

namespace twinbox {

Result<uint32_t> Machine::enter_guest_once() {
    if (m_parts.vcpus.size() != 1)
        return Error::message("single-stepping needs a machine with exactly one vCPU");
    if (m_parts.run->stopping())
        return Error::message("the VM has already stopped");
    Vcpu& vcpu = m_parts.vcpus.front()->vcpu;
    auto entered = vcpu.run();
    if (!entered) {
        int err = entered.error().code();
        if (err != EINTR && err != EAGAIN)
            return std::move(entered).error();
        // A signal (Ctrl-C, the stepper's watchdog) or immediate_exit: nothing ran.
        vcpu.run_state()->immediate_exit = 0;
        return uint32_t{KVM_EXIT_INTR};
    }
    uint32_t reason = vcpu.run_state()->exit_reason;
    if (reason != KVM_EXIT_DEBUG)
        handle_exit(vcpu);  // false means it asked the machine to stop: see stopping()
    return reason;
}

}  // namespace twinbox
