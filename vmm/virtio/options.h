// What the command line asks of a virtio-blk or virtio-net device. They live
// here, with the devices that read them, so that virtio/ needs nothing from
// machine/ (VmConfig, which holds lists of them, is one layer up).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace twinbox {

// --disk FILE[,ro]: a raw disk image served by virtio-blk.
struct DiskConfig {
    std::string path;
    bool read_only = false;
};

// --net tap[=NAME] | bridge=NAME [,mac=MAC]: a virtio-net device backed by a TAP device.
struct NetConfig {
    std::string tap_name;  // empty: twinbox creates one (twinboxN) and removes it on exit
    std::string bridge;    // non-empty: attach the tap to this existing Linux bridge
    std::optional<std::array<uint8_t, 6>>
        mac;  // empty: a locally administered one, derived from the tap
};

}  // namespace twinbox
