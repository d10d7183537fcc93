// Resource ids: EC2's format, and no repeats.
#include "cloud/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace twinbox::cloud {

TEST(CloudIds, HavePrefixAnd17LowerHexDigits) {
    for (const char* prefix : {"i", "ami", "key", "vpc"}) {
        auto id = new_id(prefix);
        ASSERT_TRUE(id) << id.error().to_string();
        EXPECT_EQ(id->size(), std::string(prefix).size() + 18) << *id;
        EXPECT_TRUE(is_id(*id, prefix)) << *id;
    }
}

TEST(CloudIds, DoNotRepeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) EXPECT_TRUE(seen.insert(*new_id("i")).second);
}

TEST(CloudIds, IsIdRejectsOtherShapes) {
    EXPECT_TRUE(is_id("i-0123456789abcdef0", "i"));
    EXPECT_FALSE(is_id("i-0123456789abcdef", "i"));     // 16 digits
    EXPECT_FALSE(is_id("i-0123456789abcdef01", "i"));   // 18
    EXPECT_FALSE(is_id("i-0123456789ABCDEF0", "i"));    // upper case
    EXPECT_FALSE(is_id("ami-0123456789abcdef0", "i"));  // another kind
    EXPECT_FALSE(is_id("i_0123456789abcdef0", "i"));
    EXPECT_FALSE(is_id("i-0123456789abcdefg", "i"));
}

}  // namespace twinbox::cloud
