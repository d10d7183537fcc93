// EventLoop: one epoll thread that runs the virtio devices' work (queue
// notifications, io_uring completions, tap readiness), off the vCPU threads.
// Firecracker runs all its devices on one such loop; so does twinbox.
//
// Callbacks run on the loop thread, one at a time. remove() may be called
// from any thread; once it returns, the callback for that fd is not running
// and will not run again, so the caller can free what the callback uses.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/event_fd.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::virtio {

class EventLoop {
public:
    using Callback = std::function<void(uint32_t events)>;  // events: EPOLLIN | EPOLLOUT ...

    static Result<std::unique_ptr<EventLoop>> create();
    ~EventLoop();  // stops the thread

    // Watches `fd` for `events` (EPOLLIN, EPOLLOUT, level-triggered) and runs `callback`.
    Result<void> add(int fd, uint32_t events, Callback callback);
    Result<void> modify(int fd, uint32_t events);
    void remove(int fd);

    // Starts the thread (after the devices are wired; idempotent). `thread_setup`,
    // if given, runs first on the new thread (the seccomp filter); when it returns
    // false the loop does not run.
    Result<void> start(std::function<bool()> thread_setup = {});

    bool on_loop_thread() const { return std::this_thread::get_id() == m_thread.get_id(); }

private:
    EventLoop(UniqueFd epoll, EventFd stop);
    void run(const std::function<bool()>& thread_setup);

    UniqueFd m_epoll;
    EventFd m_stop;
    std::thread m_thread;
    std::recursive_mutex m_dispatch;  // held while a callback runs; remove() takes it
    std::mutex m_callbacks_lock;
    std::map<int, std::shared_ptr<Callback>> m_callbacks;
};

}  // namespace twinbox::virtio
