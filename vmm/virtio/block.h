// virtio-blk: a block device backed by a raw disk image on the host.
//
// Spec: "Virtual I/O Device (VIRTIO) Version 1.2", section 5.2 "Block
// Device": 5.2.3 feature bits, 5.2.4 configuration layout, 5.2.6 request
// format and 5.2.6.1-5.2.6.4 the device requirements cited in block.cpp.
// Model: Firecracker src/vmm/src/devices/virtio/block/ (io_uring engine),
// Cloud Hypervisor virtio-devices/src/block.rs.
//
// One request queue. A request is one descriptor chain laid out as
//
//   ┌──────────────────────────────┐┌───────────────────────┐┌────────┐
//   │ header: type, reserved,      ││ data: sectors to write││ status │
//   │ sector (16 bytes, readable)  ││ (readable) or to read ││ (1 B,  │
//   │                              ││ into (writable)       ││ write) │
//   └──────────────────────────────┘└───────────────────────┘└────────┘
//
// With VIRTIO_F_VERSION_1 the device must not assume how these bytes are cut
// into descriptors (section 2.7.4, "Message Framing"), so block.cpp treats the
// readable bytes and the writable bytes as two byte streams: the header is
// the first 16 readable bytes, the status is the last writable byte.
//
// I/O is asynchronous through io_uring: reads and writes are submitted with
// iovecs that point straight into guest memory (no copy), and completions
// arrive on an eventfd that the virtio event loop watches. When io_uring is
// not available (an old kernel, a seccomp filter), the device falls back to
// synchronous preadv/pwritev/fdatasync on the event loop thread.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_fd.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "vmm/virtio/lifecycle_device.h"
#include "vmm/virtio/options.h"

struct io_uring;  // liburing; block.cpp includes <liburing.h>

namespace twinbox::virtio {

// Feature bits of the block device (section 5.2.3).
namespace block_feature {
inline constexpr uint64_t kSizeMax = 1ull << 1;    // VIRTIO_BLK_F_SIZE_MAX: config size_max valid
inline constexpr uint64_t kSegMax = 1ull << 2;     // VIRTIO_BLK_F_SEG_MAX: config seg_max valid
inline constexpr uint64_t kReadOnly = 1ull << 5;   // VIRTIO_BLK_F_RO: the disk is read-only
inline constexpr uint64_t kBlockSize = 1ull << 6;  // VIRTIO_BLK_F_BLK_SIZE: config blk_size valid
inline constexpr uint64_t kFlush = 1ull << 9;      // VIRTIO_BLK_F_FLUSH: FLUSH requests work
inline constexpr uint64_t kDiscard = 1ull << 13;   // VIRTIO_BLK_F_DISCARD: DISCARD requests work
}  // namespace block_feature

// Request types, the `type` field of the request header (section 5.2.6).
enum class BlockRequestType : uint32_t {
    in = 0,        // VIRTIO_BLK_T_IN: read sectors
    out = 1,       // VIRTIO_BLK_T_OUT: write sectors
    flush = 4,     // VIRTIO_BLK_T_FLUSH: make completed writes durable
    get_id = 8,    // VIRTIO_BLK_T_GET_ID: 20-byte device serial
    discard = 11,  // VIRTIO_BLK_T_DISCARD: the sectors' contents may be dropped
};

// Request status, the last byte of each request (section 5.2.6).
enum class BlockStatus : uint8_t {
    ok = 0,           // VIRTIO_BLK_S_OK
    io_error = 1,     // VIRTIO_BLK_S_IOERR
    unsupported = 2,  // VIRTIO_BLK_S_UNSUPP
};

// The request header (section 5.2.6, struct virtio_blk_req, first fields).
struct BlockRequestHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;  // in 512-byte units whatever blk_size says
};
static_assert(sizeof(BlockRequestHeader) == 16);

// One range of a DISCARD request (section 5.2.6, struct virtio_blk_discard_write_zeroes).
struct BlockDiscardSegment {
    uint64_t sector;
    uint32_t sector_count;
    uint32_t flags;  // bit 0: unmap (only meaningful for WRITE_ZEROES)
};
static_assert(sizeof(BlockDiscardSegment) == 16);

// The configuration space (section 5.2.4, struct virtio_blk_config). Fields
// this device does not offer a feature for read as zero. Little-endian, as
// the host is (x86-64).
struct BlockConfig {
    uint64_t capacity;  // in 512-byte sectors
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t geometry_cylinders;
    uint8_t geometry_heads;
    uint8_t geometry_sectors;
    uint32_t blk_size;
    uint8_t topology_physical_block_exp;
    uint8_t topology_alignment_offset;
    uint16_t topology_min_io_size;
    uint32_t topology_opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
    uint32_t max_secure_erase_sectors;
    uint32_t max_secure_erase_seg;
    uint32_t secure_erase_sector_alignment;
};
static_assert(sizeof(BlockConfig) == 72);
static_assert(offsetof(BlockConfig, blk_size) == 20);
static_assert(offsetof(BlockConfig, max_discard_sectors) == 36);

class BlockDevice final : public LifecycleDevice {
public:
    // The unit of `sector` and `capacity`, fixed by the spec whatever the disk's block size.
    static constexpr uint64_t kSectorSize = 512;
    // Length of the GET_ID answer (VIRTIO_BLK_ID_BYTES in Linux).
    static constexpr size_t kIdBytes = 20;
    static constexpr uint16_t kQueueSize = 256;
    // Data segments per request we announce (seg_max): the queue size minus
    // the header and status descriptors, so a chain always fits in the ring.
    static constexpr uint32_t kSegmentMax = kQueueSize - 2;
    // DISCARD limits announced in the configuration space.
    static constexpr uint32_t kDiscardSegmentMax = 32;
    static constexpr uint32_t kDiscardSectorMax = 1u << 22;  // 2 GiB per segment

    // How requests reach the image: io_uring when the kernel allows it
    // (automatic), or synchronous system calls (forced, for tests).
    enum class IoEngine { automatic, synchronous };

    // Opens the image (read-only when config.read_only) and probes hole punching.
    // Errors name the file and say what to do.
    static Result<std::unique_ptr<BlockDevice>> create(const DiskConfig& config,
                                                       IoEngine engine = IoEngine::automatic);
    ~BlockDevice() override;

    DeviceId device_id() const override { return DeviceId::block; }
    std::string_view name() const override { return "virtio-blk"; }
    uint64_t device_features() const override { return m_features; }
    size_t queue_count() const override { return 1; }
    uint16_t queue_max_size() const override { return kQueueSize; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;

    uint64_t capacity_sectors() const { return m_config.capacity; }
    bool uses_io_uring() const { return m_ring != nullptr; }
    const std::array<char, kIdBytes>& serial() const { return m_serial; }

private:
    // One request between pop() and add_used(). Requests live in a fixed pool
    // of kQueueSize slots; io_uring's user_data carries the slot index.
    struct Request {
        uint16_t head = 0;
        BlockRequestType type = BlockRequestType::in;
        uint8_t* status = nullptr;  // host address of the status byte in guest RAM
        uint32_t used_length = 0;   // what add_used reports when the request succeeds
        uint64_t offset = 0;        // file offset of the next byte to transfer
        std::vector<iovec> iovecs;  // what is left to transfer (advanced on short I/O)
    };

    BlockDevice(DiskConfig config, UniqueFd file, uint64_t size, bool discard,
                std::array<char, kIdBytes> serial);
    Result<void> setup_io_uring();

    Result<void> start() override;
    void stop() override;
    std::string_view queue_names() const override { return "requestq"; }
    std::string describe() const override;

    // The io_uring completion eventfd's callback.
    void on_completion();

    // Pops and starts requests until the ring is empty or the pool is full.
    void process_queue();
    // Parses one chain; returns the status to complete it with now, or
    // std::nullopt when it was submitted (or the chain broke the device).
    std::optional<BlockStatus> start_request(const DescriptorChain& chain, Request& request);
    BlockStatus check_range(uint64_t sector, uint64_t bytes) const;
    BlockStatus discard(const DescriptorChain& chain, uint64_t bytes) const;
    void submit(size_t slot);
    void queue_sqe(size_t slot);
    void submit_pending();
    void reap_completions();
    BlockStatus run_synchronously(Request& request) const;
    void finish(size_t slot, BlockStatus status);
    void handle_completion(size_t slot, int result);
    void drain_in_flight();

    DiskConfig m_disk;
    UniqueFd m_file;
    uint64_t m_features;
    BlockConfig m_config{};
    std::array<char, kIdBytes> m_serial{};

    // io_uring, when available, and the eventfd its completions signal.
    struct RingDeleter {
        void operator()(io_uring* ring) const;  // io_uring_queue_exit + delete
    };
    std::unique_ptr<io_uring, RingDeleter> m_ring;
    std::optional<EventFd> m_completion;
    size_t m_unsubmitted = 0;

    // Set by start(), cleared by stop(). Only the event loop thread touches
    // them in between.
    std::vector<Request> m_requests;
    std::vector<size_t> m_free_slots;
    size_t m_in_flight = 0;
    bool m_waiting_for_slots = false;  // chains wait in the ring for a free request slot
};

}  // namespace twinbox::virtio
