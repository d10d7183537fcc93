// Namespace planning (container/namespaces): clone flags and checks.
#include "container/namespaces/namespaces.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace twinbox::container {
namespace {

using oci::NamespaceType;

TEST(NamespacePlan, NewOnesBecomeCloneFlags) {
    std::vector<oci::Namespace> namespaces = {{NamespaceType::Pid, ""},
                                              {NamespaceType::Mount, ""},
                                              {NamespaceType::Network, "/proc/1/ns/net"}};
    EXPECT_EQ(new_namespace_flags(namespaces), static_cast<uint64_t>(CLONE_NEWPID | CLONE_NEWNS));
    EXPECT_TRUE(wants_new_namespace(namespaces, NamespaceType::Pid));
    EXPECT_FALSE(wants_new_namespace(namespaces, NamespaceType::Network));
    EXPECT_FALSE(wants_new_namespace(namespaces, NamespaceType::Uts));
}

TEST(NamespacePlan, Checks) {
    oci::Linux linux;
    linux.namespaces = {{NamespaceType::Pid, ""}, {NamespaceType::Pid, ""}};
    EXPECT_NE(check_namespaces(linux).error().to_string().find("twice"), std::string::npos);
    // Joining an existing pid namespace by path is supported (the runtime
    // joins it for the clone, create.cpp); a missing one is an error.
    linux.namespaces = {{NamespaceType::Pid, "/proc/self/ns/pid"}};
    EXPECT_TRUE(check_namespaces(linux));
    linux.namespaces = {{NamespaceType::Pid, "/nonexistent/pid"}};
    EXPECT_FALSE(check_namespaces(linux));
    linux.namespaces = {{NamespaceType::Network, "/nonexistent/netns"}};
    EXPECT_FALSE(check_namespaces(linux));
    linux.namespaces = {{NamespaceType::User, ""}};
    EXPECT_NE(check_namespaces(linux).error().to_string().find("uidMappings"), std::string::npos);
    linux.uid_mappings = linux.gid_mappings = {{0, 100000, 65536}};
    EXPECT_TRUE(check_namespaces(linux));
}

}  // namespace
}  // namespace twinbox::container
