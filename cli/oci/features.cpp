// twinbox-oci features: what this runtime supports, as JSON
// (runtime-spec features.md; `runc features`).
#include <fmt/core.h>
#include <seccomp.h>

#include <nlohmann/json.hpp>

#include "cli/oci/oci_cli.h"
#include "container/cgroups/cgroup.h"
#include "container/security/capabilities.h"

namespace twinbox::oci_cli {

void register_features(CLI::App& app, int& exit_code) {
    CLI::App* command =
        app.add_subcommand("features", "Print the features this runtime supports as JSON");
    command->callback([&exit_code] {
        auto layout = container::detect_cgroup_layout();
        bool v2 = layout && layout->version == container::CgroupVersion::V2;
        const scmp_version* version = seccomp_version();
        nlohmann::json features = {
            {"ociVersionMin", "1.0.0"},
            {"ociVersionMax", "1.1.0"},
            {"hooks",
             {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
              "poststop"}},
            {"mountOptions", {"async",      "atime",     "bind",    "dev",         "diratime",
                              "dirsync",    "exec",      "mand",    "noatime",     "nodev",
                              "nodiratime", "noexec",    "nomand",  "norelatime",  "nostrictatime",
                              "nosuid",     "private",   "rbind",   "relatime",    "remount",
                              "ro",         "rprivate",  "rshared", "rslave",      "runbindable",
                              "rw",         "shared",    "slave",   "strictatime", "suid",
                              "sync",       "unbindable"}},
            {"linux",
             {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
              {"capabilities", container::all_capabilities()},
              {"cgroup", {{"v1", !v2}, {"v2", v2}, {"systemd", false}, {"systemdUser", false}}},
              {"seccomp",
               {{"enabled", true},
                {"actions",
                 {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
                {"operators",
                 {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                  "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
                {"archs", {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32"}}}},
              {"apparmor", {{"enabled", false}}},
              {"selinux", {{"enabled", false}}}}},
            {"annotations",
             {{"org.opencontainers.runc.version", "twinbox-oci 0.1.0"},
              {"io.github.seccomp.libseccomp.version",
               fmt::format("{}.{}.{}", version->major, version->minor, version->micro)}}},
        };
        fmt::print("{}\n", features.dump(4));
        exit_code = 0;
    });
}

}  // namespace twinbox::oci_cli
