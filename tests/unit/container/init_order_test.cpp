// The order in which the container's first process becomes the workload,
// recorded through the Syscalls seam (container/sys/syscalls.h) instead of
// run: namespaces first; then working directory, no_new_privs, seccomp
// (before the capabilities go when there is no no_new_privs, else last), the
// bounding set, the user with capabilities kept, the capability sets, and
// execve. The reference is runc: linuxStandardInit.Init in
// libcontainer/standard_init_linux.go and finalizeNamespace in
// libcontainer/init_linux.go. A step out of order either fails (seccomp
// after the capabilities are gone needs CAP_SYS_ADMIN) or weakens the
// container (a bounding set dropped after setresuid can no longer be).
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>

#include "container/runtime/init_process.h"
#include "recording_syscalls.h"

namespace twinbox::container {
namespace {

using testing::RecordingSyscalls;

oci::Process workload(bool no_new_privileges) {
    oci::Process process;
    process.args = {"/bin/sh", "-c", "true"};  // looked up on the host: it must exist
    process.cwd = "/";
    process.no_new_privileges = no_new_privileges;
    process.user.uid = 1000;
    process.user.gid = 1001;
    process.user.additional_gids = {10, 20};
    oci::Capabilities capabilities;
    capabilities.bounding = {"CAP_CHOWN", "CAP_KILL"};
    capabilities.effective = capabilities.permitted = {"CAP_KILL"};
    process.capabilities = capabilities;
    return process;
}

SeccompProgram one_instruction_filter() {
    SeccompProgram program;
    program.instructions.push_back(sock_filter{0x06, 0, 0, 0x7fff0000});  // RET ALLOW
    return program;
}

// The calls, with the run of PR_CAPBSET_DROPs (one per capability the kernel
// knows) folded into one line.
std::vector<std::string> folded(const std::vector<std::string>& calls) {
    std::vector<std::string> out;
    for (const auto& call : calls) {
        if (call.starts_with("prctl(PR_CAPBSET_DROP")) {
            if (out.empty() || out.back() != "prctl(PR_CAPBSET_DROP...)")
                out.push_back("prctl(PR_CAPBSET_DROP...)");
            continue;
        }
        out.push_back(call);
    }
    return out;
}

std::vector<std::string> run_steps(RecordingSyscalls& sys, const oci::Process& process,
                                   const SeccompProgram& seccomp) {
    auto prepared = prepare_process_steps(sys, &seccomp, process, -1);
    EXPECT_TRUE(prepared) << prepared.error().to_string();
    sys.calls.push_back("-- ready; start --");
    auto executed = exec_program_steps(sys, &seccomp, process, false, -1);
    EXPECT_TRUE(executed) << executed.error().to_string();  // the fake's execve "returns"
    return folded(sys.calls);
}

TEST(InitOrder, WithNoNewPrivsSeccompComesLast) {
    RecordingSyscalls sys;
    auto seccomp = one_instruction_filter();
    std::vector<std::string> expected = {
        "chdir(/)",
        "prctl(PR_SET_NO_NEW_PRIVS, 1, 0)",
        "prctl(PR_CAPBSET_DROP...)",
        "prctl(PR_SET_KEEPCAPS, 1, 0)",
        "setgroups(10 20)",
        "setresgid(1001)",
        "setresuid(1000)",
        "capset(effective 5, permitted 5, inheritable )",
        "prctl(PR_CAP_AMBIENT, 4, 0)",  // PR_CAP_AMBIENT_CLEAR_ALL
        "-- ready; start --",
        "seccomp(1 instructions)",
        "execve(/bin/sh, /bin/sh -c true)",
    };
    EXPECT_EQ(run_steps(sys, workload(true), seccomp), expected);
}

TEST(InitOrder, WithoutNoNewPrivsSeccompComesBeforeTheCapabilitiesGo) {
    RecordingSyscalls sys;
    auto seccomp = one_instruction_filter();
    std::vector<std::string> expected = {
        "chdir(/)",
        "seccomp(1 instructions)",
        "prctl(PR_CAPBSET_DROP...)",
        "prctl(PR_SET_KEEPCAPS, 1, 0)",
        "setgroups(10 20)",
        "setresgid(1001)",
        "setresuid(1000)",
        "capset(effective 5, permitted 5, inheritable )",
        "prctl(PR_CAP_AMBIENT, 4, 0)",
        "-- ready; start --",
        "execve(/bin/sh, /bin/sh -c true)",
    };
    EXPECT_EQ(run_steps(sys, workload(false), seccomp), expected);
}

TEST(InitOrder, TheBoundingSetKeepsWhatTheSpecBounds) {
    RecordingSyscalls sys;
    auto seccomp = one_instruction_filter();
    run_steps(sys, workload(true), seccomp);
    auto dropped = sys.matching("prctl(PR_CAPBSET_DROP, ");
    EXPECT_GT(dropped.size(), 30u);  // every capability the kernel knows but two
    for (const auto& kept : {"prctl(PR_CAPBSET_DROP, 0, 0)", "prctl(PR_CAPBSET_DROP, 5, 0)"})
        EXPECT_EQ(std::find(dropped.begin(), dropped.end(), kept), dropped.end()) << kept;
    EXPECT_NE(std::find(dropped.begin(), dropped.end(), "prctl(PR_CAPBSET_DROP, 21, 0)"),
              dropped.end());  // CAP_SYS_ADMIN goes
}

TEST(InitOrder, AFailedStepStopsTheSequence) {
    RecordingSyscalls sys;
    sys.failures["setresuid"] = EPERM;
    auto prepared = prepare_process_steps(sys, nullptr, workload(true), -1);
    ASSERT_FALSE(prepared);
    EXPECT_NE(prepared.error().to_string().find("setresuid"), std::string::npos);
    EXPECT_EQ(sys.calls.back(), "setresuid(1000)");
    EXPECT_TRUE(sys.matching("capset").empty());  // never with the old user's privileges
}

TEST(InitOrder, AMissingProgramIs127BeforeAnyPrivilegeChanges) {
    RecordingSyscalls sys;
    auto process = workload(true);
    process.args = {"/no/such/program"};
    auto prepared = prepare_process_steps(sys, nullptr, process, -1);
    ASSERT_FALSE(prepared);
    EXPECT_EQ(prepared.error().exit_status(), 127);
    EXPECT_EQ(sys.calls, std::vector<std::string>{"chdir(/)"});
}

TEST(InitOrder, NamespacesComeFirst) {
    RecordingSyscalls sys;
    oci::Linux linux_spec;
    linux_spec.namespaces = {{oci::NamespaceType::User, ""}, {oci::NamespaceType::Cgroup, ""}};
    ASSERT_TRUE(enter_namespaces(sys, linux_spec));
    std::vector<std::string> expected = {fmt::format("unshare({:#x})", CLONE_NEWCGROUP),
                                         "setresgid(0)", "setresuid(0)"};
    EXPECT_EQ(sys.calls, expected);

    RecordingSyscalls unmapped;
    unmapped.failures["setresgid"] = EINVAL;
    auto entered = enter_namespaces(unmapped, linux_spec);
    ASSERT_FALSE(entered);
    EXPECT_NE(entered.error().to_string().find("uidMappings"), std::string::npos);
}

}  // namespace
}  // namespace twinbox::container
