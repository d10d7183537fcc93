#include "common/size.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

TEST(ParseSize, AcceptsQemuAndDockerSpellings) {
    EXPECT_EQ(*parse_size("512"), 512ull << 20);
    EXPECT_EQ(*parse_size("512M"), 512ull << 20);
    EXPECT_EQ(*parse_size("2G"), 2ull << 30);
    EXPECT_EQ(*parse_size("2GiB"), 2ull << 30);
    EXPECT_EQ(*parse_size("64k"), 64ull << 10);
    EXPECT_EQ(*parse_size("1.5G"), 3ull << 29);
}

TEST(ParseSize, RejectsNonsense) {
    for (const char* text : {"", "M", "12X", "-5", "1e999", "99999999999999999999T", "1..2"})
        EXPECT_FALSE(parse_size(text).has_value()) << text;
}

}  // namespace
}  // namespace twinbox
