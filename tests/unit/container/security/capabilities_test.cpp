// Docker's --cap-add/--cap-drop rules (container/security/capabilities).
#include "container/security/capabilities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace twinbox::container {
namespace {

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(Capabilities, NamesAreNormalized) {
    EXPECT_EQ(*normalize_capability("net_admin"), "CAP_NET_ADMIN");
    EXPECT_EQ(*normalize_capability("CAP_CHOWN"), "CAP_CHOWN");
    EXPECT_EQ(*normalize_capability("all"), "ALL");
    EXPECT_FALSE(normalize_capability("CAP_FLY"));
    EXPECT_FALSE(normalize_capability(""));
}

TEST(Capabilities, DockerDefaultsAreFourteen) {
    const auto& defaults = docker_default_capabilities();
    EXPECT_EQ(defaults.size(), 14u);
    EXPECT_TRUE(has(defaults, "CAP_MKNOD"));
    EXPECT_FALSE(has(defaults, "CAP_SYS_ADMIN"));
}

TEST(Capabilities, DropRemovesAndAddAdds) {
    auto result =
        compute_capabilities(docker_default_capabilities(), {"NET_ADMIN"}, {"mknod", "CAP_CHOWN"});
    ASSERT_TRUE(result);
    EXPECT_FALSE(has(*result, "CAP_MKNOD"));
    EXPECT_FALSE(has(*result, "CAP_CHOWN"));
    EXPECT_TRUE(has(*result, "CAP_NET_ADMIN"));
    EXPECT_EQ(result->size(), 13u);
    EXPECT_TRUE(std::is_sorted(result->begin(), result->end()));
}

TEST(Capabilities, DropAllThenAdd) {
    auto result = compute_capabilities(docker_default_capabilities(), {"KILL"}, {"ALL"});
    ASSERT_TRUE(result);
    EXPECT_THAT(*result, ::testing::ElementsAre("CAP_KILL"));
}

TEST(Capabilities, AddAllGivesWhatTheRuntimeHas) {
    auto result = compute_capabilities({}, {"ALL"}, {"SYS_ADMIN"});
    ASSERT_TRUE(result);
    EXPECT_FALSE(has(*result, "CAP_SYS_ADMIN"));
    EXPECT_LE(result->size(), all_capabilities().size());
}

TEST(Capabilities, UnknownNamesAreErrorsNamingTheFlag) {
    auto result = compute_capabilities(docker_default_capabilities(), {"TELEPORT"}, {});
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().to_string().find("--cap-add"), std::string::npos);
    EXPECT_NE(result.error().to_string().find("CAP_TELEPORT"), std::string::npos);
}

TEST(Capabilities, SameListInBoundingEffectivePermitted) {
    auto capabilities = capabilities_for({"CAP_KILL"});
    EXPECT_EQ(capabilities.bounding, capabilities.effective);
    EXPECT_EQ(capabilities.bounding, capabilities.permitted);
}

// CVE-2022-24769: an inheritable set equal to the bounding set lets a uid
// 1000 process gain CAP_DAC_OVERRIDE by executing a "cap_dac_override=ei" file.
TEST(Capabilities, InheritableAndAmbientAreEmptyByDefault) {
    auto capabilities = capabilities_for(docker_default_capabilities());
    EXPECT_TRUE(capabilities.inheritable.empty());
    EXPECT_TRUE(capabilities.ambient.empty());
}

}  // namespace
}  // namespace twinbox::container
