// PauseGate: parks the vCPU threads for {"cmd":"pause"} and lets them go on
// "resume" (docs/tools.md, "Control socket").
//
// Pausing is two steps. The control thread closes the gate and kicks every
// vCPU out of KVM_RUN (the same signal + immediate_exit that stops the VM);
// each vCPU thread, back at the top of its loop, finds the gate closed and
// waits on a condition variable, off the CPU, until the gate opens again or
// the VM stops. A paused guest runs no instructions, so its exit counters
// and vCPU time stand still; its clocks (kvmclock, TSC, the in-kernel PIT)
// keep counting host time, so after resume the guest sees time jump, as
// after `virsh suspend` / `virsh resume`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace twinbox {

class PauseGate {
public:
    // How many vCPU threads run (they leave with thread_exited()).
    void set_running_threads(size_t count);
    void thread_exited();

    // Control thread: close the gate (then kick the vCPUs), and wait until every
    // running vCPU thread is parked. False on timeout.
    void close();
    bool wait_until_parked(std::chrono::milliseconds timeout);
    void open();
    bool closed() const { return m_closed.load(); }

    // vCPU thread, at the top of its loop: waits while the gate is closed,
    // unless `stopping` is set (wake_all() re-checks it).
    void park_if_closed(const std::atomic<bool>& stopping);
    // The VM is stopping: parked threads must look at the stop flag.
    void wake_all();

private:
    std::atomic<bool> m_closed{false};
    std::mutex m_lock;
    std::condition_variable m_changed;
    size_t m_running = 0;
    size_t m_parked = 0;
};

}  // namespace twinbox
