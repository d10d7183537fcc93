#include "vmm/machine/run_control.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "common/exit_codes.h"
#include "common/log.h"

namespace twinbox {

Result<std::shared_ptr<RunControl>> RunControl::create(bool seccomp) {
    UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stop)
        return Error::from_errno("eventfd", "VM stop event");
    return std::shared_ptr<RunControl>(new RunControl(std::move(stop), seccomp));
}

void RunControl::request_stop(int status) {
    bool expected = false;
    if (!m_stopping.compare_exchange_strong(expected, true))
        return;
    m_exit_status.store(status);
    m_pause.wake_all();  // paused vCPUs must see the stop flag
    uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(m_stop_event.get(), &one, sizeof(one));
}

bool RunControl::enter_sandbox(sandbox::ThreadRole role) {
    if (!m_seccomp)
        return true;
    auto installed = sandbox::install_thread_filter(role);
    if (installed)
        return true;
    log::error("{}", installed.error().to_string());
    request_stop(exit_code::kTwinboxError);
    return false;
}

void RunControl::power_off(int status) {
    log::info("guest powered off (status {})", status);
    request_stop(status);
}

void RunControl::reset() {
    // Like Firecracker, a guest reboot ends the VM; the caller may start it again.
    log::info("guest asked for a reset; stopping the VM");
    request_stop(exit_code::kGuestPoweredOff);
}

}  // namespace twinbox
