// virtio-rng (virtio 1.2 section 5.4). See rng.h.
#include "vmm/virtio/rng.h"

#include <fmt/core.h>
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

Result<void> RngDevice::start() {
    return watch_queue(0, [this] { process_queue(); });
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

void RngDevice::process_queue() {
    Virtqueue& requests = virtqueue(0);
    do {
        for (;;) {
            auto popped = requests.pop();
            if (!popped)
                return fail(popped.error());
            if (!popped->has_value())
                break;
            const DescriptorChain& chain = **popped;
            // Section 5.4.6: used.len is the number of random bytes written.
            if (auto added = requests.add_used(chain.head(), fill(chain)); !added)
                return fail(added.error());
        }
        signal_if_needed(requests);
    } while (requests.enable_notification());
}

}  // namespace twinbox::virtio
