#include "vmm/memory/guest_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"

namespace twinbox {
namespace {

TEST(GuestMemory, SmallGuestHasOneRegion) {
    auto memory = GuestMemory::create(64 * layout::kMiB);
    ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
    ASSERT_EQ(memory->regions().size(), 1u);
    EXPECT_EQ(memory->regions()[0].guest_address, 0u);
    EXPECT_EQ(memory->regions()[0].size, 64 * layout::kMiB);
}

TEST(GuestMemory, LargeGuestIsSplitAroundTheMmioHole) {
    auto memory = GuestMemory::create(4 * layout::kGiB);
    ASSERT_TRUE(memory.has_value()) << memory.error().to_string();
    ASSERT_EQ(memory->regions().size(), 2u);
    EXPECT_EQ(memory->regions()[0].size, layout::kMmioHoleStart);
    EXPECT_EQ(memory->regions()[1].guest_address, layout::kHighRamStart);
    EXPECT_EQ(memory->regions()[1].size, 4 * layout::kGiB - layout::kMmioHoleStart);
    EXPECT_FALSE(memory->contains(layout::kMmioHoleStart, 1));
    EXPECT_TRUE(memory->contains(layout::kHighRamStart, 4096));
}

TEST(GuestMemory, TooSmallIsAnError) {
    auto memory = GuestMemory::create(4096);
    ASSERT_FALSE(memory.has_value());
    EXPECT_NE(memory.error().to_string().find("--memory"), std::string::npos);
}

TEST(GuestMemory, RejectsRangesOutsideRamWithoutOverflow) {
    auto memory = GuestMemory::create(16 * layout::kMiB);
    ASSERT_TRUE(memory.has_value());
    const uint64_t end = 16 * layout::kMiB;
    EXPECT_TRUE(memory->slice(end - 8, 8).has_value());
    EXPECT_FALSE(memory->slice(end - 8, 9).has_value());
    EXPECT_FALSE(memory->slice(end, 1).has_value());
    EXPECT_TRUE(memory->slice(end, 0).has_value());  // an empty range at the end is fine
    EXPECT_FALSE(memory->slice(8, std::numeric_limits<uint64_t>::max()).has_value());
    EXPECT_FALSE(memory->slice(std::numeric_limits<uint64_t>::max(), 2).has_value());
}

TEST(GuestMemory, ReadWriteRoundTrip) {
    auto memory = GuestMemory::create(4 * layout::kMiB);
    ASSERT_TRUE(memory.has_value());
    ASSERT_TRUE(memory->write_object<uint64_t>(0x1000, 0x1122334455667788ull).has_value());
    auto value = memory->read_object<uint64_t>(0x1000);
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(*value, 0x1122334455667788ull);
    EXPECT_FALSE(memory->write_object<uint64_t>(4 * layout::kMiB - 4, 1).has_value());
}

TEST(E820, DescribesRamAndHoles) {
    auto memory = GuestMemory::create(5 * layout::kGiB);
    ASSERT_TRUE(memory.has_value());
    auto map = build_e820_map(*memory);
    uint64_t ram = 0;
    for (const auto& entry : map)
        if (entry.type == E820Type::ram)
            ram += entry.size;
    // Everything but the EBDA..1 MiB window is RAM.
    EXPECT_EQ(ram, 5 * layout::kGiB - (layout::kHighMemoryStart - layout::kMpTableAddress));
    EXPECT_EQ(map.back().address, layout::kHighRamStart);
}

}  // namespace
}  // namespace twinbox
