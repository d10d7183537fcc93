// container/oci/default_seccomp: the profile is valid config.json material,
// every name means something to libseccomp, the dangerous calls are not
// allowed, capabilities open what Docker opens, and a filter built from it
// really blocks and allows what it says (tried in a forked child: installing
// a filter needs no privilege once no_new_privs is set).
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "container/oci/default_seccomp.h"
#include "container/oci/spec.h"

namespace twinbox::oci {
namespace {

bool allows(const Seccomp& profile, const std::string& name) {
    return std::any_of(profile.syscalls.begin(), profile.syscalls.end(), [&](const auto& rule) {
        return rule.action == "SCMP_ACT_ALLOW" &&
               std::find(rule.names.begin(), rule.names.end(), name) != rule.names.end();
    });
}

TEST(OciDefaultSeccomp, IsValidInAConfig) {
    Spec spec = default_spec();
    spec.linux.seccomp = default_seccomp_profile();
    auto parsed = parse_spec(to_json(spec));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(parsed->linux.seccomp->default_action, "SCMP_ACT_ERRNO");
    EXPECT_EQ(parsed->linux.seccomp->default_errno_ret, static_cast<unsigned>(EPERM));
}

TEST(OciDefaultSeccomp, EveryNameIsKnownToLibseccomp) {
    auto check = [](const Seccomp& profile) {
        for (const auto& rule : profile.syscalls)
            for (const auto& name : rule.names)
                EXPECT_NE(seccomp_syscall_resolve_name(name.c_str()), __NR_SCMP_ERROR) << name;
    };
    check(default_seccomp_profile());
    check(default_seccomp_profile({"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_BPF",
                                   "CAP_PERFMON", "CAP_SYS_TIME", "CAP_SYS_NICE"}));
}

TEST(OciDefaultSeccomp, DangerousCallsAreNotAllowed) {
    Seccomp profile = default_seccomp_profile();
    for (const char* name : {"keyctl",
                             "add_key",
                             "request_key",
                             "mount",
                             "umount2",
                             "pivot_root",
                             "ptrace",
                             "kexec_load",
                             "kexec_file_load",
                             "bpf",
                             "unshare",
                             "setns",
                             "reboot",
                             "swapon",
                             "swapoff",
                             "init_module",
                             "finit_module",
                             "delete_module",
                             "open_by_handle_at",
                             "perf_event_open",
                             "userfaultfd",
                             "io_uring_setup",
                             "fsopen",
                             "move_mount",
                             "acct",
                             "clone3",
                             "iopl",
                             "syslog",
                             "settimeofday",
                             "process_vm_readv"})
        EXPECT_FALSE(allows(profile, name)) << name;
    for (const char* name : {"read", "execve", "openat", "clone", "socket", "chroot", "futex"})
        EXPECT_TRUE(allows(profile, name)) << name;
}

TEST(OciDefaultSeccomp, CapabilitiesOpenTheirCalls) {
    Seccomp plain = default_seccomp_profile({});
    EXPECT_FALSE(allows(plain, "chroot"));
    EXPECT_FALSE(allows(plain, "ptrace"));
    Seccomp ptrace = default_seccomp_profile({"CAP_SYS_PTRACE"});
    EXPECT_TRUE(allows(ptrace, "ptrace"));
    EXPECT_TRUE(allows(ptrace, "process_vm_readv"));
    Seccomp admin = default_seccomp_profile({"CAP_SYS_ADMIN"});
    EXPECT_TRUE(allows(admin, "mount"));
    EXPECT_TRUE(allows(admin, "unshare"));
    // With CAP_SYS_ADMIN clone is allowed outright, and clone3 no longer fails with ENOSYS.
    EXPECT_TRUE(std::none_of(admin.syscalls.begin(), admin.syscalls.end(),
                             [](const auto& rule) { return rule.action == "SCMP_ACT_ERRNO"; }));
}

// A small applier, enough to check the profile's meaning; the runtime's own
// lives in container/security.
scmp_filter_ctx build_filter(const Seccomp& profile) {
    scmp_filter_ctx context = seccomp_init(SCMP_ACT_ERRNO(*profile.default_errno_ret));
    for (const auto& architecture : profile.architectures) {
        uint32_t token = architecture == "SCMP_ARCH_X86"   ? SCMP_ARCH_X86
                         : architecture == "SCMP_ARCH_X32" ? SCMP_ARCH_X32
                                                           : SCMP_ARCH_X86_64;
        if (token != seccomp_arch_native())
            seccomp_arch_add(context, token);
    }
    const std::map<std::string, scmp_compare> operators = {
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    for (const auto& rule : profile.syscalls) {
        uint32_t action = rule.action == "SCMP_ACT_ALLOW"
                              ? SCMP_ACT_ALLOW
                              : SCMP_ACT_ERRNO(rule.errno_ret.value_or(EPERM));
        std::vector<scmp_arg_cmp> args;
        for (const auto& arg : rule.args)
            args.push_back({arg.index, operators.at(arg.op), arg.value, arg.value_two});
        for (const auto& name : rule.names) {
            int number = seccomp_syscall_resolve_name(name.c_str());
            if (seccomp_rule_add_array(context, action, number, args.size(), args.data()) != 0)
                ADD_FAILURE() << "cannot add rule for " << name;
        }
    }
    return context;
}

TEST(OciDefaultSeccomp, FilterBlocksAndAllowsInAChild) {
    scmp_filter_ctx context = build_filter(default_seccomp_profile());
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Exit codes say which check failed; never return into gtest.
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(context) != 0)
            _exit(10);
        if (getpid() <= 0)
            _exit(11);
        if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
            _exit(12);
        if (syscall(SYS_unshare, 0) != -1 || errno != EPERM)
            _exit(13);
        if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS)
            _exit(14);
        if (syscall(SYS_socket, 40 /* AF_VSOCK */, 1, 0) != -1 || errno != EPERM)
            _exit(15);
        if (syscall(SYS_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM)
            _exit(16);
        pid_t grandchild = fork();  // clone without namespace flags still works
        if (grandchild == 0)
            _exit(0);
        if (grandchild < 0 || waitpid(grandchild, nullptr, 0) != grandchild)
            _exit(17);
        _exit(0);
    }
    seccomp_release(context);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes in the child";
}

}  // namespace
}  // namespace twinbox::oci
