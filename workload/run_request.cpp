// The rules of `twinbox run` that both isolations share; see run_request.h.
#include "workload/run_request.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>

#include "common/default_path.h"

namespace twinbox::workload {

namespace {

// Sets KEY=VALUE, replacing an earlier KEY: the last word wins, as in Docker.
void set_env(std::vector<std::string>& env, const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    std::erase_if(env,
                  [&](const std::string& existing) { return existing.starts_with(key + "="); });
    env.push_back(entry);
}

Result<void> check_workdir(const std::string& workdir) {
    if (!workdir.empty() && workdir[0] != '/')
        return Error::message(
            fmt::format("-w {}: the working directory must be absolute", workdir));
    return ok();
}

}  // namespace

const char* isolation_name(Isolation isolation) {
    return isolation == Isolation::vm ? "vm" : "container";
}

Result<Isolation> parse_isolation(const std::string& text) {
    if (text == "container")
        return Isolation::container;
    if (text == "vm")
        return Isolation::vm;
    return Error::message(fmt::format("--isolation {}: expected container or vm", text));
}

Result<std::vector<std::string>> resolve_env(const std::vector<std::string>& image_env,
                                             const std::vector<std::string>& given, bool tty) {
    std::vector<std::string> env = {kDefaultPathEnv};
    if (tty)
        env.push_back("TERM=xterm");
    for (const auto& entry : image_env)
        if (!entry.empty() && entry[0] != '=' && entry.find('=') != std::string::npos)
            set_env(env, entry);
    for (const auto& entry : given) {
        if (entry.empty() || entry[0] == '=')
            return Error::message(fmt::format("-e {}: expected KEY=VALUE or KEY", entry));
        if (entry.find('=') != std::string::npos)
            set_env(env, entry);
        else if (const char* value = std::getenv(entry.c_str()))
            set_env(env, entry + "=" + value);  // -e KEY passes our own value, as Docker does
    }
    // PATH first: where a reader (and `env`) expects it.
    auto path = std::find_if(env.begin(), env.end(),
                             [](const std::string& entry) { return entry.starts_with("PATH="); });
    std::rotate(env.begin(), path, path + 1);
    return env;
}

Result<RunRequest> build_run_request(const container::RunFlags& flags, Isolation isolation,
                                     const image::PreparedImage* image) {
    RunRequest request;
    request.isolation = isolation;
    request.rootfs = flags.rootfs;
    std::vector<std::string> image_env;
    request.user = flags.user;
    request.workdir = flags.workdir;
    request.command = flags.command;
    if (image != nullptr) {
        request.image_reference = image->reference;
        request.image_id = image->manifest_digest;
        request.image_layers = image->layer_dirs;
        request.command = image::image_command(image->config, flags.command);
        image_env = image->config.env;
        if (request.user.empty())
            request.user = image->config.user;
        if (request.workdir.empty())
            request.workdir = image->config.working_dir;
    }
    if (request.command.empty())
        request.command = {"sh"};
    request.env = TRY(resolve_env(image_env, flags.env, flags.tty));
    TRY(check_workdir(request.workdir));
    std::vector<std::string> passwd_roots =
        image != nullptr ? image->layer_dirs : std::vector<std::string>{flags.rootfs};
    request.ids = TRY(image::resolve_image_user(passwd_roots, request.user));
    request.hostname = flags.hostname;
    request.limits.memory_text = flags.memory;
    if (!flags.memory.empty())
        request.limits.memory_bytes = TRY(container::parse_memory(flags.memory, "-m"));
    request.limits.cpus = flags.cpus;
    for (const auto& spec : flags.volumes)
        request.volumes.push_back(TRY(container::parse_volume_spec(spec)));
    request.tmpfs = flags.tmpfs;
    request.network = flags.network.empty() ? "none" : flags.network;
    request.publish = flags.publish;
    request.tty = flags.tty;
    request.interactive = flags.interactive;
    request.detach = flags.detach;
    request.remove = flags.remove;
    request.name = flags.name;
    request.container_only = static_cast<const container::ContainerOnlyFlags&>(flags);
    return request;
}

Result<RunRequest> build_run_request_for_image(const container::RunFlags& flags,
                                               Isolation isolation, const std::string& reference) {
    auto image = TRY(image::prepare_image(reference));
    return build_run_request(flags, isolation, &image);
}

}  // namespace twinbox::workload
