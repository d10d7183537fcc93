// virtio-rng (virtio 1.2 section 5.4). See rng.h.
#include "vmm/virtio/rng.h"

#include <fmt/core.h>
#include <sys/epoll.h>
#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace twinbox::virtio {

RngDevice::~RngDevice() {
    reset();
}

void RngDevice::read_config(uint64_t /*offset*/, std::span<uint8_t> data) const {
    std::fill(data.begin(), data.end(), 0);  // section 5.4.4: no configuration space
}

Result<void> RngDevice::activate(ActivateContext context) {
    if (context.queues.size() != 1)
        return Error::message(fmt::format(
            "virtio-rng: the driver set up {} queues, the device has 1", context.queues.size()));
    reset();
    m_queue.emplace(std::move(context.queues[0].queue));
    m_notify = context.queues[0].notify;
    m_interrupt = std::move(context.interrupt);
    m_broken = false;
    TRY(context.loop.add(m_notify->fd(), EPOLLIN, [this](uint32_t) { on_queue_notify(); }));
    m_loop = &context.loop;
    return ok();
}

void RngDevice::reset() {
    if (m_loop != nullptr) {
        m_loop->remove(m_notify->fd());  // afterwards no callback of ours runs
        m_loop = nullptr;
    }
    m_queue.reset();
    m_notify = nullptr;
    m_interrupt.reset();
    m_broken = false;
}

uint32_t RngDevice::fill(const DescriptorChain& chain) const {
    // Section 5.4.6.1: the driver offers only writable buffers; readable ones
    // (a driver bug) are ignored, never read. getrandom() with GRND_NONBLOCK
    // never stalls the loop thread: the host pool is long initialised, and if
    // it were not, the guest would get fewer bytes (even zero) and ask again.
    uint32_t written = 0;
    for (const Buffer& buffer : chain.writable()) {
        uint64_t room = std::min<uint64_t>(buffer.host.size(), kMaxBytesPerRequest - written);
        uint64_t done = 0;
        while (done < room) {
            ssize_t got = ::getrandom(buffer.host.data() + done, room - done, GRND_NONBLOCK);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return written + static_cast<uint32_t>(done);
            done += static_cast<uint64_t>(got);
        }
        written += static_cast<uint32_t>(done);
        if (written == kMaxBytesPerRequest)
            break;
    }
    return written;
}

void RngDevice::on_queue_notify() {
    m_notify->consume();
    if (m_broken)
        return;
    do {
        for (;;) {
            auto popped = m_queue->pop();
            if (!popped) {
                m_broken = true;
                log::error("virtio-rng: {}; the device stops until the driver resets it",
                           popped.error().to_string());
                m_interrupt->signal_needs_reset();
                return;
            }
            if (!popped->has_value())
                break;
            const DescriptorChain& chain = **popped;
            // Section 5.4.6: used.len is the number of random bytes written.
            if (auto added = m_queue->add_used(chain.head(), fill(chain)); !added) {
                m_broken = true;
                log::error("virtio-rng: {}", added.error().to_string());
                m_interrupt->signal_needs_reset();
                return;
            }
        }
        if (m_queue->needs_interrupt())
            m_interrupt->signal_used_queue();
    } while (m_queue->enable_notification());
}

}  // namespace twinbox::virtio
