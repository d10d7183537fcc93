#include "vmm/machine/pause_gate.h"

namespace twinbox {

void PauseGate::set_running_threads(size_t count) {
    std::lock_guard lock(m_lock);
    m_running = count;
}

void PauseGate::thread_exited() {
    std::lock_guard lock(m_lock);
    if (m_running > 0)
        --m_running;
    m_changed.notify_all();
}

void PauseGate::close() {
    std::lock_guard lock(m_lock);
    m_closed.store(true);
}

bool PauseGate::wait_until_parked(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_lock);
    return m_changed.wait_for(lock, timeout, [this] { return m_parked >= m_running; });
}

void PauseGate::open() {
    std::lock_guard lock(m_lock);
    m_closed.store(false);
    m_changed.notify_all();
}

void PauseGate::park_if_closed(const std::atomic<bool>& stopping) {
    if (!m_closed.load())
        return;
    std::unique_lock lock(m_lock);
    ++m_parked;
    m_changed.notify_all();
    m_changed.wait(lock, [&] { return !m_closed.load() || stopping.load(); });
    --m_parked;
}

void PauseGate::wake_all() {
    std::lock_guard lock(m_lock);
    m_changed.notify_all();
}

}  // namespace twinbox
