// RunControl: whether a Machine runs, is paused or is stopping, and with which
// exit status; the one object every thread of the VM consults.
//
// It is built first (vmm/machine/machine_builder.cpp) because the devices need
// somewhere to send the guest's power-off and reset while the Machine that will
// own them does not exist yet: they get this object as their PowerControl
// (vmm/devices/bus.h), and the Machine takes it over once every part is built.
// It also installs each VMM thread's seccomp filter, since a thread that
// cannot enter its sandbox must stop the VM.
#pragma once

#include <atomic>

#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/devices/bus.h"
#include "vmm/machine/pause_gate.h"
#include "vmm/sandbox/seccomp_filter.h"

namespace twinbox {

class RunControl : public PowerControl {
public:
    // `seccomp`: each thread installs its filter in enter_sandbox() (VmConfig::seccomp).
    static Result<std::shared_ptr<RunControl>> create(bool seccomp);

    // Asks every thread to stop; the first caller's status wins.
    void request_stop(int status);
    bool stopping() const { return m_stopping.load(); }
    const std::atomic<bool>& stopping_flag() const { return m_stopping; }
    int exit_status() const { return m_exit_status.load(); }
    // Readable once request_stop() ran: the main thread polls it with the console.
    int stop_event() const { return m_stop_event.get(); }
    PauseGate& pause_gate() { return m_pause; }
    const PauseGate& pause_gate() const { return m_pause; }

    // Installs the role's seccomp filter on the calling thread when the machine is
    // sandboxed; on failure stops the VM and returns false.
    bool enter_sandbox(sandbox::ThreadRole role);

    // PowerControl: called by devices (ACPI sleep, debug-exit, i8042) on vCPU threads.
    void power_off(int status) override;
    void reset() override;

private:
    RunControl(UniqueFd stop_event, bool seccomp)
        : m_stop_event(std::move(stop_event)), m_seccomp(seccomp) {}

    UniqueFd m_stop_event;  // eventfd written by request_stop()
    bool m_seccomp;
    PauseGate m_pause;
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_exit_status{0};
};

}  // namespace twinbox
