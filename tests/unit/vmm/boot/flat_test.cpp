#include "vmm/boot/flat.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/vmm/boot/boot_images.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

using testing::pattern;

class FlatTest : public testing::GuestMemoryTest {
protected:
    std::vector<uint8_t> bytes_at(uint64_t address, size_t size) const {
        std::vector<uint8_t> bytes(size);
        EXPECT_TRUE(memory().read(address, bytes).has_value());
        return bytes;
    }
    void expect_error(size_t size, CpuMode mode, std::optional<uint64_t> address,
                      const std::string& expected) {
        auto entry = load_flat(memory(), std::vector<uint8_t>(size, 0x90), mode, address);
        ASSERT_FALSE(entry.has_value());
        EXPECT_NE(entry.error().to_string().find(expected), std::string::npos)
            << entry.error().to_string();
    }
};

TEST_F(FlatTest, RealModeLoadsLikeABootSector) {
    auto image = pattern(512, 1);
    auto entry = load_flat(memory(), image, CpuMode::real, std::nullopt);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->mode, CpuMode::real);
    EXPECT_EQ(entry->instruction_pointer, 0x7c00u);
    EXPECT_EQ(entry->stack_pointer, 0x7c00u);  // grows down, below the image
    EXPECT_EQ(bytes_at(0x7c00, 512), image);
}

TEST_F(FlatTest, RealModeStackSitsBelowTheImageInTheSameSegment) {
    auto entry = load_flat(memory(), pattern(16, 2), CpuMode::real, 0x12340);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->instruction_pointer, 0x12340u);
    // With SS = CS = 0x1000, SP = 0x2340 reaches linear 0x12340.
    EXPECT_EQ(entry->stack_pointer, 0x12340u);
}

TEST_F(FlatTest, RealModeImagesMustFitInConventionalMemory) {
    const size_t room = layout::kMpTableAddress - layout::kFlatRealModeLoadAddress;
    EXPECT_TRUE(
        load_flat(memory(), std::vector<uint8_t>(room), CpuMode::real, std::nullopt).has_value());
    expect_error(room + 1, CpuMode::real, std::nullopt, "does not fit below 0x9fc00");
    expect_error(16, CpuMode::real, 0x100000, "--mode long");
    expect_error(16, CpuMode::real, UINT64_MAX, "does not fit");
}

TEST_F(FlatTest, LongModeLoadsAtOneMebibyte) {
    auto image = pattern(0x3000, 3);
    auto entry = load_flat(memory(), image, CpuMode::long64, std::nullopt);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->mode, CpuMode::long64);
    EXPECT_EQ(entry->instruction_pointer, 0x100000u);
    EXPECT_EQ(entry->stack_pointer, layout::kBootStackPointer);
    EXPECT_EQ(bytes_at(0x100000, image.size()), image);
}

TEST_F(FlatTest, ProtectedModeAtAChosenAddress) {
    auto entry = load_flat(memory(), pattern(64, 4), CpuMode::protected32, 0x200000);
    ASSERT_TRUE(entry.has_value()) << entry.error().to_string();
    EXPECT_EQ(entry->mode, CpuMode::protected32);
    EXPECT_EQ(entry->instruction_pointer, 0x200000u);
    // Low RAM above the boot structures is fine too.
    EXPECT_TRUE(load_flat(memory(), pattern(64, 4), CpuMode::protected32, 0x10000).has_value());
}

TEST_F(FlatTest, LongModeImagesMustBeInRamAndClearOfTheBootStructures) {
    expect_error(2 * layout::kMiB, CpuMode::long64, 63 * layout::kMiB,
                 "at least 65 MiB with --memory");
    expect_error(16, CpuMode::long64, 0x8000, "overlaps the boot GDT, stack and page tables");
    expect_error(16, CpuMode::long64, 0xb8000, "not in guest RAM");
    expect_error(16, CpuMode::long64, 0xffff'ffff'ffff'0000, "below 4 GiB");
    expect_error(16, CpuMode::protected32, layout::kMmioHoleStart, "not in guest RAM");
}

TEST_F(FlatTest, LongModeImagesStayBelowFourGibibytes) {
    auto large = GuestMemory::create(5 * layout::kGiB);
    ASSERT_TRUE(large.has_value()) << large.error().to_string();
    auto entry = load_flat(*large, pattern(16, 5), CpuMode::long64, layout::kHighRamStart);
    ASSERT_FALSE(entry.has_value());
    EXPECT_NE(entry.error().to_string().find("4 GiB"), std::string::npos)
        << entry.error().to_string();
}

TEST_F(FlatTest, RejectsAnEmptyImage) {
    expect_error(0, CpuMode::long64, std::nullopt, "empty");
}

// Random sizes, addresses and modes: an error or an entry at the image, never a crash.
TEST_F(FlatTest, SurvivesRandomPlacements) {
    testing::Mutator random(4242);
    static constexpr uint64_t kAddresses[] = {0,
                                              0x500,
                                              0x7c00,
                                              0x9fc00,
                                              0xa0000,
                                              0x100000,
                                              63 * layout::kMiB,
                                              64 * layout::kMiB,
                                              layout::kMmioHoleStart,
                                              UINT64_MAX - 4};
    static constexpr CpuMode kModes[] = {CpuMode::real, CpuMode::protected32, CpuMode::long64};
    int loaded = 0;
    for (int round = 0; round < 2000; ++round) {
        std::vector<uint8_t> image =
            random.random_bytes(random.below(2) ? random.below(64) : random.below(0x20000));
        uint64_t address =
            kAddresses[random.below(std::size(kAddresses))] + random.below(0x1000) - 0x800;
        std::optional<uint64_t> chosen =
            random.below(4) == 0 ? std::nullopt : std::optional<uint64_t>(address);
        CpuMode mode = kModes[random.below(std::size(kModes))];
        auto entry = load_flat(memory(), image, mode, chosen);
        if (!entry.has_value())
            continue;
        ++loaded;
        EXPECT_EQ(bytes_at(entry->instruction_pointer, image.size()), image);
        if (mode == CpuMode::real) {
            EXPECT_EQ(entry->stack_pointer >> 16, entry->instruction_pointer >> 16);
        }
    }
    EXPECT_GT(loaded, 100);
}

}  // namespace
}  // namespace twinbox
