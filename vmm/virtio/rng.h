// virtio-rng: an entropy source for the guest, fed from the host's getrandom().
//
// Spec: "Virtual I/O Device (VIRTIO) Version 1.2", section 5.4 "Entropy
// Device": no feature bits (5.4.3), no configuration space (5.4.4), one
// request queue (5.4.2) whose buffers are all device-writable; the device
// fills them with random bytes (5.4.6). Model: Firecracker
// src/vmm/src/devices/virtio/rng/, Cloud Hypervisor virtio-devices/src/rng.rs.
//
// With it, Linux's hw_random core (virtio-rng driver) feeds the kernel's
// random pool at boot, so programs waiting for entropy do not stall.
#pragma once

#include <cstdint>
#include <memory>

#include "common/result.h"
#include "vmm/virtio/lifecycle_device.h"

namespace twinbox::virtio {

class RngDevice final : public LifecycleDevice {
public:
    // The most bytes one request gets, however large its buffers: the guest
    // cannot make the loop thread spend long in getrandom().
    static constexpr uint32_t kMaxBytesPerRequest = 64 * 1024;

    static std::unique_ptr<RngDevice> create() { return std::unique_ptr<RngDevice>(new RngDevice); }
    ~RngDevice() override;

    DeviceId device_id() const override { return DeviceId::entropy; }
    std::string_view name() const override { return "virtio-rng"; }
    uint64_t device_features() const override { return 0; }
    size_t queue_count() const override { return 1; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;

private:
    RngDevice() = default;
    Result<void> start() override;
    std::string_view queue_names() const override { return "requestq"; }
    void process_queue();
    // Fills the chain's writable buffers; returns the bytes written.
    uint32_t fill(const DescriptorChain& chain) const;
};

}  // namespace twinbox::virtio
