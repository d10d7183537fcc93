// The lifecycle every virtio device shares (virtio 1.2 sections 2.1, 2.4,
// 3.1). See lifecycle_device.h.
#include "vmm/virtio/lifecycle_device.h"

#include <fmt/format.h>
#include <sys/epoll.h>

#include <algorithm>
#include <mutex>

#include "common/log.h"

namespace twinbox::virtio {

Result<void> LifecycleDevice::activate(ActivateContext context) {
    reset();
    if (context.queues.size() != queue_count())
        return Error::message(
            fmt::format("{}: the driver set up {} queues; the device needs {} ({})", describe(),
                        context.queues.size(), queue_count(), queue_names()));
    m_queues = std::move(context.queues);
    m_interrupt = std::move(context.interrupt);
    m_loop = &context.loop;
    m_acked = context.acked_features;
    m_active = true;
    m_failed = false;
    if (auto started = start(); !started) {
        reset();
        return std::move(started).error().with_context(describe());
    }
    return {};
}

void LifecycleDevice::reset() {
    if (!m_active)
        return;
    stop_watching();  // waits for a running callback; none runs after this
    {
        std::lock_guard lock(m_watched_lock);
        m_watched.clear();
    }
    stop();
    m_queues.clear();
    m_interrupt.reset();
    m_loop = nullptr;
    m_acked = 0;
    m_active = false;
    m_failed = false;
}

Result<void> LifecycleDevice::watch(int fd, std::function<void()> callback) {
    {
        // Listed first: the callback may fail() the device before add() returns.
        std::lock_guard lock(m_watched_lock);
        m_watched.push_back(fd);
    }
    return m_loop->add(fd, EPOLLIN, [callback = std::move(callback)](uint32_t) { callback(); });
}

Result<void> LifecycleDevice::watch_queue(size_t index, std::function<void()> process) {
    const EventFd* notify = m_queues[index].notify;
    return watch(notify->fd(), [this, notify, process = std::move(process)] {
        notify->consume();
        if (!m_failed)
            process();
    });
}

void LifecycleDevice::unwatch(int fd) {
    {
        std::lock_guard lock(m_watched_lock);
        auto found = std::find(m_watched.begin(), m_watched.end(), fd);
        if (found == m_watched.end())
            return;
        m_watched.erase(found);
    }
    m_loop->remove(fd);
}

void LifecycleDevice::stop_watching() {
    // remove() of an fd already removed is harmless, and it still waits for
    // the callback running on the loop: reset() after fail() relies on that.
    std::vector<int> watched;
    {
        std::lock_guard lock(m_watched_lock);
        watched = m_watched;
    }
    for (int fd : watched) m_loop->remove(fd);
}

void LifecycleDevice::fail(const Error& error) {
    if (!m_active || m_failed)
        return;
    m_failed = true;
    if (!m_logged_failure) {
        log::error("{}: {} - the device stops until the driver resets it", describe(),
                   error.to_string());
        m_logged_failure = true;
    }
    stop_watching();
    m_interrupt->signal_needs_reset();
}

void LifecycleDevice::signal_if_needed(Virtqueue& queue) {
    if (queue.needs_interrupt())
        m_interrupt->signal_used_queue();
}

}  // namespace twinbox::virtio
