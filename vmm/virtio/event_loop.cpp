// EventLoop: one epoll thread for the virtio devices' work. See event_loop.h.
#include "vmm/virtio/event_loop.h"

#include <sys/epoll.h>

#include "common/log.h"

namespace twinbox::virtio {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
    UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll)
        return Error::from_errno("epoll_create1", "virtio event loop");
    EventFd stop = TRY(EventFd::create());
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = stop.fd();
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, stop.fd(), &event) < 0)
        return Error::from_errno("epoll_ctl(ADD)", "virtio event loop stop eventfd");
    return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll), std::move(stop)));
}

EventLoop::EventLoop(UniqueFd epoll, EventFd stop)
    : m_epoll(std::move(epoll)), m_stop(std::move(stop)) {}

EventLoop::~EventLoop() {
    if (m_thread.joinable()) {
        m_stop.signal();
        m_thread.join();
    }
}

Result<void> EventLoop::add(int fd, uint32_t events, Callback callback) {
    std::lock_guard lock(m_callbacks_lock);
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) < 0)
        return Error::from_errno("epoll_ctl(ADD)", "virtio event loop");
    m_callbacks[fd] = std::make_shared<Callback>(std::move(callback));
    return {};
}

Result<void> EventLoop::modify(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &event) < 0)
        return Error::from_errno("epoll_ctl(MOD)", "virtio event loop");
    return {};
}

void EventLoop::remove(int fd) {
    // Taking the dispatch lock waits for a running callback to return (on the
    // loop thread itself the lock is recursive, so a callback may remove fds).
    std::lock_guard dispatch(m_dispatch);
    std::lock_guard lock(m_callbacks_lock);
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    m_callbacks.erase(fd);
}

Result<void> EventLoop::start(std::function<bool()> thread_setup) {
    if (!m_thread.joinable())
        m_thread = std::thread([this, setup = std::move(thread_setup)] { run(setup); });
    return {};
}

void EventLoop::run(const std::function<bool()>& thread_setup) {
    if (thread_setup && !thread_setup())
        return;
    constexpr int kBatch = 16;
    epoll_event events[kBatch];
    for (;;) {
        int count = ::epoll_wait(m_epoll.get(), events, kBatch, -1);
        if (count < 0) {
            if (errno == EINTR)
                continue;
            log::error("virtio event loop: epoll_wait: {}", std::strerror(errno));
            return;
        }
        for (int i = 0; i < count; ++i) {
            int fd = events[i].data.fd;
            if (fd == m_stop.fd())
                return;
            std::lock_guard dispatch(m_dispatch);
            std::shared_ptr<Callback> callback;
            {
                std::lock_guard lock(m_callbacks_lock);
                auto found = m_callbacks.find(fd);
                if (found == m_callbacks.end())
                    continue;  // removed after epoll_wait returned it
                callback = found->second;
            }
            (*callback)(events[i].events);
        }
    }
}

}  // namespace twinbox::virtio
