// virtio-blk against a temporary image file, driven through a hand-built
// split ring in fake guest memory (virtio 1.2 section 5.2). Every test runs
// with io_uring (when the kernel has it) and with the synchronous engine.
#include "vmm/virtio/block.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/unit/vmm/virtio/virtio_fakes.h"

namespace twinbox::virtio {
namespace {

using test::DeviceHarness;
using test::Segment;

constexpr uint64_t kSector = BlockDevice::kSectorSize;
constexpr uint64_t kImageSectors = 64;

// A temporary image whose byte i holds (i * 7 + i / 512) & 0xff: every
// sector differs, so a read of the wrong sector is noticed.
class TemporaryImage {
public:
    explicit TemporaryImage(uint64_t size = kImageSectors * kSector) {
        char name[] = "/tmp/twinbox-block-test-XXXXXX";
        int fd = ::mkstemp(name);
        EXPECT_GE(fd, 0);
        m_path = name;
        m_fd = UniqueFd(fd);
        std::vector<uint8_t> bytes(size);
        for (uint64_t i = 0; i < size; ++i) bytes[i] = pattern(i);
        EXPECT_EQ(::pwrite(fd, bytes.data(), size, 0), static_cast<ssize_t>(size));
    }
    ~TemporaryImage() { ::unlink(m_path.c_str()); }

    static uint8_t pattern(uint64_t offset) { return (offset * 7 + offset / 512) & 0xff; }
    const std::string& path() const { return m_path; }
    std::vector<uint8_t> read(uint64_t offset, uint64_t length) const {
        std::vector<uint8_t> bytes(length);
        EXPECT_EQ(::pread(m_fd.get(), bytes.data(), length, static_cast<off_t>(offset)),
                  static_cast<ssize_t>(length));
        return bytes;
    }

private:
    std::string m_path;
    UniqueFd m_fd;
};

std::vector<uint8_t> expected_pattern(uint64_t offset, uint64_t length) {
    std::vector<uint8_t> bytes(length);
    for (uint64_t i = 0; i < length; ++i) bytes[i] = TemporaryImage::pattern(offset + i);
    return bytes;
}

class BlockTest : public ::testing::TestWithParam<BlockDevice::IoEngine> {
protected:
    std::unique_ptr<BlockDevice> open(bool read_only = false) {
        auto device = BlockDevice::create({image.path(), read_only}, GetParam());
        EXPECT_TRUE(device) << device.error().to_string();
        return device ? std::move(device).value() : nullptr;
    }

    // A request header in guest memory.
    uint64_t header(BlockRequestType type, uint64_t sector) {
        return harness.ring.place_object(
            BlockRequestHeader{static_cast<uint32_t>(type), 0, sector});
    }
    // A status byte preset to 0xff, so "never written" is visible.
    uint64_t status_byte() {
        uint64_t address = harness.ring.allocate(1);
        EXPECT_TRUE(harness.memory.fill(address, 0xff, 1));
        return address;
    }
    uint8_t status_at(uint64_t address) { return harness.ring.read(address, 1)[0]; }

    // Sends one chain and waits for the device to return it; gives its used length.
    uint32_t run(std::vector<Segment> chain) {
        uint16_t expected = static_cast<uint16_t>(harness.ring.used_index() + 1);
        harness.ring.add_chain(chain);
        EXPECT_TRUE(harness.kick_and_wait(expected)) << "the device never returned the chain";
        return harness.ring.used_entry(static_cast<uint16_t>(expected - 1)).length;
    }

    TemporaryImage image;
    DeviceHarness harness;
};

INSTANTIATE_TEST_SUITE_P(Engines, BlockTest,
                         ::testing::Values(BlockDevice::IoEngine::automatic,
                                           BlockDevice::IoEngine::synchronous),
                         [](const auto& info) {
                             return info.param == BlockDevice::IoEngine::automatic ? "io_uring"
                                                                                   : "synchronous";
                         });

// --- Opening images: one clear error each -----------------------------------

TEST(BlockCreateTest, MissingFileSaysSo) {
    auto device = BlockDevice::create({"/nonexistent/disk.img", false});
    ASSERT_FALSE(device);
    EXPECT_NE(device.error().to_string().find("/nonexistent/disk.img"), std::string::npos);
    EXPECT_NE(device.error().to_string().find("does not exist"), std::string::npos);
}

TEST(BlockCreateTest, DirectoryIsRejected) {
    for (bool read_only : {false, true}) {
        auto device = BlockDevice::create({"/tmp", read_only});
        ASSERT_FALSE(device);
        EXPECT_NE(device.error().to_string().find("directory"), std::string::npos)
            << device.error().to_string();
    }
}

TEST(BlockCreateTest, ReadOnlyFileNeedsRo) {
    TemporaryImage image;
    ASSERT_EQ(::chmod(image.path().c_str(), 0444), 0);
    auto writable = BlockDevice::create({image.path(), false});
    ASSERT_FALSE(writable);
    EXPECT_NE(writable.error().to_string().find(",ro"), std::string::npos)
        << writable.error().to_string();
    auto read_only = BlockDevice::create({image.path(), true});
    ASSERT_TRUE(read_only) << read_only.error().to_string();
    EXPECT_TRUE((*read_only)->device_features() & block_feature::kReadOnly);
    EXPECT_FALSE((*read_only)->device_features() & block_feature::kDiscard);
}

TEST(BlockCreateTest, EmptyFileIsRejected) {
    TemporaryImage image(0);
    auto device = BlockDevice::create({image.path(), false});
    ASSERT_FALSE(device);
    EXPECT_NE(device.error().to_string().find("less than one sector"), std::string::npos);
}

TEST(BlockCreateTest, SecondWriterIsRefused) {
    TemporaryImage image;
    auto first = BlockDevice::create({image.path(), false});
    ASSERT_TRUE(first);
    auto second = BlockDevice::create({image.path(), false});
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().to_string().find("in use"), std::string::npos);
}

// --- Configuration space (section 5.2.4) -------------------------------------

TEST_P(BlockTest, ConfigurationSpace) {
    auto device = open();
    uint64_t features = device->device_features();
    EXPECT_TRUE(features & block_feature::kFlush);
    EXPECT_TRUE(features & block_feature::kSegMax);
    EXPECT_TRUE(features & block_feature::kBlockSize);
    EXPECT_FALSE(features & block_feature::kReadOnly);
    if (GetParam() == BlockDevice::IoEngine::synchronous)
        EXPECT_FALSE(device->uses_io_uring());
    else if (!device->uses_io_uring())
        std::fprintf(stderr, "note: io_uring is not available here; the synchronous engine ran\n");

    BlockConfig config{};
    device->read_config(0, {reinterpret_cast<uint8_t*>(&config), sizeof config});
    EXPECT_EQ(config.capacity, kImageSectors);
    EXPECT_EQ(config.seg_max, BlockDevice::kSegmentMax);
    EXPECT_EQ(config.blk_size, 512u);
    // A read straddling the end gets zeros past it; one far past, all zeros.
    uint8_t tail[8];
    device->read_config(sizeof(BlockConfig) - 4, tail);
    EXPECT_EQ(tail[4] | tail[5] | tail[6] | tail[7], 0);
    uint8_t far[4] = {1, 1, 1, 1};
    device->read_config(0x1000, far);
    EXPECT_EQ(far[0] | far[1] | far[2] | far[3], 0);
}

// --- Requests (section 5.2.6) -----------------------------------------------

TEST_P(BlockTest, ReadLandsInGuestMemory) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    // Two sectors from sector 3, into two buffers of different sizes.
    uint64_t first = harness.ring.allocate(300);
    uint64_t second = harness.ring.allocate(2 * kSector - 300);
    uint64_t status = status_byte();
    uint32_t used = run({{header(BlockRequestType::in, 3), 16, false},
                         {first, 300, true},
                         {second, 2 * kSector - 300, true},
                         {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
    EXPECT_EQ(used, 2 * kSector + 1);
    EXPECT_EQ(harness.ring.read(first, 300), expected_pattern(3 * kSector, 300));
    EXPECT_EQ(harness.ring.read(second, 2 * kSector - 300),
              expected_pattern(3 * kSector + 300, 2 * kSector - 300));
}

TEST_P(BlockTest, WriteReachesTheFile) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    std::vector<uint8_t> data(2 * kSector);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0xa0 ^ i);
    uint64_t status = status_byte();
    // Header and data in one readable buffer, as VERSION_1 allows (section 2.7.4).
    std::vector<uint8_t> request(16 + data.size());
    BlockRequestHeader out{static_cast<uint32_t>(BlockRequestType::out), 0, 10};
    std::memcpy(request.data(), &out, 16);
    std::memcpy(request.data() + 16, data.data(), data.size());
    uint64_t buffer = harness.ring.place(request);
    uint32_t used =
        run({{buffer, static_cast<uint32_t>(request.size()), false}, {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
    EXPECT_EQ(used, 1u);
    EXPECT_EQ(image.read(10 * kSector, data.size()), data);
    // The neighbours are untouched.
    EXPECT_EQ(image.read(9 * kSector, kSector), expected_pattern(9 * kSector, kSector));
    EXPECT_EQ(image.read(12 * kSector, kSector), expected_pattern(12 * kSector, kSector));
}

TEST_P(BlockTest, FlushSucceeds) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t status = status_byte();
    run({{header(BlockRequestType::flush, 0), 16, false}, {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
}

TEST_P(BlockTest, GetIdReturnsTheSerial) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t id = harness.ring.allocate(BlockDevice::kIdBytes);
    uint64_t status = status_byte();
    uint32_t used = run({{header(BlockRequestType::get_id, 0), 16, false},
                         {id, BlockDevice::kIdBytes, true},
                         {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
    EXPECT_EQ(used, BlockDevice::kIdBytes + 1);
    auto bytes = harness.ring.read(id, BlockDevice::kIdBytes);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), device->serial().begin()));
    EXPECT_NE(bytes[0], 0) << "the serial is empty";
}

TEST_P(BlockTest, GetIdNeverWritesPastTwentyBytes) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t id = harness.ring.allocate(4096);
    uint64_t status = status_byte();
    uint32_t used = run(
        {{header(BlockRequestType::get_id, 0), 16, false}, {id, 4096, true}, {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
    EXPECT_EQ(used, BlockDevice::kIdBytes + 1);
    EXPECT_EQ(harness.ring.read(id + BlockDevice::kIdBytes, 4096 - BlockDevice::kIdBytes),
              std::vector<uint8_t>(4096 - BlockDevice::kIdBytes, 0));
}

TEST_P(BlockTest, DiscardPunchesAHole) {
    auto device = open();
    if (!(device->device_features() & block_feature::kDiscard))
        GTEST_SKIP() << "the file system of /tmp cannot punch holes";
    ASSERT_TRUE(harness.activate(*device));
    uint64_t status = status_byte();
    uint64_t segment = harness.ring.place_object(BlockDiscardSegment{8, 16, 0});
    run({{header(BlockRequestType::discard, 0), 16, false},
         {segment, 16, false},
         {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
    EXPECT_EQ(image.read(8 * kSector, 16 * kSector), std::vector<uint8_t>(16 * kSector, 0));
    EXPECT_EQ(image.read(24 * kSector, kSector), expected_pattern(24 * kSector, kSector));

    // Section 5.2.6.2: the unmap flag belongs to WRITE_ZEROES; DISCARD says UNSUPP.
    uint64_t unmap = harness.ring.place_object(BlockDiscardSegment{8, 8, 1});
    uint64_t status2 = status_byte();
    run({{header(BlockRequestType::discard, 0), 16, false},
         {unmap, 16, false},
         {status2, 1, true}});
    EXPECT_EQ(status_at(status2), static_cast<uint8_t>(BlockStatus::unsupported));

    // A segment past the end is an I/O error, and nothing is punched.
    uint64_t past = harness.ring.place_object(BlockDiscardSegment{kImageSectors - 1, 2, 0});
    uint64_t status3 = status_byte();
    run({{header(BlockRequestType::discard, 0), 16, false}, {past, 16, false}, {status3, 1, true}});
    EXPECT_EQ(status_at(status3), static_cast<uint8_t>(BlockStatus::io_error));
    EXPECT_EQ(image.read((kImageSectors - 1) * kSector, kSector),
              expected_pattern((kImageSectors - 1) * kSector, kSector));
}

TEST_P(BlockTest, ReadOnlyDiskRejectsWritesAndDiscards) {
    auto device = open(/*read_only=*/true);
    ASSERT_TRUE(harness.activate(*device));
    uint64_t data = harness.ring.allocate(kSector);
    uint64_t status = status_byte();
    run({{header(BlockRequestType::out, 0), 16, false}, {data, kSector, false}, {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::io_error));
    EXPECT_EQ(image.read(0, kSector), expected_pattern(0, kSector));

    uint64_t segment = harness.ring.place_object(BlockDiscardSegment{0, 8, 0});
    uint64_t status2 = status_byte();
    run({{header(BlockRequestType::discard, 0), 16, false},
         {segment, 16, false},
         {status2, 1, true}});
    EXPECT_EQ(status_at(status2), static_cast<uint8_t>(BlockStatus::io_error));

    // Reads and flushes still work.
    uint64_t read_status = status_byte();
    run({{header(BlockRequestType::in, 1), 16, false},
         {data, kSector, true},
         {read_status, 1, true}});
    EXPECT_EQ(status_at(read_status), static_cast<uint8_t>(BlockStatus::ok));
    EXPECT_EQ(harness.ring.read(data, kSector), expected_pattern(kSector, kSector));
    uint64_t flush_status = status_byte();
    run({{header(BlockRequestType::flush, 0), 16, false}, {flush_status, 1, true}});
    EXPECT_EQ(status_at(flush_status), static_cast<uint8_t>(BlockStatus::ok));
}

TEST_P(BlockTest, SectorsOutsideTheDiskAreIoErrors) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t data = harness.ring.allocate(2 * kSector);
    struct Case {
        uint64_t sector;
        uint32_t length;
    };
    // At the end; straddling it; an offset that overflows 64 bits when
    // multiplied by 512; a length that is not whole sectors.
    for (Case bad : {Case{kImageSectors, 512}, Case{kImageSectors - 1, 1024}, Case{~0ull, 512},
                     Case{~0ull / 512 + 1, 512}, Case{0, 100}}) {
        for (auto type : {BlockRequestType::in, BlockRequestType::out}) {
            uint64_t status = status_byte();
            run({{header(type, bad.sector), 16, false},
                 {data, bad.length, type == BlockRequestType::in},
                 {status, 1, true}});
            EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::io_error))
                << "sector " << bad.sector << " length " << bad.length;
        }
    }
    EXPECT_EQ(harness.interrupt->needs_reset(), 0);
    // The last sector itself is fine.
    uint64_t status = status_byte();
    run({{header(BlockRequestType::in, kImageSectors - 1), 16, false},
         {data, kSector, true},
         {status, 1, true}});
    EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::ok));
}

TEST_P(BlockTest, UnknownRequestTypeIsUnsupported) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    for (uint32_t type : {2u, 10u, 13u, 14u, 0xffffffffu}) {
        uint64_t status = status_byte();
        uint64_t request = harness.ring.place_object(BlockRequestHeader{type, 0, 0});
        run({{request, 16, false}, {status, 1, true}});
        EXPECT_EQ(status_at(status), static_cast<uint8_t>(BlockStatus::unsupported)) << type;
    }
}

TEST_P(BlockTest, StatusIsTheLastWritableByte) {
    // One writable buffer holds the data and, in its last byte, the status.
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t buffer = harness.ring.allocate(kSector + 1);
    uint32_t used =
        run({{header(BlockRequestType::in, 2), 16, false}, {buffer, kSector + 1, true}});
    auto bytes = harness.ring.read(buffer, kSector + 1);
    EXPECT_EQ(bytes[kSector], static_cast<uint8_t>(BlockStatus::ok));
    bytes.pop_back();
    EXPECT_EQ(bytes, expected_pattern(2 * kSector, kSector));
    EXPECT_EQ(used, kSector + 1);
}

// --- Hostile chains: the device stops and asks for a reset, once -------------

TEST_P(BlockTest, ShortHeaderBreaksTheDevice) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t status = status_byte();
    harness.ring.add_chain({{header(BlockRequestType::in, 0), 8, false}, {status, 1, true}});
    harness.ring.publish();
    harness.notify.signal();
    ASSERT_TRUE(harness.interrupt->wait_needs_reset());
    // Later chains, even good ones, are ignored until the driver resets.
    uint64_t good_status = status_byte();
    harness.ring.add_chain(
        {{header(BlockRequestType::flush, 0), 16, false}, {good_status, 1, true}});
    EXPECT_FALSE(harness.kick_and_wait(1, std::chrono::milliseconds(200)));
    EXPECT_EQ(harness.interrupt->needs_reset(), 1);
    EXPECT_EQ(status_at(good_status), 0xff);
}

TEST_P(BlockTest, MissingStatusByteBreaksTheDevice) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    // A read with no writable byte at all.
    harness.ring.add_chain({{header(BlockRequestType::flush, 0), 16, false}});
    harness.ring.publish();
    harness.notify.signal();
    ASSERT_TRUE(harness.interrupt->wait_needs_reset());
    EXPECT_EQ(harness.ring.used_index(), 0);
}

TEST_P(BlockTest, BufferOutsideGuestMemoryBreaksTheDevice) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t status = status_byte();
    harness.ring.add_chain({{header(BlockRequestType::in, 0), 16, false},
                            {DeviceHarness::kMemorySize - 256, 512, true},
                            {status, 1, true}});
    harness.ring.publish();
    harness.notify.signal();
    ASSERT_TRUE(harness.interrupt->wait_needs_reset());
    EXPECT_EQ(status_at(status), 0xff);
}

TEST_P(BlockTest, ResetAndReactivate) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    uint64_t status = status_byte();
    harness.ring.add_chain({{header(BlockRequestType::in, 0), 8, false}, {status, 1, true}});
    harness.ring.publish();
    harness.notify.signal();
    ASSERT_TRUE(harness.interrupt->wait_needs_reset());
    device->reset();

    // The driver starts over with a fresh ring.
    DeviceHarness fresh;
    ASSERT_TRUE(fresh.activate(*device));
    uint64_t data = fresh.ring.allocate(kSector);
    uint64_t status2 = fresh.ring.allocate(1);
    uint64_t request = fresh.ring.place_object(
        BlockRequestHeader{static_cast<uint32_t>(BlockRequestType::in), 0, 4});
    fresh.ring.add_chain({{request, 16, false}, {data, kSector, true}, {status2, 1, true}});
    ASSERT_TRUE(fresh.kick_and_wait(1));
    EXPECT_EQ(fresh.ring.read(status2, 1)[0], 0);
    EXPECT_EQ(fresh.ring.read(data, kSector), expected_pattern(4 * kSector, kSector));
    device->reset();
}

// --- Many requests at once: batching, the request pool, completion order ----

TEST_P(BlockTest, ManyConcurrentWrites) {
    auto device = open();
    ASSERT_TRUE(harness.activate(*device));
    constexpr int kRequests = 40;  // more than the 16-entry queue: three batches
    std::vector<uint64_t> statuses;
    for (int i = 0; i < kRequests; ++i) {
        std::vector<uint8_t> data(kSector, static_cast<uint8_t>(i + 1));
        uint64_t buffer = harness.ring.place(data);
        statuses.push_back(status_byte());
        // Indirect chains take one ring descriptor each (section 2.7.5.3).
        harness.ring.add_indirect_chain({{header(BlockRequestType::out, i), 16, false},
                                         {buffer, kSector, false},
                                         {statuses.back(), 1, true}});
        if (i % 16 == 15 || i == kRequests - 1) {
            ASSERT_TRUE(harness.kick_and_wait(static_cast<uint16_t>(i + 1)));
        }
    }
    for (int i = 0; i < kRequests; ++i) {
        EXPECT_EQ(status_at(statuses[i]), 0) << i;
        EXPECT_EQ(image.read(i * kSector, kSector),
                  std::vector<uint8_t>(kSector, static_cast<uint8_t>(i + 1)));
    }
}

}  // namespace
}  // namespace twinbox::virtio
