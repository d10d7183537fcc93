// Docker's `run` flags applied to oci::default_spec() (Docker's own
// daemon/oci_linux.go does the same, flag by flag).
#include "container/engine/run_spec.h"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/default_path.h"
#include "common/size.h"
#include "container/cgroups/cgroup.h"
#include "container/engine/network_attach.h"
#include "container/engine/volume_spec.h"
#include "container/mounts/rootfs.h"
#include "container/oci/default_seccomp.h"
#include "container/security/capabilities.h"
#include "container/security/process_limits.h"
#include "container/security/seccomp.h"
#include "host/image/image_user.h"

namespace twinbox::container {

Result<int64_t> parse_memory(const std::string& text, const char* flag) {
    if (text == "-1")
        return int64_t{-1};
    auto bytes = parse_size(text, 1);
    if (!bytes)
        return std::move(bytes).error().with_context(flag);
    return static_cast<int64_t>(*bytes);
}

Result<VolumeSpec> parse_volume_spec(const std::string& text) {
    // HOST:CONTAINER[:ro|rw] (docker run -v); named volumes come with images.
    std::vector<std::string> parts;
    std::stringstream split(text);
    for (std::string part; std::getline(split, part, ':');) parts.push_back(part);
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
        return Error::message(fmt::format("-v {}: expected HOST_PATH:CONTAINER_PATH[:ro]", text));
    if (parts[0][0] != '/' || parts[1][0] != '/')
        return Error::message(fmt::format("-v {}: both paths must be absolute", text));
    VolumeSpec volume{text, parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
    if (!volume.mode.empty() && volume.mode != "ro" && volume.mode != "rw")
        return Error::message(fmt::format("-v {}: mode {} is not ro or rw", text, volume.mode));
    return volume;
}

namespace {

unsigned host_cpus() {
    long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? static_cast<unsigned>(online) : 1;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    std::erase_if(env,
                  [&](const std::string& existing) { return existing.starts_with(key + "="); });
    env.push_back(entry);
}

Result<oci::Mount> parse_volume(const std::string& text) {
    VolumeSpec volume = TRY(parse_volume_spec(text));
    struct stat status {};
    if (::stat(volume.host.c_str(), &status) < 0)
        return Error::from_errno("stat", fmt::format("-v {}: host path {}", text, volume.host));
    TRY(check_user_destination("-v " + text, volume.target));
    oci::Mount mount{volume.target, "bind", volume.host, {"rbind", "rprivate"}};
    if (!volume.mode.empty())
        mount.options.push_back(volume.mode);
    return mount;
}

Result<oci::Mount> parse_tmpfs(const std::string& text) {
    // PATH[:OPTIONS] (docker run --tmpfs); Docker's defaults noexec,nosuid,nodev.
    auto colon = text.find(':');
    std::string path = text.substr(0, colon);
    if (path.empty() || path[0] != '/')
        return Error::message(fmt::format("--tmpfs {}: the path must be absolute", text));
    TRY(check_user_destination("--tmpfs " + text, path));
    oci::Mount mount{path, "tmpfs", "tmpfs", {"noexec", "nosuid", "nodev"}};
    if (colon != std::string::npos) {
        std::stringstream split(text.substr(colon + 1));
        for (std::string option; std::getline(split, option, ',');) mount.options.push_back(option);
    }
    return mount;
}

Result<void> apply_resources(const RunFlags& flags, oci::Spec& spec) {
    oci::Resources& resources = *spec.linux.resources;
    if (!flags.memory.empty()) {
        int64_t limit = TRY(parse_memory(flags.memory, "-m"));
        // The kernel accepts any page-sized limit, but a runtime must fit
        // its first process in it: below 256 KiB not even that works.
        if (limit >= 0 && limit < (256 << 10))
            return Error::message(
                fmt::format("-m {}: the minimum memory limit is 256 KiB", flags.memory));
        oci::MemoryResources memory;
        memory.limit = limit;
        if (!flags.memory_swap.empty())
            memory.swap = TRY(parse_memory(flags.memory_swap, "--memory-swap"));
        else if (limit > 0)
            memory.swap = 2 * limit;  // Docker: as much swap as memory
        resources.memory = memory;
    } else if (!flags.memory_swap.empty()) {
        return Error::message("--memory-swap needs -m as well");
    }
    if (flags.cpus || flags.cpu_shares) {
        oci::CpuResources cpu;
        if (flags.cpus) {
            // Docker's range: 0.01 up to the CPUs there are. NaN fails every
            // comparison, so it is tested for explicitly (as is infinity).
            unsigned online = host_cpus();
            double cpus = *flags.cpus;
            if (!std::isfinite(cpus) || cpus < 0.01 || cpus > online)
                return Error::message(fmt::format(
                    "--cpus {}: must be from 0.01 to {} (the CPUs this host has)", cpus, online));
            auto [quota, period] = cpus_to_quota(cpus);
            cpu.quota = quota;
            cpu.period = period;
        }
        // cpu.shares takes 2 to 262144 (kernel/sched/sched.h MIN_SHARES,
        // MAX_SHARES); 0 means "the default" for Docker, so it sets nothing.
        if (flags.cpu_shares && *flags.cpu_shares != 0) {
            if (*flags.cpu_shares < 2 || *flags.cpu_shares > 262144)
                return Error::message(
                    fmt::format("--cpu-shares {}: must be from 2 to 262144 (0: the default, 1024)",
                                *flags.cpu_shares));
            cpu.shares = static_cast<uint64_t>(*flags.cpu_shares);
        }
        resources.cpu = cpu;
    }
    // Docker's meaning: a positive number is the limit; 0 and -1 are unlimited.
    if (flags.pids_limit) {
        if (*flags.pids_limit < -1)
            return Error::message(fmt::format(
                "--pids-limit {}: must be a positive number of processes, or 0 or -1 for no limit",
                *flags.pids_limit));
        resources.pids = oci::PidsResources{*flags.pids_limit};
    }
    return ok();
}

// RFC 1123 section 2.1 host names (as Docker checks --hostname): labels of
// letters, digits and '-', not starting or ending with '-', joined by '.';
// at most 64 bytes in all, the kernel's limit (HOST_NAME_MAX, sethostname(2)).
Result<void> check_hostname(const std::string& name) {
    bool valid = !name.empty() && name.size() <= 64;
    size_t start = 0;
    while (valid) {
        size_t dot = name.find('.', start);
        std::string_view label(name.data() + start,
                               (dot == std::string::npos ? name.size() : dot) - start);
        valid = !label.empty() && label.size() <= 63 && label.front() != '-' &&
                label.back() != '-' && std::all_of(label.begin(), label.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
                });
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    if (!valid)
        return Error::message(fmt::format(
            "--hostname {}: not a valid host name (letters, digits and '-' in labels separated by '.', not starting or ending with '-', at most 64 characters)",
            name));
    return ok();
}

Result<void> apply_security(const RunFlags& flags, oci::Spec& spec) {
    oci::Process& process = *spec.process;
    process.no_new_privileges =
        false;  // Docker's default; --security-opt no-new-privileges sets it
    std::vector<std::string> capabilities =
        flags.privileged ? available_capabilities()
                         : TRY(compute_capabilities(docker_default_capabilities(), flags.cap_add,
                                                    flags.cap_drop));
    process.capabilities = capabilities_for(capabilities);
    bool seccomp = !flags.privileged;
    std::string seccomp_file;
    for (const auto& option : flags.security_opt) {
        if (option == "seccomp=unconfined" || option == "seccomp:unconfined")
            seccomp = false;
        else if (option.starts_with("seccomp=") || option.starts_with("seccomp:"))
            seccomp_file = option.substr(8);
        else if (option == "no-new-privileges" || option == "no-new-privileges:true" ||
                 option == "no-new-privileges=true")
            process.no_new_privileges = true;
        else if (option == "no-new-privileges:false" || option == "no-new-privileges=false")
            process.no_new_privileges = false;
        else if (option.starts_with("apparmor") || option.starts_with("label"))
            continue;  // accepted: this host has no AppArmor or SELinux
        else
            return Error::message(fmt::format(
                "--security-opt {}: expected seccomp=unconfined|FILE or no-new-privileges",
                option));
    }
    if (!seccomp_file.empty())
        spec.linux.seccomp = TRY(load_seccomp_profile(seccomp_file).with_context("--security-opt"));
    else if (seccomp)
        spec.linux.seccomp = oci::default_seccomp_profile(capabilities);
    else
        spec.linux.seccomp.reset();
    if (flags.privileged) {
        // --privileged: every capability, every device, no masked paths, a writable /sys.
        spec.linux.masked_paths.clear();
        spec.linux.readonly_paths.clear();
        spec.linux.resources->devices = {
            {.allow = true, .type = "a", .major = {}, .minor = {}, .access = "rwm"}};
        for (auto& mount : spec.mounts)
            if (mount.destination == "/sys" || mount.destination == "/sys/fs/cgroup")
                std::erase(mount.options, std::string("ro"));
    }
    for (const auto& text : flags.ulimits) {
        oci::Rlimit limit = TRY(parse_ulimit(text));
        std::erase_if(process.rlimits,
                      [&](const oci::Rlimit& existing) { return existing.type == limit.type; });
        process.rlimits.push_back(limit);
    }
    if (flags.oom_score_adj) {
        if (*flags.oom_score_adj < -1000 || *flags.oom_score_adj > 1000)
            return Error::message(
                fmt::format("--oom-score-adj {} is outside -1000..1000", *flags.oom_score_adj));
        process.oom_score_adj = *flags.oom_score_adj;
    }
    return ok();
}

// --network bridge|NAME: a new network namespace (as for none) that the
// engine connects to the network; -p are checked now, applied at start.
Result<void> apply_bridge_network(const RunFlags& flags, oci::Spec& spec) {
    std::string name = network::resolve_network_name(flags.network);
    if (name != network::kDefaultNetwork)
        TRY(network::validate_network_name(name).with_context("--network"));
    auto ports = TRY(network::parse_port_specs(flags.publish));
    std::string publish;
    for (const auto& port : ports) publish += (publish.empty() ? "" : ",") + port.to_spec();
    spec.annotations[kNetworkAnnotation] = name;
    if (!publish.empty())
        spec.annotations[kPublishAnnotation] = publish;
    return ok();
}

}  // namespace

Result<oci::Spec> spec_from_run_flags(const RunFlags& flags, const std::string& id,
                                      const std::string& rootfs) {
    oci::Spec spec = oci::default_spec();
    spec.root.path = rootfs;
    spec.root.readonly = flags.read_only;
    if (!flags.hostname.empty())
        TRY(check_hostname(flags.hostname));
    spec.hostname = flags.hostname.empty() ? id.substr(0, 12) : flags.hostname;
    spec.linux.cgroups_path = "/twinbox/" + id;
    if (!spec.linux.resources)
        spec.linux.resources = oci::Resources{};
    spec.annotations["org.twinbox.name"] = flags.name;

    oci::Process& process = *spec.process;
    process.terminal = flags.tty;
    process.args = flags.command.empty() ? std::vector<std::string>{"sh"} : flags.command;
    process.env = {kDefaultPathEnv, "HOSTNAME=" + spec.hostname};
    if (flags.tty)
        process.env.push_back("TERM=xterm");
    for (const auto& entry : flags.env) {
        if (entry.empty() || entry[0] == '=')
            return Error::message(fmt::format("-e {}: expected KEY=VALUE or KEY", entry));
        if (entry.find('=') != std::string::npos) {
            set_env(process.env, entry);
        } else if (const char* value = std::getenv(entry.c_str())) {
            set_env(process.env,
                    entry + "=" + value);  // -e KEY passes our own value, as Docker does
        }
    }
    if (!flags.workdir.empty()) {
        if (flags.workdir[0] != '/')
            return Error::message(
                fmt::format("-w {}: the working directory must be absolute", flags.workdir));
        process.cwd = flags.workdir;
    }
    if (!flags.user.empty()) {
        auto ids = TRY(image::resolve_image_user({rootfs}, flags.user));
        process.user.uid = ids.uid;
        process.user.gid = ids.gid;
    }

    if (flags.network == "host") {
        std::erase_if(spec.linux.namespaces, [](const oci::Namespace& ns) {
            return ns.type == oci::NamespaceType::Network;
        });
    } else if (flags.network != "none" && flags.network != "default" && !flags.network.empty()) {
        TRY(apply_bridge_network(flags, spec));  // network_attach.h does the rest
    }
    if (!flags.publish.empty() && !spec.annotations.contains(kNetworkAnnotation))
        return Error::message(
                   fmt::format("-p needs a bridge network, not --network {}", flags.network))
            .with_hint("add --network bridge (or a network name)");
    for (const auto& volume : flags.volumes) spec.mounts.push_back(TRY(parse_volume(volume)));
    for (const auto& tmpfs : flags.tmpfs) spec.mounts.push_back(TRY(parse_tmpfs(tmpfs)));
    TRY(apply_resources(flags, spec));
    TRY(apply_security(flags, spec));
    return spec;
}

}  // namespace twinbox::container
