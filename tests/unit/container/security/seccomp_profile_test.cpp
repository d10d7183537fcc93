// Docker-format seccomp profile files (--security-opt seccomp=FILE) read by
// the strict reader: a field of the wrong type or a missing required key is
// one error naming the file and the JSON path, never a silent default.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "container/security/seccomp.h"

namespace twinbox::container {
namespace {

class SeccompProfileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-seccomp-profile-XXXXXX";
        int fd = ::mkstemp(pattern);
        ASSERT_GE(fd, 0);
        ::close(fd);
        m_path = pattern;
    }
    void TearDown() override { std::remove(m_path.c_str()); }
    Result<oci::Seccomp> load(const std::string& text) {
        std::ofstream(m_path, std::ios::trunc) << text;
        return load_seccomp_profile(m_path);
    }
    std::string m_path;
};

TEST_F(SeccompProfileTest, ReadsDockerProfiles) {
    auto profile = load(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "archMap": [], "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"name": "personality", "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]})");
    ASSERT_TRUE(profile) << profile.error().to_string();
    EXPECT_EQ(profile->default_action, "SCMP_ACT_ERRNO");
    EXPECT_EQ(profile->default_errno_ret, 1u);
    ASSERT_EQ(profile->syscalls.size(), 2u);
    EXPECT_EQ(profile->syscalls[1].names, std::vector<std::string>{"personality"});
    EXPECT_EQ(profile->syscalls[1].args.at(0).value, 8u);
}

TEST_F(SeccompProfileTest, BadFieldsNameTheFileAndThePath) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"defaultAction": )", "not valid JSON"},
        {"[]", "top level: must be an object"},
        {"{}", "defaultAction: required"},
        {R"({"defaultAction": 1})", "defaultAction: must be a string"},
        {R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": -1})",
         "defaultErrnoRet: must be an integer"},
        {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})", "syscalls: must be an array"},
        {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]})",
         "syscalls[0].action: required"},
        {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read",
             "action": "SCMP_ACT_ALLOW"}]})",
         "syscalls[0].names: must be an array"},
        {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
             "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]})",
         "syscalls[0].args[0].value: required"},
    };
    for (const auto& [text, expected] : cases) {
        auto profile = load(text);
        ASSERT_FALSE(profile) << text;
        std::string message = profile.error().to_string();
        EXPECT_NE(message.find("seccomp profile " + m_path), std::string::npos) << message;
        EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
}

}  // namespace
}  // namespace twinbox::container
