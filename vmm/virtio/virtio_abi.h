// Constants of the virtio 1.2 specification that the transport, the queues
// and the devices share. Section numbers refer to "Virtual I/O Device
// (VIRTIO) Version 1.2" (OASIS, 2022).
#pragma once

#include <cstdint>

namespace twinbox::virtio {

// Device IDs (section 5).
enum class DeviceId : uint32_t {
    net = 1,
    block = 2,
    console = 3,
    entropy = 4,
};

// Device status bits (section 2.1).
namespace status {
inline constexpr uint32_t kAcknowledge = 1;
inline constexpr uint32_t kDriver = 2;
inline constexpr uint32_t kDriverOk = 4;
inline constexpr uint32_t kFeaturesOk = 8;
inline constexpr uint32_t kDeviceNeedsReset = 64;
inline constexpr uint32_t kFailed = 128;
}  // namespace status

// Feature bits every twinbox device may offer (section 6).
namespace feature {
inline constexpr uint64_t kRingIndirectDesc = 1ull << 28;  // VIRTIO_F_INDIRECT_DESC
inline constexpr uint64_t kRingEventIdx = 1ull << 29;      // VIRTIO_F_EVENT_IDX
inline constexpr uint64_t kVersion1 = 1ull << 32;          // VIRTIO_F_VERSION_1
}  // namespace feature

// Interrupt status bits (section 4.2.2, InterruptStatus).
namespace interrupt {
inline constexpr uint32_t kUsedBuffer = 1;
inline constexpr uint32_t kConfigChange = 2;
}  // namespace interrupt

// Split virtqueue descriptor flags (section 2.7.5).
namespace descriptor {
inline constexpr uint16_t kNext = 1;
inline constexpr uint16_t kWrite = 2;
inline constexpr uint16_t kIndirect = 4;
}  // namespace descriptor

// The largest queue size the split ring allows (section 2.7: Queue Size <= 32768).
inline constexpr uint16_t kMaxQueueSize = 32768;

}  // namespace twinbox::virtio
