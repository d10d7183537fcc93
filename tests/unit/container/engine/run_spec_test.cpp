// Docker's run flags -> OCI spec (container/engine/run_spec).
#include "container/engine/run_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "container/security/process_limits.h"

namespace twinbox::container {
namespace {

Result<oci::Spec> build(const RunFlags& flags) {
    return spec_from_run_flags(flags, "0123456789abcdef", "/tmp");
}

bool has_namespace(const oci::Spec& spec, oci::NamespaceType type) {
    return std::any_of(spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
                       [&](const oci::Namespace& ns) { return ns.type == type; });
}

TEST(RunSpec, DefaultsLikeDockerRun) {
    auto spec = build({});
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->process->args, std::vector<std::string>{"sh"});
    EXPECT_FALSE(spec->process->terminal);
    EXPECT_FALSE(spec->root.readonly);
    EXPECT_FALSE(spec->process->no_new_privileges);
    EXPECT_EQ(spec->hostname, "0123456789ab");
    EXPECT_EQ(spec->linux.cgroups_path, "/twinbox/0123456789abcdef");
    EXPECT_TRUE(spec->linux.seccomp.has_value());
    EXPECT_TRUE(has_namespace(*spec, oci::NamespaceType::Network));
    EXPECT_EQ(spec->process->capabilities->bounding.size(), 14u);
}

TEST(RunSpec, ProcessFlags) {
    RunFlags flags;
    flags.command = {"echo", "hi"};
    flags.tty = true;
    flags.env = {"A=1", "PATH=/bin"};
    flags.workdir = "/work";
    flags.user = "1000:1001";
    flags.hostname = "box";
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->process->args, flags.command);
    EXPECT_TRUE(spec->process->terminal);
    EXPECT_THAT(spec->process->env, ::testing::Contains("A=1"));
    EXPECT_THAT(spec->process->env, ::testing::Contains("PATH=/bin"));
    EXPECT_THAT(spec->process->env, ::testing::Contains("TERM=xterm"));
    EXPECT_EQ(std::count_if(spec->process->env.begin(), spec->process->env.end(),
                            [](const std::string& e) { return e.starts_with("PATH="); }),
              1);
    EXPECT_EQ(spec->process->cwd, "/work");
    EXPECT_EQ(spec->process->user.uid, 1000u);
    EXPECT_EQ(spec->process->user.gid, 1001u);
    EXPECT_EQ(spec->hostname, "box");
}

TEST(RunSpec, Resources) {
    RunFlags flags;
    flags.memory = "64m";
    flags.cpus = 0.5;
    flags.cpu_shares = 512;
    flags.pids_limit = 32;
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    const auto& resources = *spec->linux.resources;
    EXPECT_EQ(*resources.memory->limit, 64 << 20);
    EXPECT_EQ(*resources.memory->swap, 128 << 20);  // Docker: as much swap as memory
    EXPECT_EQ(*resources.cpu->quota, 50000);
    EXPECT_EQ(*resources.cpu->period, 100000u);
    EXPECT_EQ(*resources.cpu->shares, 512u);
    EXPECT_EQ(resources.pids->limit, 32);
    flags.memory_swap = "-1";
    EXPECT_EQ(*build(flags)->linux.resources->memory->swap, -1);
}

TEST(RunSpec, BadResourceFlags) {
    RunFlags flags;
    flags.memory = "100k";
    EXPECT_NE(build(flags).error().to_string().find("minimum"), std::string::npos);
    flags.memory = "lots";
    EXPECT_FALSE(build(flags));
    flags.memory = "";
    flags.memory_swap = "1g";
    EXPECT_FALSE(build(flags));
    flags.memory_swap = "";
    flags.cpus = 0;
    EXPECT_FALSE(build(flags));
}

TEST(RunSpec, VolumesAndTmpfs) {
    RunFlags flags;
    flags.volumes = {"/tmp:/data:ro"};
    flags.tmpfs = {"/scratch:size=1m"};
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    const auto& volume = spec->mounts[spec->mounts.size() - 2];
    EXPECT_EQ(volume.destination, "/data");
    EXPECT_EQ(volume.source, "/tmp");
    EXPECT_THAT(volume.options, ::testing::Contains("ro"));
    EXPECT_THAT(volume.options, ::testing::Contains("rbind"));
    const auto& tmpfs = spec->mounts.back();
    EXPECT_EQ(tmpfs.type, "tmpfs");
    EXPECT_THAT(tmpfs.options, ::testing::Contains("size=1m"));
    for (const char* bad :
         {"/tmp", "relative:/data", "/tmp:relative", "/nonexistent-host-dir:/d", "/tmp:/d:rx"}) {
        RunFlags wrong;
        wrong.volumes = {bad};
        EXPECT_FALSE(build(wrong)) << bad;
    }
}

TEST(RunSpec, SecurityFlags) {
    RunFlags flags;
    flags.cap_drop = {"MKNOD"};
    flags.security_opt = {"seccomp=unconfined", "no-new-privileges"};
    flags.read_only = true;
    flags.ulimits = {"nofile=100:200"};
    flags.oom_score_adj = 500;
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    EXPECT_THAT(spec->process->capabilities->bounding,
                ::testing::Not(::testing::Contains("CAP_MKNOD")));
    EXPECT_FALSE(spec->linux.seccomp.has_value());
    EXPECT_TRUE(spec->process->no_new_privileges);
    EXPECT_TRUE(spec->root.readonly);
    auto nofile = std::find_if(spec->process->rlimits.begin(), spec->process->rlimits.end(),
                               [](const oci::Rlimit& r) { return r.type == "RLIMIT_NOFILE"; });
    ASSERT_NE(nofile, spec->process->rlimits.end());
    EXPECT_EQ(nofile->soft, 100u);
    EXPECT_EQ(nofile->hard, 200u);
    EXPECT_EQ(*spec->process->oom_score_adj, 500);
    flags.security_opt = {"apparmor=x", "selinux-ish"};
    EXPECT_FALSE(build(flags));
}

TEST(RunSpec, PrivilegedOpensEverything) {
    RunFlags flags;
    flags.privileged = true;
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    EXPECT_FALSE(spec->linux.seccomp.has_value());
    EXPECT_TRUE(spec->linux.masked_paths.empty());
    EXPECT_GT(spec->process->capabilities->bounding.size(), 14u);
    EXPECT_TRUE(spec->linux.resources->devices.at(0).allow);
}

TEST(RunSpec, Network) {
    RunFlags flags;
    flags.network = "host";
    EXPECT_FALSE(has_namespace(*build(flags), oci::NamespaceType::Network));
    flags.network = "bridge";  // a bridge network: its own namespace (tests/unit/network/)
    EXPECT_TRUE(has_namespace(*build(flags), oci::NamespaceType::Network));
    flags.network = "not/a/name";
    EXPECT_FALSE(build(flags));
}

TEST(Ulimits, DockerSyntax) {
    auto limit = parse_ulimit("nproc=64");
    ASSERT_TRUE(limit);
    EXPECT_EQ(limit->type, "RLIMIT_NPROC");
    EXPECT_EQ(limit->soft, 64u);
    EXPECT_EQ(limit->hard, 64u);
    EXPECT_EQ(parse_ulimit("core=unlimited")->hard, RLIM_INFINITY);
    for (const char* bad : {"nofile", "bogus=1", "nofile=2:1", "nofile=x", "nofile="})
        EXPECT_FALSE(parse_ulimit(bad)) << bad;
    EXPECT_EQ(*parse_rlimit_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
}

// docs/security.md: values that used to be accepted silently are refused with the flag named.
TEST(RunSpec, CpusOutsideDockersRangeAreRefused) {
    for (double cpus :
         {std::nan(""), std::numeric_limits<double>::infinity(), 1e300, 1000.0, 0.001, -1.0}) {
        RunFlags flags;
        flags.cpus = cpus;
        auto spec = build(flags);
        ASSERT_FALSE(spec) << cpus;
        EXPECT_THAT(spec.error().to_string(), testing::StartsWith("--cpus "));
        EXPECT_THAT(spec.error().to_string(), testing::HasSubstr("must be from 0.01 to"));
    }
    RunFlags flags;
    flags.cpus = 0.01;
    EXPECT_TRUE(build(flags));
}

TEST(RunSpec, CpuSharesOutsideTheKernelsRangeAreRefused) {
    for (int64_t shares : {int64_t{-1}, int64_t{1}, int64_t{262145}}) {
        RunFlags flags;
        flags.cpu_shares = shares;
        auto spec = build(flags);
        ASSERT_FALSE(spec) << shares;
        EXPECT_THAT(spec.error().to_string(), testing::StartsWith("--cpu-shares "));
    }
    RunFlags flags;
    flags.cpu_shares = 0;  // Docker: the default
    auto spec = build(flags);
    ASSERT_TRUE(spec);
    EXPECT_FALSE(spec->linux.resources->cpu->shares);
}

TEST(RunSpec, PidsLimitZeroAndMinusOneAreUnlimitedOtherNegativesRefused) {
    RunFlags flags;
    flags.pids_limit = -5;
    auto spec = build(flags);
    ASSERT_FALSE(spec);
    EXPECT_THAT(spec.error().to_string(), testing::StartsWith("--pids-limit -5"));
    for (int64_t unlimited : {int64_t{0}, int64_t{-1}}) {
        flags.pids_limit = unlimited;
        spec = build(flags);
        ASSERT_TRUE(spec);
        EXPECT_LE(spec->linux.resources->pids->limit, 0);  // written as "max"
    }
}

TEST(RunSpec, HostnamesFollowRfc1123) {
    for (const char* bad : {"-box", "box-", "a..b", "has space", "under_score", "a/b", ".", "x.",
                            "01234567890123456789012345678901234567890123456789012345678901234"}) {
        RunFlags flags;
        flags.hostname = bad;
        auto spec = build(flags);
        ASSERT_FALSE(spec) << bad;
        EXPECT_THAT(spec.error().to_string(), testing::StartsWith("--hostname "));
    }
    for (const char* good : {"box", "web-1", "a.b.c", "0box"}) {
        RunFlags flags;
        flags.hostname = good;
        EXPECT_TRUE(build(flags)) << good;
    }
}

TEST(RunSpec, WorkloadCapabilitiesHaveNoInheritableSet) {
    auto spec = build({});
    ASSERT_TRUE(spec);
    EXPECT_TRUE(spec->process->capabilities->inheritable.empty());
    EXPECT_TRUE(spec->process->capabilities->ambient.empty());
}

}  // namespace
}  // namespace twinbox::container
