#include "vmm/devices/boot_timer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

using namespace std::chrono_literals;

class BootTimerTest : public ::testing::Test {
protected:
    std::chrono::steady_clock::time_point start{};
    std::chrono::steady_clock::time_point now = start;
    std::vector<std::string> lines;
    BootTimer timer{start, [this](std::string_view line) { lines.emplace_back(line); },
                    [this] { return now; }};
};

TEST_F(BootTimerTest, RecordsTheMagicWrite) {
    EXPECT_FALSE(timer.elapsed().has_value());
    now = start + 1234ms;
    test::write_byte(timer, 0, 123);
    ASSERT_TRUE(timer.elapsed().has_value());
    EXPECT_EQ(*timer.elapsed(), 1234ms);
    EXPECT_EQ(lines,
              (std::vector<std::string>{"guest boot marker: 1234 ms since twinbox started"}));
}

TEST_F(BootTimerTest, IgnoresOtherWrites) {
    now = start + 5ms;
    test::write_byte(timer, 0, 122);
    test::write_byte(timer, 1, 123);  // wrong offset
    const uint8_t wide[4] = {123, 0, 0, 0};
    timer.write(0, wide);  // wrong width
    EXPECT_FALSE(timer.elapsed().has_value());
    EXPECT_TRUE(lines.empty());
    EXPECT_EQ(test::read_byte(timer, 0), 0);
}

TEST_F(BootTimerTest, LaterMarkersReplaceEarlierOnes) {
    now = start + 10ms;
    test::write_byte(timer, 0, 123);
    now = start + 25ms;
    test::write_byte(timer, 0, 123);
    EXPECT_EQ(*timer.elapsed(), 25ms);
    EXPECT_EQ(lines.size(), 2u);
}

}  // namespace
}  // namespace twinbox
