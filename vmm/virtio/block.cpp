// virtio-blk (virtio 1.2 section 5.2). See block.h for the request layout
// and the I/O engines.
#include "vmm/virtio/block.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>

#include "common/log.h"

namespace twinbox::virtio {

namespace {

// Turns a failed open(2) of a --disk image into one line that says what to do.
Error open_error(const DiskConfig& disk, int err) {
    const std::string& path = disk.path;
    switch (err) {
        case ENOENT:
            return Error::message(fmt::format("{}: disk image does not exist", path))
                .with_hint("check the --disk path, or create an image (truncate -s 1G FILE)");
        case EISDIR:
            return Error::message(fmt::format("{}: --disk names a directory", path))
                .with_hint("give a raw disk image file (mkfs.ext4 -d DIR FILE SIZE makes one)");
        case EACCES:
        case EPERM:
        case EROFS:
        case ETXTBSY:
            if (!disk.read_only)
                return Error::from_errno("open(O_RDWR)", path, err)
                    .with_hint("add ,ro to --disk to use it read-only, or make it writable");
            return Error::from_errno("open(O_RDONLY)", path, err)
                .with_hint("check the image's permissions");
        default:
            return Error::from_errno("open", fmt::format("disk image {}", path), err);
    }
}

// The image's size in bytes: a regular file's length, or a block device's.
Result<uint64_t> image_size(const DiskConfig& disk, int fd) {
    struct stat status {};
    if (::fstat(fd, &status) < 0)
        return Error::from_errno("fstat", disk.path);
    if (S_ISDIR(status.st_mode))
        return open_error(disk, EISDIR);
    if (S_ISREG(status.st_mode)) {
        // Root may open any file read-write, so honour the permission bits
        // the image's owner set: an image nobody may write is used only
        // when the user says ",ro".
        if (!disk.read_only && (status.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
            return Error::message(
                       fmt::format(
                           "{}: disk image is read-only (mode {:o}) but --disk did not say ,ro",
                           disk.path, status.st_mode & 07777))
                .with_hint("add ,ro to --disk, or chmod u+w the image");
        return static_cast<uint64_t>(status.st_size);
    }
    if (S_ISBLK(status.st_mode)) {
        uint64_t size = 0;
        if (::ioctl(fd, BLKGETSIZE64, &size) < 0)
            return Error::from_errno("ioctl(BLKGETSIZE64)", disk.path);
        return size;
    }
    return Error::message(fmt::format("{}: not a regular file or block device", disk.path))
        .with_hint("give a raw disk image file");
}

// Section 5.2.6.2 (DISCARD) maps onto punching a hole. Punching beyond the
// end of the file with KEEP_SIZE changes nothing, so it is a harmless probe
// of whether the host file system supports it (ext4, xfs, btrfs, tmpfs do).
bool supports_hole_punching(int fd, uint64_t size) {
    uint64_t beyond_end = (size + 4095) / 4096 * 4096 + 4096;
    return ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                       static_cast<off_t>(beyond_end), 4096) == 0;
}

// The GET_ID answer: 20 bytes, NUL-padded (section 5.2.6). Like Firecracker,
// twinbox derives it from the file's device and inode numbers, so the same
// image keeps its serial across runs and two images never share one.
std::array<char, BlockDevice::kIdBytes> disk_serial(int fd) {
    std::array<char, BlockDevice::kIdBytes> serial{};
    struct stat status {};
    if (::fstat(fd, &status) == 0) {
        std::string text = fmt::format("{:x}-{:x}", status.st_dev, status.st_ino);
        std::memcpy(serial.data(), text.data(), std::min(text.size(), serial.size()));
    }
    return serial;
}

// Drops the first `bytes` bytes from an iovec list (after a short read or write).
void advance(std::vector<iovec>& iovecs, uint64_t bytes) {
    size_t consumed = 0;
    while (consumed < iovecs.size() && bytes >= iovecs[consumed].iov_len) {
        bytes -= iovecs[consumed].iov_len;
        ++consumed;
    }
    iovecs.erase(iovecs.begin(), iovecs.begin() + static_cast<ptrdiff_t>(consumed));
    if (!iovecs.empty() && bytes > 0) {
        iovecs.front().iov_base = static_cast<uint8_t*>(iovecs.front().iov_base) + bytes;
        iovecs.front().iov_len -= bytes;
    }
}

}  // namespace

void BlockDevice::RingDeleter::operator()(io_uring* ring) const {
    ::io_uring_queue_exit(ring);
    delete ring;
}

Result<std::unique_ptr<BlockDevice>> BlockDevice::create(const DiskConfig& config,
                                                         IoEngine engine) {
    int flags = (config.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    UniqueFd file(::open(config.path.c_str(), flags));
    if (!file)
        return open_error(config, errno);
    uint64_t size = TRY(image_size(config, file.get()));
    if (size < kSectorSize)
        return Error::message(fmt::format("{}: disk image has {} bytes, less than one sector",
                                          config.path, size))
            .with_hint("a disk image holds at least 512 bytes");
    // Two VMs writing one image corrupt it: take a lock like QEMU does (a
    // shared one for read-only disks, so several VMs may share an image).
    if (::flock(file.get(), (config.read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return Error::message(
                       fmt::format("{}: disk image is in use by another process", config.path))
                .with_hint("stop the other VM, or give both ,ro");
        return Error::from_errno("flock", config.path);
    }
    if (size % kSectorSize != 0)
        log::warn("{}: disk image size {} is not a multiple of 512; the last {} bytes are unused",
                  config.path, size, size % kSectorSize);
    bool discard = !config.read_only && supports_hole_punching(file.get(), size);
    auto serial = disk_serial(file.get());
    std::unique_ptr<BlockDevice> device(
        new BlockDevice(config, std::move(file), size, discard, serial));
    if (engine == IoEngine::automatic)
        TRY(device->setup_io_uring());
    return device;
}

BlockDevice::BlockDevice(DiskConfig config, UniqueFd file, uint64_t size, bool discard,
                         std::array<char, kIdBytes> serial)
    : m_disk(std::move(config)), m_file(std::move(file)), m_serial(serial) {
    m_features = block_feature::kSegMax | block_feature::kBlockSize | block_feature::kFlush;
    if (m_disk.read_only)
        m_features |= block_feature::kReadOnly;
    if (discard)
        m_features |= block_feature::kDiscard;
    m_config.capacity = size / kSectorSize;
    m_config.seg_max = kSegmentMax;
    m_config.blk_size = kSectorSize;
    if (discard) {
        m_config.max_discard_sectors = kDiscardSectorMax;
        m_config.max_discard_seg = kDiscardSegmentMax;
        // Host file systems free whole 4 KiB blocks; smaller holes only zero.
        m_config.discard_sector_alignment = 4096 / kSectorSize;
    }
}

BlockDevice::~BlockDevice() {
    reset();
}

Result<void> BlockDevice::setup_io_uring() {
    // A kernel without io_uring (before 5.1), or a seccomp filter or sysctl
    // (kernel.io_uring_disabled) that forbids it: fall back to synchronous
    // I/O, and say so once (at -vv), since it is a choice of the host.
    auto unavailable = [](const char* call, int err) {
        static std::once_flag logged;
        std::call_once(logged, [&] {
            log::debug("virtio-blk: io_uring is not available ({}: {}); using synchronous I/O",
                       call, std::strerror(err));
        });
        return ok();
    };
    auto ring = std::make_unique<io_uring>();
    // Created disabled, so that the opcodes can be restricted before any use.
    int result = ::io_uring_queue_init(kQueueSize, ring.get(), IORING_SETUP_R_DISABLED);
    if (result < 0)
        return unavailable("io_uring_queue_init", -result);  // `ring` was never set up
    std::unique_ptr<io_uring, RingDeleter> owned(ring.release());
    EventFd completion = TRY(EventFd::create());
    result = ::io_uring_register_eventfd(owned.get(), completion.fd());
    if (result < 0)
        return unavailable("io_uring_register_eventfd", -result);
    // seccomp does not see the requests on the ring, so a VMM thread taken over
    // by the guest could submit IORING_OP_OPENAT and the like through the
    // io_uring_enter its filter allows. The ring takes only the three opcodes
    // virtio-blk uses, and no further io_uring_register (io_uring_register(2),
    // IORING_REGISTER_RESTRICTIONS; docs/security.md, "The VMM sandbox").
    io_uring_restriction restrictions[3] = {};
    const uint8_t allowed[3] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC};
    for (size_t index = 0; index < 3; ++index) {
        restrictions[index].opcode = IORING_RESTRICTION_SQE_OP;
        restrictions[index].sqe_op = allowed[index];
    }
    // Raw io_uring_register(2): Debian 12's liburing 2.3 declares
    // io_uring_register_restrictions() and io_uring_enable_rings() but does
    // not export them.
    int ring_fd = owned->ring_fd;
    if (::syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_RESTRICTIONS, restrictions, 3) <
        0)
        return unavailable("io_uring_register(RESTRICTIONS)", errno);
    if (::syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0)
        return unavailable("io_uring_register(ENABLE_RINGS)", errno);
    m_ring = std::move(owned);
    m_completion.emplace(std::move(completion));
    return ok();
}

void BlockDevice::read_config(uint64_t offset, std::span<uint8_t> data) const {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= sizeof m_config)
        return;
    size_t count = std::min<uint64_t>(data.size(), sizeof m_config - offset);
    std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&m_config) + offset, count);
}

Result<void> BlockDevice::start() {
    m_requests.assign(kQueueSize, Request{});
    for (size_t slot = kQueueSize; slot > 0; --slot) m_free_slots.push_back(slot - 1);
    TRY(watch_queue(0, [this] { process_queue(); }));
    if (m_ring)
        TRY(watch(m_completion->fd(), [this] { on_completion(); }));
    return ok();
}

void BlockDevice::stop() {
    drain_in_flight();
    m_requests.clear();
    m_free_slots.clear();
    m_waiting_for_slots = false;
}

std::string BlockDevice::describe() const {
    return fmt::format("virtio-blk {}", m_disk.path);
}

// Reads and writes in flight point into guest memory: wait for each to end
// before the queue is forgotten, so no I/O lands in memory the driver has
// reused after the reset. Regular-file I/O cannot be cancelled half-way, so
// waiting is what IORING_OP_ASYNC_CANCEL would amount to anyway.
void BlockDevice::drain_in_flight() {
    if (!m_ring) {
        m_in_flight = 0;
        return;
    }
    if (m_unsubmitted > 0) {
        ::io_uring_submit(m_ring.get());
        m_unsubmitted = 0;
    }
    while (m_in_flight > 0) {
        io_uring_cqe* cqe = nullptr;
        int result = ::io_uring_wait_cqe(m_ring.get(), &cqe);
        if (result == -EINTR)
            continue;
        if (result < 0) {
            log::error("virtio-blk {}: waiting for I/O to finish: {}", m_disk.path,
                       std::strerror(-result));
            break;
        }
        ::io_uring_cqe_seen(m_ring.get(), cqe);
        --m_in_flight;
    }
    m_in_flight = 0;
    if (m_completion)
        m_completion->consume();
}

void BlockDevice::process_queue() {
    for (;;) {
        bool ring_empty = false;
        m_waiting_for_slots = false;
        while (!failed() && !m_free_slots.empty()) {
            auto popped = virtqueue(0).pop();
            if (!popped) {
                fail(popped.error());
                break;
            }
            if (!popped->has_value()) {
                ring_empty = true;
                break;
            }
            size_t slot = m_free_slots.back();
            m_free_slots.pop_back();
            Request& request = m_requests[slot];
            request = Request{};
            auto status = start_request(**popped, request);
            if (failed())
                break;
            if (status)
                finish(slot, *status);
            else
                submit(slot);
        }
        submit_pending();
        // Reads that hit the host's page cache complete inside io_uring_submit():
        // reap them now, so their interrupt goes out in this pass and not
        // after another trip through the event loop.
        reap_completions();
        signal_if_needed(virtqueue(0));
        if (failed())
            return;
        if (!ring_empty) {
            if (!m_free_slots.empty())
                continue;                // reaping freed slots: go on popping
            m_waiting_for_slots = true;  // on_completion() resumes
            return;
        }
        // The ring is empty: the next notification resumes, unless chains
        // arrived while notifications were being re-enabled.
        if (!virtqueue(0).enable_notification())
            return;
    }
}

void BlockDevice::submit_pending() {
    if (!m_ring || m_unsubmitted == 0)
        return;
    int result = ::io_uring_submit(m_ring.get());
    if (result < 0)
        fail(Error::from_errno("io_uring_submit", "submitting disk I/O", -result));
    m_unsubmitted = 0;
}

// Handles every completion io_uring has posted, without waiting.
void BlockDevice::reap_completions() {
    if (!m_ring)
        return;
    // Collect first: handling a completion may queue new submissions.
    std::vector<std::pair<uint64_t, int>> completed;
    unsigned head = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(m_ring.get(), head, cqe) {
        completed.emplace_back(::io_uring_cqe_get_data64(cqe), cqe->res);
    }
    ::io_uring_cq_advance(m_ring.get(), static_cast<unsigned>(completed.size()));
    for (auto [slot, result] : completed) {
        if (slot < m_requests.size())
            handle_completion(slot, result);
    }
    submit_pending();  // short transfers continue
}

BlockStatus BlockDevice::check_range(uint64_t sector, uint64_t bytes) const {
    // Section 5.2.6.1: data is a whole number of sectors, inside the disk.
    // Written so that nothing overflows whatever sector the guest sends.
    if (bytes % kSectorSize != 0)
        return BlockStatus::io_error;
    uint64_t count = bytes / kSectorSize;
    if (sector > m_config.capacity || count > m_config.capacity - sector)
        return BlockStatus::io_error;
    return BlockStatus::ok;
}

std::optional<BlockStatus> BlockDevice::start_request(const DescriptorChain& chain,
                                                      Request& request) {
    request.head = chain.head();
    request.used_length = 1;  // the status byte
    BlockRequestHeader header{};
    if (chain.readable_bytes() < sizeof header) {
        fail(Error::message(fmt::format(
            "request {} has {} readable bytes, less than the 16-byte header (virtio 1.2 section 5.2.6)",
            chain.head(), chain.readable_bytes())));
        return std::nullopt;
    }
    if (chain.writable_bytes() == 0) {
        fail(Error::message(
            fmt::format("request {} has no writable byte for its status (virtio 1.2 section 5.2.6)",
                        chain.head())));
        return std::nullopt;
    }
    chain.read(0, {reinterpret_cast<uint8_t*>(&header), sizeof header});
    // The status is the last writable byte. Empty buffers never reach a
    // DescriptorChain, so the last writable buffer has at least one byte.
    std::span<uint8_t> last = chain.writable().back().host;
    request.status = last.data() + last.size() - 1;
    uint64_t readable_data = chain.readable_bytes() - sizeof header;
    uint64_t writable_data = chain.writable_bytes() - 1;
    request.offset = header.sector * kSectorSize;  // only used after check_range()

    switch (static_cast<BlockRequestType>(header.type)) {
        case BlockRequestType::in: {
            request.type = BlockRequestType::in;
            if (BlockStatus status = check_range(header.sector, writable_data);
                status != BlockStatus::ok)
                return status;
            request.iovecs = chain.writable_iovecs(0, writable_data);
            // Buffers may repeat, so the sum can pass 4 GiB; used.len saturates.
            request.used_length =
                static_cast<uint32_t>(std::min<uint64_t>(chain.writable_bytes(), UINT32_MAX));
            break;
        }
        case BlockRequestType::out: {
            request.type = BlockRequestType::out;
            // Section 5.2.6.1: a read-only device fails writes with IOERR.
            if (m_disk.read_only)
                return BlockStatus::io_error;
            if (BlockStatus status = check_range(header.sector, readable_data);
                status != BlockStatus::ok)
                return status;
            request.iovecs = chain.readable_iovecs(sizeof header, readable_data);
            break;
        }
        case BlockRequestType::flush:
            request.type = BlockRequestType::flush;
            if (m_disk.read_only)
                return BlockStatus::ok;  // nothing was written, so nothing to make durable
            return std::nullopt;         // fdatasync, then the status (section 5.2.6.1)
        case BlockRequestType::get_id: {
            // The ID is 20 bytes, NUL-padded (section 5.2.6); Linux asks for
            // exactly that. A bigger buffer gets the 20 bytes and no more (no
            // allocation or copy sized by the guest), a smaller one a prefix.
            std::array<uint8_t, kIdBytes> answer{};
            std::copy(m_serial.begin(), m_serial.end(), answer.begin());
            size_t length = std::min<uint64_t>(kIdBytes, writable_data);
            chain.write(0, {answer.data(), length});
            request.used_length = static_cast<uint32_t>(length + 1);
            return BlockStatus::ok;
        }
        case BlockRequestType::discard:
            if (!(m_features & block_feature::kDiscard))
                return m_disk.read_only ? BlockStatus::io_error : BlockStatus::unsupported;
            return discard(chain, readable_data);
        default:
            return BlockStatus::unsupported;  // section 5.2.6.1: unknown types get UNSUPP
    }
    if (request.iovecs.empty())
        return BlockStatus::ok;  // zero sectors: nothing to transfer
    if (request.iovecs.size() > IOV_MAX)
        return BlockStatus::io_error;  // preadv/readv refuse more (indirect tables allow it)
    return std::nullopt;
}

BlockStatus BlockDevice::discard(const DescriptorChain& chain, uint64_t bytes) const {
    // Section 5.2.6: the data is an array of 16-byte segments.
    if (bytes == 0 || bytes % sizeof(BlockDiscardSegment) != 0 ||
        bytes / sizeof(BlockDiscardSegment) > kDiscardSegmentMax)
        return BlockStatus::io_error;
    for (uint64_t offset = 0; offset < bytes; offset += sizeof(BlockDiscardSegment)) {
        BlockDiscardSegment segment{};
        chain.read(sizeof(BlockRequestHeader) + offset,
                   {reinterpret_cast<uint8_t*>(&segment), sizeof segment});
        // Section 5.2.6.2: the unmap flag is for WRITE_ZEROES; on DISCARD
        // (and any reserved bit) the device answers UNSUPP.
        if (segment.flags != 0)
            return BlockStatus::unsupported;
        if (segment.sector_count > kDiscardSectorMax)
            return BlockStatus::io_error;
        uint64_t length = uint64_t{segment.sector_count} * kSectorSize;
        if (check_range(segment.sector, length) != BlockStatus::ok)
            return BlockStatus::io_error;
        // Punching is a metadata update, quick enough to do on the loop thread.
        if (length > 0 && ::fallocate(m_file.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                      static_cast<off_t>(segment.sector * kSectorSize),
                                      static_cast<off_t>(length)) < 0) {
            log::debug("virtio-blk {}: fallocate(PUNCH_HOLE): {}", m_disk.path,
                       std::strerror(errno));
            return BlockStatus::io_error;
        }
    }
    return BlockStatus::ok;
}

void BlockDevice::submit(size_t slot) {
    Request& request = m_requests[slot];
    if (!m_ring) {
        finish(slot, run_synchronously(request));
        return;
    }
    ++m_in_flight;
    queue_sqe(slot);
}

// Puts the request's next step on the submission ring; io_uring_submit()
// later hands the whole batch to the kernel with one system call.
void BlockDevice::queue_sqe(size_t slot) {
    Request& request = m_requests[slot];
    io_uring_sqe* sqe = ::io_uring_get_sqe(m_ring.get());
    if (sqe == nullptr) {
        // Cannot happen while requests <= ring entries, but be safe: flush and retry.
        ::io_uring_submit(m_ring.get());
        m_unsubmitted = 0;
        sqe = ::io_uring_get_sqe(m_ring.get());
        if (sqe == nullptr) {
            --m_in_flight;
            finish(slot, BlockStatus::io_error);
            return;
        }
    }
    auto count = static_cast<unsigned>(request.iovecs.size());
    switch (request.type) {
        case BlockRequestType::in:
            ::io_uring_prep_readv(sqe, m_file.get(), request.iovecs.data(), count, request.offset);
            break;
        case BlockRequestType::out:
            ::io_uring_prep_writev(sqe, m_file.get(), request.iovecs.data(), count, request.offset);
            break;
        default:  // flush
            ::io_uring_prep_fsync(sqe, m_file.get(), IORING_FSYNC_DATASYNC);
            break;
    }
    ::io_uring_sqe_set_data64(sqe, slot);
    ++m_unsubmitted;
}

BlockStatus BlockDevice::run_synchronously(Request& request) const {
    if (request.type == BlockRequestType::flush)
        return ::fdatasync(m_file.get()) == 0 ? BlockStatus::ok : BlockStatus::io_error;
    while (!request.iovecs.empty()) {
        auto count = static_cast<int>(request.iovecs.size());
        auto offset = static_cast<off_t>(request.offset);
        ssize_t done = request.type == BlockRequestType::in
                           ? ::preadv(m_file.get(), request.iovecs.data(), count, offset)
                           : ::pwritev(m_file.get(), request.iovecs.data(), count, offset);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)  // an error, or the file shrank under us
            return BlockStatus::io_error;
        advance(request.iovecs, static_cast<uint64_t>(done));
        request.offset += static_cast<uint64_t>(done);
    }
    return BlockStatus::ok;
}

void BlockDevice::on_completion() {
    m_completion->consume();
    reap_completions();
    signal_if_needed(virtqueue(0));
    // Slots were freed: take the chains that waited while the pool was full.
    if (!failed() && m_waiting_for_slots)
        process_queue();
}

void BlockDevice::handle_completion(size_t slot, int result) {
    Request& request = m_requests[slot];
    if (result == -EINTR || result == -EAGAIN) {
        queue_sqe(slot);  // try the same step again
        return;
    }
    if (result < 0) {
        log::debug("virtio-blk {}: I/O error: {}", m_disk.path, std::strerror(-result));
        --m_in_flight;
        finish(slot, BlockStatus::io_error);
        return;
    }
    if (request.type == BlockRequestType::flush) {
        --m_in_flight;
        finish(slot, BlockStatus::ok);
        return;
    }
    if (result == 0) {  // end of file: the image shrank below the disk's capacity
        --m_in_flight;
        finish(slot, BlockStatus::io_error);
        return;
    }
    // A short transfer (rare on regular files): continue where it stopped.
    advance(request.iovecs, static_cast<uint64_t>(result));
    request.offset += static_cast<uint64_t>(result);
    if (!request.iovecs.empty()) {
        queue_sqe(slot);
        return;
    }
    --m_in_flight;
    finish(slot, BlockStatus::ok);
}

void BlockDevice::finish(size_t slot, BlockStatus status) {
    Request& request = m_requests[slot];
    // Section 5.2.6.1: the status goes in last, after the data and (for
    // FLUSH) after fdatasync returned; add_used() publishes it with a release
    // store, so the driver sees data, then status, then the used entry.
    *request.status = static_cast<uint8_t>(status);
    uint32_t length = status == BlockStatus::ok ? request.used_length : 1;
    auto added = virtqueue(0).add_used(request.head, length);
    if (!added)
        fail(added.error());
    m_free_slots.push_back(slot);
}

}  // namespace twinbox::virtio
