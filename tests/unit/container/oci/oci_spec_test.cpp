// container/oci: parse_spec, to_json and default_spec against config.json
// text: a full configuration round trip, a real `runc spec` output, one test
// per kind of bad input (each must name its JSON path), and hostile input
// (truncated, mutated, deeply nested) that must give an error, never a crash.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "container/oci/spec.h"

namespace twinbox::oci {
namespace {

using Json = nlohmann::json;

// A configuration that sets nearly every field parse_spec knows.
constexpr const char* kFullConfig = R"({
    "ociVersion": "1.0.2",
    "process": {
        "terminal": false,
        "consoleSize": {"height": 25, "width": 80},
        "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 6]},
        "args": ["/bin/true", "--flag"],
        "env": ["PATH=/bin", "EMPTY="],
        "cwd": "/work",
        "capabilities": {
            "bounding": ["CAP_CHOWN", "CAP_KILL"],
            "effective": ["CAP_KILL"],
            "inheritable": [],
            "permitted": ["CAP_CHOWN", "CAP_KILL"],
            "ambient": ["CAP_KILL"]
        },
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
                    {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}],
        "noNewPrivileges": true,
        "oomScoreAdj": -500,
        "apparmorProfile": "unconfined",
        "selinuxLabel": "system_u:system_r:container_t:s0"
    },
    "root": {"path": "rootfs", "readonly": true},
    "hostname": "box",
    "domainname": "example.test",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/data", "type": "none", "source": "/srv/data", "options": ["rbind", "ro"]}
    ],
    "hooks": {
        "prestart": [{"path": "/usr/bin/setup", "args": ["setup", "-v"], "env": ["A=1"], "timeout": 5}],
        "createRuntime": [{"path": "/bin/hook"}],
        "createContainer": [{"path": "/bin/hook"}],
        "startContainer": [{"path": "/bin/hook"}],
        "poststart": [{"path": "/bin/hook"}],
        "poststop": [{"path": "/bin/hook", "timeout": 1}]
    },
    "annotations": {"org.example.key": "value"},
    "linux": {
        "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/a"},
                       {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
                       {"type": "cgroup"}, {"type": "time"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
        "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                     "fileMode": 438, "uid": 0, "gid": 0},
                    {"path": "/dev/pipe", "type": "p"}],
        "cgroupsPath": "/twinbox/box",
        "resources": {
            "memory": {"limit": 1048576, "reservation": 524288, "swap": 2097152,
                       "swappiness": 10, "disableOOMKiller": false},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1,3", "mems": "0"},
            "pids": {"limit": 64},
            "blockIO": {"weight": 500},
            "devices": [{"allow": false, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
            "unified": {"memory.high": "900000"}
        },
        "seccomp": {
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
            ]
        },
        "sysctl": {"net.ipv4.ip_forward": "1"},
        "maskedPaths": ["/proc/kcore"],
        "readonlyPaths": ["/proc/sys"],
        "rootfsPropagation": "rprivate",
        "mountLabel": "system_u:object_r:container_file_t:s0"
    },
    "someFutureKey": {"ignored": true}
})";

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

TEST(OciSpec, ParsesEveryFieldOfAFullConfig) {
    auto spec = parse_spec(kFullConfig);
    ASSERT_TRUE(spec.has_value()) << spec.error().to_string();
    EXPECT_EQ(spec->oci_version, "1.0.2");
    ASSERT_TRUE(spec->process.has_value());
    const Process& process = *spec->process;
    EXPECT_EQ(process.console_size->width, 80u);
    EXPECT_EQ(process.user.uid, 1000u);
    EXPECT_EQ(process.user.umask, 18u);
    EXPECT_EQ(process.user.additional_gids, (std::vector<gid_t>{5, 6}));
    EXPECT_EQ(process.args, (std::vector<std::string>{"/bin/true", "--flag"}));
    EXPECT_EQ(process.cwd, "/work");
    EXPECT_EQ(process.capabilities->ambient, std::vector<std::string>{"CAP_KILL"});
    ASSERT_EQ(process.rlimits.size(), 2u);
    EXPECT_EQ(process.rlimits[0].hard, 4096u);
    EXPECT_EQ(process.oom_score_adj, -500);
    EXPECT_TRUE(spec->root.readonly);
    EXPECT_EQ(spec->mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));
    EXPECT_EQ(spec->hooks.prestart[0].timeout, 5);
    EXPECT_EQ(spec->hooks.poststop.size(), 1u);
    EXPECT_EQ(spec->annotations.at("org.example.key"), "value");
    const Linux& linux_config = spec->linux;
    ASSERT_EQ(linux_config.namespaces.size(), 8u);
    EXPECT_EQ(linux_config.namespaces[1].type, NamespaceType::Network);
    EXPECT_EQ(linux_config.namespaces[1].path, "/var/run/netns/a");
    EXPECT_EQ(linux_config.uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(linux_config.devices[0].type, 'c');
    EXPECT_EQ(linux_config.devices[0].file_mode, 438u);
    EXPECT_EQ(linux_config.devices[1].type, 'p');
    EXPECT_EQ(linux_config.cgroups_path, "/twinbox/box");
    const Resources& resources = *linux_config.resources;
    EXPECT_EQ(resources.memory->limit, 1048576);
    EXPECT_EQ(resources.cpu->quota, 50000);
    EXPECT_EQ(resources.cpu->cpus, "0-1,3");
    EXPECT_EQ(resources.pids->limit, 64);
    EXPECT_EQ(resources.block_io->weight, 500);
    ASSERT_EQ(resources.devices.size(), 2u);
    EXPECT_EQ(resources.devices[0].type, "a");  // unset means "all"
    EXPECT_EQ(resources.devices[1].minor, 3);
    const Seccomp& seccomp = *linux_config.seccomp;
    EXPECT_EQ(seccomp.default_errno_ret, 1u);
    EXPECT_EQ(seccomp.syscalls[1].args[0].value, 2114060288u);
    EXPECT_EQ(seccomp.syscalls[2].errno_ret, 38u);
    EXPECT_EQ(linux_config.sysctl.at("net.ipv4.ip_forward"), "1");
    EXPECT_EQ(linux_config.rootfs_propagation, "rprivate");
}

TEST(OciSpec, FullConfigRoundTripsThroughToJson) {
    auto first = parse_spec(kFullConfig);
    ASSERT_TRUE(first.has_value()) << first.error().to_string();
    std::string written = to_json(*first);
    auto second = parse_spec(written);
    ASSERT_TRUE(second.has_value()) << second.error().to_string() << "\n" << written;
    EXPECT_EQ(to_json(*second), written);
    // Every key of the input that parse_spec knows comes back out.
    Json in = Json::parse(kFullConfig), out = Json::parse(written);
    in.erase("someFutureKey");
    in["linux"]["seccomp"]["syscalls"][1]["args"][0].erase("valueTwo");  // 0 is the default
    in["process"]["capabilities"].erase("inheritable");                  // empty lists are left out
    EXPECT_EQ(in, out) << "difference: " << Json::diff(in, out).dump();
}

TEST(OciSpec, DefaultSpecValidatesAndRoundTrips) {
    Spec spec = default_spec();
    std::string written = to_json(spec);
    auto parsed = parse_spec(written);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string() << "\n" << written;
    EXPECT_EQ(to_json(*parsed), written);
    EXPECT_EQ(parsed->oci_version, kOciVersion);
    EXPECT_EQ(parsed->root.path, "rootfs");
    EXPECT_TRUE(parsed->root.readonly);
    EXPECT_TRUE(parsed->process->terminal);
    EXPECT_EQ(parsed->process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(parsed->process->cwd, "/");
    EXPECT_TRUE(parsed->process->no_new_privileges);
    EXPECT_EQ(parsed->process->capabilities->bounding.size(), 14u);
    EXPECT_EQ(parsed->process->capabilities->effective.size(), 14u);
    EXPECT_EQ(parsed->process->capabilities->permitted.size(), 14u);
    EXPECT_TRUE(parsed->process->capabilities->ambient.empty());
    EXPECT_TRUE(parsed->process->capabilities->inheritable.empty());
    EXPECT_EQ(parsed->linux.namespaces.size(), 6u);  // all but user and time
    EXPECT_EQ(parsed->mounts.size(), 7u);
}

// tests/unit/container/data/runc-spec.json is what Debian 12's runc 1.1.5
// writes for `runc spec`. default_spec() must describe the same container,
// apart from the documented differences (capabilities, cgroup namespace,
// hostname).
TEST(OciSpec, ParsesRealRuncSpecOutput) {
    auto runc =
        parse_spec(read_file(TWINBOX_SOURCE_DIR "/tests/unit/container/oci/data/runc-spec.json"));
    ASSERT_TRUE(runc.has_value()) << runc.error().to_string();
    EXPECT_EQ(runc->oci_version, "1.0.2-dev");
    EXPECT_EQ(runc->hostname, "runc");
    EXPECT_EQ(runc->process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(runc->process->capabilities->ambient,
              (std::vector<std::string>{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}));
    EXPECT_EQ(runc->linux.namespaces.size(), 5u);

    Spec ours = default_spec();
    EXPECT_EQ(runc->process->env, ours.process->env);
    EXPECT_EQ(runc->process->cwd, ours.process->cwd);
    EXPECT_EQ(runc->process->terminal, ours.process->terminal);
    EXPECT_EQ(runc->process->no_new_privileges, ours.process->no_new_privileges);
    ASSERT_EQ(runc->process->rlimits.size(), 1u);
    EXPECT_EQ(runc->process->rlimits[0].type, ours.process->rlimits[0].type);
    EXPECT_EQ(runc->process->rlimits[0].soft, ours.process->rlimits[0].soft);
    EXPECT_EQ(runc->root.path, ours.root.path);
    EXPECT_EQ(runc->root.readonly, ours.root.readonly);
    ASSERT_EQ(runc->mounts.size(), ours.mounts.size());
    for (size_t i = 0; i < ours.mounts.size(); ++i) {
        EXPECT_EQ(runc->mounts[i].destination, ours.mounts[i].destination);
        EXPECT_EQ(runc->mounts[i].type, ours.mounts[i].type);
        EXPECT_EQ(runc->mounts[i].source, ours.mounts[i].source);
        EXPECT_EQ(runc->mounts[i].options, ours.mounts[i].options);
    }
    for (size_t i = 0; i < runc->linux.namespaces.size(); ++i)
        EXPECT_EQ(runc->linux.namespaces[i].type, ours.linux.namespaces[i].type);
    EXPECT_EQ(runc->linux.masked_paths, ours.linux.masked_paths);
    EXPECT_EQ(runc->linux.readonly_paths, ours.linux.readonly_paths);
    ASSERT_EQ(runc->linux.resources->devices.size(), 1u);
    EXPECT_FALSE(runc->linux.resources->devices[0].allow);
    EXPECT_EQ(runc->linux.resources->devices[0].access, "rwm");
}

TEST(OciSpec, IgnoresUnknownKeysAndTreatsNullAsUnset) {
    auto spec = parse_spec(R"({"ociVersion": "1.1.0", "root": {"path": "/r", "x": 1},
        "hostname": null, "process": {"args": ["a"], "cwd": "/", "env": null, "new": []},
        "linux": {"intelRdt": {}, "personality": {"domain": "LINUX"}}})");
    ASSERT_TRUE(spec.has_value()) << spec.error().to_string();
    EXPECT_TRUE(spec->hostname.empty());
    EXPECT_TRUE(spec->process->env.empty());
}

// Docker writes "blockIO": {"weight": 0} and "cpu": {"shares": 0} for "not
// set" into every config.json (docs/container.md): runc skips both, and so must we.
TEST(OciSpec, DockersZeroWeightAndSharesMeanUnset) {
    auto spec = parse_spec(R"({"ociVersion": "1.0.2", "root": {"path": "/r"},
        "process": {"args": ["a"], "cwd": "/"},
        "linux": {"resources": {"blockIO": {"weight": 0}, "cpu": {"shares": 0, "cpus": "0"}}}})");
    ASSERT_TRUE(spec.has_value()) << spec.error().to_string();
    EXPECT_FALSE(spec->linux.resources->block_io->weight.has_value());
    EXPECT_FALSE(spec->linux.resources->cpu->shares.has_value());
    EXPECT_EQ(spec->linux.resources->cpu->cpus, "0");
}

// hugepageLimits, network and the whole blockIO are read (and so applied
// or refused), never ignored as unknown keys (docs/container.md).
TEST(OciSpec, ReadsHugepagesNetworkAndBlockIo) {
    auto resources = parse_resources(R"({
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
        "blockIO": {"leafWeight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 500}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]}})");
    ASSERT_TRUE(resources.has_value()) << resources.error().to_string();
    ASSERT_EQ(resources->hugepage_limits.size(), 1u);
    EXPECT_EQ(resources->hugepage_limits[0].page_size, "2MB");
    EXPECT_EQ(resources->network->class_id, 1048577u);
    EXPECT_EQ(resources->network->priorities.at(0).first, "eth0");
    EXPECT_EQ(resources->block_io->weight_device.at(0).weight, 500);
    EXPECT_EQ(resources->block_io->throttle_read_bps.at(0).rate, 1048576u);
    auto bad = parse_resources(R"({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().to_string().find("resources.hugepageLimits[0].pageSize"),
              std::string::npos);
    bad = parse_resources(
        R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 5}]}})");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().to_string().find("must be from 10 to 1000"), std::string::npos);
}

TEST(OciSpec, ParsesResourcesAloneForUpdate) {
    auto resources = parse_resources(R"({"memory": {"limit": 67108864, "swap": -1},
        "cpu": {"shares": 512}, "pids": {"limit": 10}, "blockIO": {"weight": 0}})");
    ASSERT_TRUE(resources.has_value()) << resources.error().to_string();
    EXPECT_EQ(resources->memory->limit, 67108864);
    EXPECT_EQ(resources->cpu->shares, 512u);
    EXPECT_EQ(resources->pids->limit, 10);
    auto bad = parse_resources(R"({"memory": {"limit": -5}})");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().to_string().find("resources.memory.limit"), std::string::npos);
    EXPECT_FALSE(parse_resources("{").has_value());
    // What `docker update --memory 64m --memory-swap 128m` sends: zeros mean "leave as is".
    auto docker = parse_resources(R"({"memory": {"limit": 67108864, "reservation": 0,
        "swap": 134217728, "kernel": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0,
        "cpus": "", "mems": ""}, "pids": {"limit": 0}, "blockIO": {"weight": 0}})");
    ASSERT_TRUE(docker.has_value()) << docker.error().to_string();
    EXPECT_EQ(docker->memory->limit, 67108864);
    EXPECT_FALSE(docker->memory->reservation.has_value());
    EXPECT_FALSE(docker->cpu->quota.has_value());
    EXPECT_FALSE(docker->pids.has_value());
}

// --- bad input: each case edits a valid minimal config and names the error ---

Json minimal_config() {
    return Json::parse(R"({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs"},
        "process": {"args": ["/bin/true"], "cwd": "/",
                    "capabilities": {"bounding": ["CAP_KILL"]},
                    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 10, "soft": 10}]},
        "hostname": "box",
        "mounts": [{"destination": "/proc", "type": "proc"}, {"destination": "/tmp"}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}
    })");
}

struct BadCase {
    const char* name;
    void (*edit)(Json&);
    const char* expected;  // a substring of the error, starting with the JSON path
};

const BadCase kBadCases[] = {
    {"NotAnObject", [](Json& c) { c = Json::array(); }, "config: must be an object"},
    {"MissingVersion", [](Json& c) { c.erase("ociVersion"); }, "ociVersion: required"},
    {"VersionNotSemver", [](Json& c) { c["ociVersion"] = "1.0"; },
     "ociVersion: \"1.0\" is not a version"},
    {"VersionMajorTwo", [](Json& c) { c["ociVersion"] = "2.0.0"; },
     "ociVersion: unsupported version \"2.0.0\""},
    {"VersionNotString", [](Json& c) { c["ociVersion"] = 1; }, "ociVersion: must be a string"},
    {"MissingRoot", [](Json& c) { c.erase("root"); }, "root: required"},
    {"MissingRootPath", [](Json& c) { c["root"].erase("path"); }, "root.path: required"},
    {"RootReadonlyNotBool", [](Json& c) { c["root"]["readonly"] = "yes"; },
     "root.readonly: must be true or false"},
    {"ArgsMissing", [](Json& c) { c["process"].erase("args"); },
     "process.args: must be a non-empty array of strings"},
    {"ArgsEmpty", [](Json& c) { c["process"]["args"] = Json::array(); },
     "process.args: must be a non-empty array of strings"},
    {"ArgsNotArray", [](Json& c) { c["process"]["args"] = "/bin/true"; },
     "process.args: must be a non-empty array of strings"},
    {"ArgNotString", [](Json& c) { c["process"]["args"][1] = 5; },
     "process.args[1]: must be a string"},
    {"CwdRelative", [](Json& c) { c["process"]["cwd"] = "work"; },
     "process.cwd: must be an absolute path"},
    {"CwdMissing", [](Json& c) { c["process"].erase("cwd"); }, "process.cwd: required"},
    {"EnvWithoutEquals",
     [](Json& c) {
         c["process"]["env"] = {"PATH=/bin", "JUNK"};
     },
     "process.env[1]: must be \"KEY=VALUE\""},
    {"NegativeUid",
     [](Json& c) {
         c["process"]["user"] = {{"uid", -1}, {"gid", 0}};
     },
     "process.user.uid: must be an integer from 0 to 4294967295"},
    {"FractionalGid",
     [](Json& c) {
         c["process"]["user"] = {{"uid", 0}, {"gid", 1.5}};
     },
     "process.user.gid: must be an integer"},
    {"UmaskTooBig",
     [](Json& c) {
         c["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"umask", 4096}};
     },
     "process.user.umask: must be a file mode"},
    {"UnknownCapability", [](Json& c) { c["process"]["capabilities"]["bounding"][0] = "CAP_FOO"; },
     "process.capabilities.bounding[0]: unknown capability \"CAP_FOO\""},
    {"LowerCaseCapability",
     [](Json& c) { c["process"]["capabilities"]["ambient"] = {"cap_chown"}; },
     "process.capabilities.ambient[0]: unknown capability \"cap_chown\""},
    {"NumericCapability", [](Json& c) { c["process"]["capabilities"]["effective"] = {"12"}; },
     "process.capabilities.effective[0]: unknown capability"},
    {"UnknownRlimit", [](Json& c) { c["process"]["rlimits"][0]["type"] = "RLIMIT_FILES"; },
     "process.rlimits[0].type: unknown resource limit \"RLIMIT_FILES\""},
    {"DuplicateRlimit",
     [](Json& c) { c["process"]["rlimits"].push_back(c["process"]["rlimits"][0]); },
     "process.rlimits[1]: duplicate resource limit \"RLIMIT_NOFILE\""},
    {"SoftAboveHard", [](Json& c) { c["process"]["rlimits"][0]["soft"] = 11; },
     "process.rlimits[0]: soft limit 11 exceeds hard limit 10"},
    {"RlimitMissingHard", [](Json& c) { c["process"]["rlimits"][0].erase("hard"); },
     "process.rlimits[0].hard: required"},
    {"OomScoreOutOfRange", [](Json& c) { c["process"]["oomScoreAdj"] = 1001; },
     "process.oomScoreAdj: must be from -1000 to 1000"},
    {"MountRelative", [](Json& c) { c["mounts"][1]["destination"] = "tmp"; },
     "mounts[1].destination: must be an absolute path"},
    {"MountDotDot", [](Json& c) { c["mounts"][1]["destination"] = "/tmp/../etc"; },
     "mounts[1].destination: must not contain \"..\""},
    {"MountMissingDestination", [](Json& c) { c["mounts"][0].erase("destination"); },
     "mounts[0].destination: required"},
    {"MountOptionsNotStrings",
     [](Json& c) {
         c["mounts"][0]["options"] = {"ro", true};
     },
     "mounts[0].options[1]: must be a string"},
    {"MountsNotArray", [](Json& c) { c["mounts"] = Json::object(); }, "mounts: must be an array"},
    {"HookRelative",
     [](Json& c) {
         c["hooks"]["poststop"] = {{{"path", "hook.sh"}}};
     },
     "hooks.poststop[0].path: must be an absolute path"},
    {"HookZeroTimeout",
     [](Json& c) {
         c["hooks"]["createRuntime"] = {{{"path", "/h"}, {"timeout", 0}}};
     },
     "hooks.createRuntime[0].timeout: must be greater than zero"},
    {"UnknownNamespace", [](Json& c) { c["linux"]["namespaces"][2]["type"] = "foo"; },
     "linux.namespaces[2].type: unknown namespace \"foo\""},
    {"DuplicateNamespace",
     [](Json& c) {
         c["linux"]["namespaces"].push_back({{"type", "pid"}});
     },
     "linux.namespaces[3].type: duplicate namespace \"pid\""},
    {"NamespacePathRelative",
     [](Json& c) { c["linux"]["namespaces"][0]["path"] = "proc/1/ns/pid"; },
     "linux.namespaces[0].path: must be an absolute path"},
    {"HostnameWithoutUts", [](Json& c) { c["linux"]["namespaces"].erase(2); },
     "hostname: needs a \"uts\" entry"},
    {"MappingsWithoutUserNamespace",
     [](Json& c) {
         c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
     },
     "linux.uidMappings: ID mappings need a \"user\" entry"},
    {"MappingSizeZero",
     [](Json& c) {
         c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}};
     },
     "linux.uidMappings[0].size: must be at least 1"},
    {"CgroupsPathSystemd", [](Json& c) { c["linux"]["cgroupsPath"] = "system.slice:tb:a"; },
     "linux.cgroupsPath: must be a path like"},
    {"CgroupsPathEscapes", [](Json& c) { c["linux"]["cgroupsPath"] = "/a/../../b"; },
     "linux.cgroupsPath: must not contain \"..\""},
    {"CgroupsPathRelativeEscapes", [](Json& c) { c["linux"]["cgroupsPath"] = "../b"; },
     "linux.cgroupsPath: must not contain \"..\""},
    // docs/security.md: "/" made delete SIGKILL every process of the host.
    {"CgroupsPathRoot", [](Json& c) { c["linux"]["cgroupsPath"] = "/"; },
     "linux.cgroupsPath: must not be the root cgroup"},
    {"CgroupsPathRootSlashes", [](Json& c) { c["linux"]["cgroupsPath"] = "//"; },
     "linux.cgroupsPath: must not be the root cgroup"},
    {"CgroupsPathDot", [](Json& c) { c["linux"]["cgroupsPath"] = "/./"; },
     "linux.cgroupsPath: must not contain \".\""},
    // docs/security.md: host-global sysctls were written to the host.
    {"SysctlHostGlobal",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"vm.swappiness", "10"}};
     },
     "linux.sysctl[\"vm.swappiness\"]: not namespaced"},
    {"SysctlCorePattern",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"kernel.core_pattern", "|/tmp/x"}};
     },
     "linux.sysctl[\"kernel.core_pattern\"]: not namespaced"},
    {"SysctlKernelPrefixNotIpc",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"kernel.shmmaxx", "1"}};
     },
     "linux.sysctl[\"kernel.shmmaxx\"]: not namespaced"},
    {"SysctlSlash",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"net/../../vm/swappiness", "1"}};
     },
     "linux.sysctl[\"net/../../vm/swappiness\"]: not a sysctl name"},
    {"SysctlDotDot",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"net...vm.swappiness", "1"}};
     },
     "linux.sysctl[\"net...vm.swappiness\"]: not a sysctl name"},
    {"SysctlNetWithoutNetworkNamespace",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
     },
     "linux.sysctl[\"net.ipv4.ip_forward\"]: needs a \"network\" entry"},
    {"SysctlIpcWithoutIpcNamespace",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"kernel.shmmax", "1"}};
     },
     "linux.sysctl[\"kernel.shmmax\"]: needs a \"ipc\" entry"},
    {"SysctlMqueueWithoutIpcNamespace",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"fs.mqueue.queues_max", "1"}};
     },
     "linux.sysctl[\"fs.mqueue.queues_max\"]: needs a \"ipc\" entry"},
    {"SysctlHostnameWithoutUts",
     [](Json& c) {
         c.erase("hostname");
         c["linux"]["namespaces"].erase(2);
         c["linux"]["sysctl"] = {{"kernel.hostname", "x"}};
     },
     "linux.sysctl[\"kernel.hostname\"]: needs a \"uts\" entry"},
    {"SysctlJoinsTheHostsNetworkNamespace",
     [](Json& c) {
         c["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "/proc/self/ns/net"}});
         c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
     },
     "linux.sysctl[\"net.ipv4.ip_forward\"]: the network namespace at /proc/self/ns/net is the host's own"},
    {"MemoryLimitZero", [](Json& c) { c["linux"]["resources"]["memory"]["limit"] = 0; },
     "linux.resources.memory.limit: must be -1 (unlimited) or a positive number of bytes"},
    {"MemoryLimitNegative", [](Json& c) { c["linux"]["resources"]["memory"]["limit"] = -2; },
     "linux.resources.memory.limit: must be -1"},
    {"MemoryLimitString", [](Json& c) { c["linux"]["resources"]["memory"]["limit"] = "1g"; },
     "linux.resources.memory.limit: must be an integer"},
    {"SwapBelowLimit",
     [](Json& c) {
         c["linux"]["resources"]["memory"] = {{"limit", 2048000}, {"swap", 1024000}};
     },
     "linux.resources.memory.swap: memory+swap limit 1024000 is below the memory limit"},
    {"Swappiness", [](Json& c) { c["linux"]["resources"]["memory"]["swappiness"] = 101; },
     "linux.resources.memory.swappiness: must be from 0 to 100"},
    {"CpuPeriodTooShort", [](Json& c) { c["linux"]["resources"]["cpu"]["period"] = 10; },
     "linux.resources.cpu.period: must be from 1000 to 1000000"},
    {"CpuQuotaTooSmall", [](Json& c) { c["linux"]["resources"]["cpu"]["quota"] = 5; },
     "linux.resources.cpu.quota"},
    {"CpuList", [](Json& c) { c["linux"]["resources"]["cpu"]["cpus"] = "0-,1"; },
     "linux.resources.cpu.cpus: must be a CPU list"},
    {"BlkioWeight", [](Json& c) { c["linux"]["resources"]["blockIO"]["weight"] = 5; },
     "linux.resources.blockIO.weight: must be from 10 to 1000"},
    {"DeviceRuleAccess",
     [](Json& c) {
         c["linux"]["resources"]["devices"] = {{{"allow", true}, {"access", "rx"}}};
     },
     "linux.resources.devices[0].access"},
    {"DeviceRuleNoAllow",
     [](Json& c) {
         c["linux"]["resources"]["devices"] = {{{"access", "r"}}};
     },
     "linux.resources.devices[0].allow: required"},
    {"DeviceType",
     [](Json& c) {
         c["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "z"}, {"major", 1}, {"minor", 1}}};
     },
     "linux.devices[0].type: must be"},
    {"DeviceNeedsMajor",
     [](Json& c) {
         c["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "c"}}};
     },
     "linux.devices[0].major: required"},
    {"SeccompUnknownDefault",
     [](Json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_NOPE"}};
     },
     "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\""},
    {"SeccompUnknownAction",
     [](Json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"syscalls", {{{"names", {"read"}}, {"action", "ALLOW"}}}}};
     },
     "linux.seccomp.syscalls[0].action: unknown seccomp action \"ALLOW\""},
    {"SeccompErrnoWithAllow",
     [](Json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"defaultErrnoRet", 1}};
     },
     "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"},
    {"SeccompNoNames",
     [](Json& c) {
         c["linux"]["seccomp"] = {
             {"defaultAction", "SCMP_ACT_ALLOW"},
             {"syscalls", {{{"names", Json::array()}, {"action", "SCMP_ACT_LOG"}}}}};
     },
     "linux.seccomp.syscalls[0].names: must name at least one system call"},
    {"SeccompArch",
     [](Json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"architectures", {"x86_64"}}};
     },
     "linux.seccomp.architectures[0]: unknown seccomp architecture \"x86_64\""},
    {"SeccompArgIndex",
     [](Json& c) {
         c["linux"]["seccomp"] = {
             {"defaultAction", "SCMP_ACT_ALLOW"},
             {"syscalls",
              {{{"names", {"read"}},
                {"action", "SCMP_ACT_ERRNO"},
                {"args", {{{"index", 6}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
     },
     "linux.seccomp.syscalls[0].args[0].index: must be from 0 to 5"},
    {"SeccompOperator",
     [](Json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"syscalls",
                                   {{{"names", {"read"}},
                                     {"action", "SCMP_ACT_ERRNO"},
                                     {"args", {{{"index", 0}, {"value", 0}, {"op", "EQ"}}}}}}}};
     },
     "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\""},
    {"MaskedPathRelative",
     [](Json& c) {
         c["linux"]["maskedPaths"] = {"/proc/kcore", "proc"};
     },
     "linux.maskedPaths[1]: must be an absolute path"},
    {"ReadonlyPathNotString", [](Json& c) { c["linux"]["readonlyPaths"] = {1}; },
     "linux.readonlyPaths[0]: must be a string"},
    {"Propagation", [](Json& c) { c["linux"]["rootfsPropagation"] = "everywhere"; },
     "linux.rootfsPropagation: must be shared, slave, private or unbindable"},
    {"SysctlNotString",
     [](Json& c) {
         c["linux"]["sysctl"] = {{"kernel.shmmax", 5}};
     },
     "linux.sysctl.kernel.shmmax: must be a string"},
    {"AnnotationsNotObject",
     [](Json& c) {
         c["annotations"] = {"a", "b"};
     },
     "annotations: must be an object"},
};

class OciSpecBadInput : public testing::TestWithParam<BadCase> {};

TEST_P(OciSpecBadInput, NamesTheJsonPath) {
    Json config = minimal_config();
    ASSERT_TRUE(parse_spec(config.dump()).has_value()) << "the base config must be valid";
    GetParam().edit(config);
    auto spec = parse_spec(config.dump());
    ASSERT_FALSE(spec.has_value()) << config.dump(2);
    std::string message = spec.error().to_string();
    EXPECT_TRUE(message.starts_with(GetParam().expected)) << "got: " << message;
}

INSTANTIATE_TEST_SUITE_P(OciSpec, OciSpecBadInput, testing::ValuesIn(kBadCases),
                         [](const testing::TestParamInfo<BadCase>& info) {
                             return std::string(info.param.name);
                         });

// The namespaced sysctls (runc's list) are accepted with their namespace.
TEST(OciSpec, NamespacedSysctlsAreAccepted) {
    Json config = minimal_config();
    config["linux"]["namespaces"].push_back({{"type", "ipc"}});
    config["linux"]["namespaces"].push_back({{"type", "network"}});
    config["linux"]["sysctl"] = {{"kernel.shmmax", "1"},      {"kernel.msgmnb", "1"},
                                 {"kernel.sem", "1 2 3 4"},   {"kernel.shm_rmid_forced", "1"},
                                 {"fs.mqueue.msg_max", "1"},  {"net.ipv4.ip_forward", "1"},
                                 {"net.core.somaxconn", "1"}, {"kernel.hostname", "box"}};
    auto spec = parse_spec(config.dump());
    ASSERT_TRUE(spec) << spec.error().to_string();
    EXPECT_EQ(spec->linux.sysctl.size(), 8u);
}

// Relative paths are the spec's "relative to the runtime's cgroup"; the
// runtime puts them under its parent (runtime/create.cpp).
TEST(OciSpec, RelativeCgroupsPathIsAccepted) {
    Json config = minimal_config();
    config["linux"]["cgroupsPath"] = "mine/box";
    auto spec = parse_spec(config.dump());
    ASSERT_TRUE(spec) << spec.error().to_string();
    EXPECT_EQ(spec->linux.cgroups_path, "mine/box");
}

TEST(OciSpec, NotJsonMentionsThePosition) {
    auto spec = parse_spec("{\n  \"ociVersion\": \"1.0.2\",\n  root: {}\n}");
    ASSERT_FALSE(spec.has_value());
    EXPECT_NE(spec.error().to_string().find("not valid JSON"), std::string::npos);
    EXPECT_NE(spec.error().to_string().find("line 3, column 3"), std::string::npos)
        << spec.error().to_string();
    for (const char* text : {"", "   ", "{", "nul", "\"just a string\"", "{\"a\":1}{"})
        EXPECT_FALSE(parse_spec(text).has_value()) << text;
}

// --- hostile input ---

TEST(OciSpecFuzz, EveryTruncationIsAnError) {
    const std::string text = kFullConfig;
    for (size_t length = 0; length < text.size(); ++length) {
        auto spec = parse_spec(text.substr(0, length));
        // The only valid prefixes end just after the final closing brace.
        EXPECT_FALSE(spec.has_value()) << "length " << length;
    }
}

TEST(OciSpecFuzz, ByteMutationsNeverCrash) {
    std::mt19937 random(20240601);
    const std::string original = kFullConfig;
    const char kInteresting[] = {'"', '{', '}', '[',  ']',    ',',    ':', '\\',
                                 '0', '-', 'e', '\0', '\xff', '\x80', 'n', '/'};
    size_t accepted = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string text = original;
        int edits = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < edits; ++i) {
            size_t at = random() % text.size();
            switch (random() % 3) {
                case 0:
                    text[at] = kInteresting[random() % sizeof(kInteresting)];
                    break;
                case 1:
                    text.erase(at, 1 + random() % 8);
                    break;
                default:
                    text.insert(at, 1, kInteresting[random() % sizeof(kInteresting)]);
            }
        }
        auto spec = parse_spec(text);
        if (spec.has_value()) {
            ++accepted;  // some edits stay valid (a changed string); those must round-trip
            EXPECT_TRUE(parse_spec(to_json(*spec)).has_value());
        } else {
            EXPECT_FALSE(spec.error().to_string().empty());
        }
    }
    RecordProperty("accepted", static_cast<int>(accepted));
}

// Replaces values anywhere in the tree with values of other types: the typed
// readers must reject each one with an error, not an exception.
void replace_random_value(Json& node, std::mt19937& random, const std::vector<Json>& values) {
    if ((node.is_object() || node.is_array()) && !node.empty() && random() % 4 != 0) {
        auto it = node.begin();
        std::advance(it, random() % node.size());
        replace_random_value(*it, random, values);
        return;
    }
    node = values[random() % values.size()];
}

TEST(OciSpecFuzz, TypeConfusionNeverCrashes) {
    std::mt19937 random(7);
    const std::vector<Json> values = {
        nullptr,
        true,
        -1,
        0,
        1.5,
        Json::array(),
        Json::object(),
        "",
        "x",
        "/",
        -9223372036854775807LL - 1,
        18446744073709551615ULL,
        1e300,
        Json::array({1, "a"}),
        Json::object({{"type", 3}}),
    };
    const Json original = Json::parse(kFullConfig);
    for (int round = 0; round < 3000; ++round) {
        Json config = original;
        replace_random_value(config, random, values);
        auto spec = parse_spec(config.dump());
        if (spec.has_value()) {
            EXPECT_TRUE(parse_spec(to_json(*spec)).has_value()) << config.dump();
        }
    }
}

TEST(OciSpecFuzz, DeepNestingAndHugeInputGiveErrors) {
    std::string deep = std::string(200000, '[') + std::string(200000, ']');
    EXPECT_FALSE(parse_spec(deep).has_value());
    std::string deep_member = R"({"ociVersion":"1.0.2","root":{"path":"r"},"x":)" +
                              std::string(100000, '[') + std::string(100000, ']') + "}";
    EXPECT_TRUE(parse_spec(deep_member).has_value());  // unknown keys are ignored, at any depth
    std::string huge(17 * 1024 * 1024, ' ');
    auto spec = parse_spec(huge);
    ASSERT_FALSE(spec.has_value());
    EXPECT_NE(spec.error().to_string().find("bytes"), std::string::npos);
}

TEST(OciSpec, ToJsonReplacesInvalidUtf8InsteadOfThrowing) {
    Spec spec = default_spec();
    spec.process->env.push_back("BAD=\xff\xfe");
    std::string written = to_json(spec);
    EXPECT_TRUE(parse_spec(written).has_value());
}

}  // namespace
}  // namespace twinbox::oci
