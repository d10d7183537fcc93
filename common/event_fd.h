// EventFd: an eventfd(2) counter, the doorbell between threads and KVM.
// KVM signals one when the guest writes a virtio queue's notify register
// (ioeventfd) and raises a guest interrupt when one is signalled (irqfd);
// twinbox's own threads use them to wake an epoll loop.
#pragma once

#include <sys/eventfd.h>

#include <cstdint>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox {

class EventFd {
public:
    static Result<EventFd> create(int flags = EFD_NONBLOCK | EFD_CLOEXEC) {
        int fd = ::eventfd(0, flags);
        if (fd < 0)
            return Error::from_errno("eventfd", "creating an event counter");
        return EventFd(UniqueFd(fd));
    }

    int fd() const { return m_fd.get(); }
    bool valid() const { return m_fd.valid(); }

    // Adds one to the counter (wakes a reader). Never blocks: a full counter stays signalled.
    void signal() const {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(m_fd.get(), &one, sizeof one);
    }
    // Reads and clears the counter; returns 0 when it was not signalled.
    uint64_t consume() const {
        uint64_t value = 0;
        if (::read(m_fd.get(), &value, sizeof value) != sizeof value)
            return 0;
        return value;
    }

private:
    explicit EventFd(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

}  // namespace twinbox
