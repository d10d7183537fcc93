// Each Dockerfile instruction after FROM (builder.h): the config changes,
// and RUN and COPY, which make a layer or take it from the cache.
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "host/image/build_state.h"
#include "host/image/build_step_run.h"
#include "host/image/layer_tar.h"

namespace twinbox::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void progress(const std::string& text) {
    fmt::print("=> {}\n", text);
    std::fflush(stdout);
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
    std::erase_if(env, [&](const std::string& entry) { return entry.starts_with(key + "="); });
    env.push_back(key + "=" + value);
}

void add_history(BuildState& state, const Instruction& step, bool empty_layer) {
    json entry = {{"created_by", step.to_string()}};
    if (empty_layer)
        entry["empty_layer"] = true;
    state.history.push_back(entry);
}

// A layer from `dir` (packed, stored, unpacked for the next steps) or from the cache.
Result<void> add_layer(BuildState& state, const std::string& dir) {
    auto temp = TRY(state.store->make_temp_dir());
    std::string tar = temp.path() + "/layer.tar.gz";
    TRY(pack_layer(dir, tar, Compression::gzip));
    StreamInfo info = TRY(inspect_stream(tar));
    Descriptor layer = TRY(state.store->put_blob_file(tar, layer_media_type(Compression::gzip)));
    TRY(state.store->cache_store(state.key, layer, info.diff_id));
    state.layers.push_back(layer);
    state.diff_ids.push_back(info.diff_id);
    state.layer_dirs.push_back(TRY(state.store->unpacked_layer(layer)));
    return ok();
}

// CACHED: the layer a previous build made for the same key.
Result<bool> from_cache(BuildState& state, const Instruction& step, const std::string& label) {
    if (state.options->no_cache)
        return false;
    auto record = state.store->cache_lookup(state.key);
    if (!record)
        return false;
    progress(fmt::format("CACHED {} {}", label, step.to_string()));
    state.layers.push_back(record->first);
    state.diff_ids.push_back(record->second);
    state.layer_dirs.push_back(TRY(state.store->unpacked_layer(record->first)));
    add_history(state, step, false);
    return true;
}

std::vector<std::string> shell_or_exec(const Instruction& step) {
    if (step.exec_form)
        return step.args;
    return {"/bin/sh", "-c", step.text};
}

Result<void> run(BuildState& state, const Instruction& step, const std::string& label) {
    std::vector<std::string> argv = shell_or_exec(step);
    // ARG values reach RUN as environment variables (ENV wins over ARG).
    std::vector<std::string> env;
    json args = json::object();
    for (const auto& [name, value] : state.args) {
        env.push_back(name + "=" + value);
        args[name] = value;
    }
    for (const auto& entry : state.run.env)
        set_env(env, entry.substr(0, entry.find('=')), entry.substr(entry.find('=') + 1));
    state.key = chain_key(state.key, "RUN " + json(argv).dump() + " args " + args.dump());
    if (TRY(from_cache(state, step, label)))
        return ok();
    progress(fmt::format("{} {}", label, step.to_string()));
    auto temp = TRY(state.store->make_temp_dir());
    BuildRun command{argv,
                     env,
                     state.run.working_dir,
                     state.run.user,
                     {},
                     temp.path() + "/upper",
                     temp.path() + "/work",
                     temp.path() + "/merged"};
    for (auto it = state.layer_dirs.rbegin(); it != state.layer_dirs.rend(); ++it)
        command.lower_dirs.push_back(*it);
    if (command.lower_dirs.empty())
        command.lower_dirs.push_back(temp.path() + "/empty");  // scratch: overlayfs needs one
    for (const auto& dir :
         {command.upper_dir, command.work_dir, command.mount_point, temp.path() + "/empty"})
        if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
            return Error::from_errno("mkdir", dir);
    auto started = std::chrono::steady_clock::now();
    int status = TRY(run_build_command(command));
    if (status != 0)
        return Error::message(fmt::format("the command exited with status {}", status))
            .with_hint("fix the RUN step (its output is above); nothing was tagged");
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    progress(fmt::format("{} done in {:.1f}s", label, took.count()));
    TRY(add_layer(state, command.upper_dir));
    add_history(state, step, false);
    return ok();
}

Result<uint32_t> number(const std::string& text, const char* what) {
    uint32_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return Error::message(fmt::format("{} {} is not a number", what, text));
    return value;
}

Result<void> copy(BuildState& state, const Instruction& step, const std::string& label) {
    std::vector<std::string> words;
    if (step.exec_form) {
        words = step.args;
    } else {
        std::string text = TRY(expand_variables(step.text, state.variables()));
        std::istringstream split(text);
        for (std::string word; split >> word;) words.push_back(word);
    }
    if (words.size() < 2)
        return Error::message("COPY needs a source and a destination");
    std::string dest = words.back();
    words.pop_back();
    bool into_directory = dest.ends_with("/") || words.size() > 1;
    if (!dest.starts_with("/"))
        dest = (state.run.working_dir.empty() ? "/" : state.run.working_dir + "/") + dest;
    dest = fs::path(dest).lexically_normal().string();
    while (dest.size() > 1 && dest.ends_with("/")) dest.pop_back();
    CopyTarget target{"", dest == "/" ? "" : dest, into_directory, 0, 0, std::nullopt};
    if (auto chown = step.flags.find("chown"); chown != step.flags.end()) {
        // Numeric UID[:GID] (names would need the image's /etc/passwd: use numbers).
        auto colon = chown->second.find(':');
        target.uid = TRY(number(chown->second.substr(0, colon), "--chown user"));
        target.gid = colon == std::string::npos
                         ? target.uid
                         : TRY(number(chown->second.substr(colon + 1), "--chown group"));
    }
    if (auto chmod = step.flags.find("chmod"); chmod != step.flags.end()) {
        unsigned mode = 0;
        auto [end, error] = std::from_chars(chmod->second.data(),
                                            chmod->second.data() + chmod->second.size(), mode, 8);
        if (error != std::errc() || end != chmod->second.data() + chmod->second.size() ||
            mode > 07777)
            return Error::message(fmt::format("--chmod {} is not an octal mode", chmod->second));
        target.mode = mode;
    }
    auto sources = TRY(resolve_copy_sources(state.options->context, words, state.ignore));
    std::string checksum = TRY(checksum_sources(sources, state.ignore));
    state.key =
        chain_key(state.key, fmt::format("COPY {} {} {}:{} {} {}", checksum, dest, target.uid,
                                         target.gid, target.mode.value_or(0), into_directory));
    if (TRY(from_cache(state, step, label)))
        return ok();
    progress(fmt::format("{} {}", label, step.to_string()));
    auto temp = TRY(state.store->make_temp_dir());
    target.root = temp.path() + "/layer";
    if (::mkdir(target.root.c_str(), 0755) < 0)
        return Error::from_errno("mkdir", target.root);
    TRY(copy_sources(sources, state.ignore, target));
    TRY(add_layer(state, target.root));
    add_history(state, step, false);
    return ok();
}

Result<void> metadata(BuildState& state, const Instruction& step) {
    const std::string& key = step.keyword;
    if (key == "ENV") {
        for (const auto& [name, value] : TRY(parse_key_values(step.text, state.variables(), true)))
            set_env(state.run.env, name, value);
    } else if (key == "ARG") {
        std::string text = step.text.find('=') == std::string::npos ? step.text + "=" : step.text;
        for (auto [name, value] : TRY(parse_key_values(text, state.variables(), false))) {
            if (auto given = state.options->build_args.find(name);
                given != state.options->build_args.end()) {
                value = given->second;
                state.used_build_args.insert(name);
            } else if (value.empty() && state.global_args.contains(name)) {
                value = state.global_args.at(name);  // ARG NAME again after FROM
            }
            state.args[name] = value;
        }
    } else if (key == "WORKDIR") {
        std::string dir = TRY(expand_variables(step.text, state.variables()));
        if (!dir.starts_with("/"))
            dir = (state.run.working_dir.empty() ? "/" : state.run.working_dir + "/") + dir;
        state.run.working_dir = fs::path(dir).lexically_normal().string();
    } else if (key == "USER") {
        state.run.user = TRY(expand_variables(step.text, state.variables()));
    } else if (key == "CMD") {
        state.run.cmd = shell_or_exec(step);
        state.cmd_set_here = true;
    } else if (key == "ENTRYPOINT") {
        state.run.entrypoint = shell_or_exec(step);
        if (!state.cmd_set_here)
            state.run.cmd.clear();  // Docker: a new ENTRYPOINT drops the base image's CMD
    } else if (key == "EXPOSE") {
        std::istringstream split(TRY(expand_variables(step.text, state.variables())));
        for (std::string port; split >> port;) {
            auto slash = port.find('/');
            uint32_t value = TRY(number(port.substr(0, slash), "EXPOSE port"));
            std::string protocol = slash == std::string::npos ? "tcp" : port.substr(slash + 1);
            if (value == 0 || value > 65535 || (protocol != "tcp" && protocol != "udp"))
                return Error::message(fmt::format("EXPOSE {}: expected PORT[/tcp|/udp]", port));
            std::string entry = fmt::format("{}/{}", value, protocol);
            if (std::find(state.run.exposed_ports.begin(), state.run.exposed_ports.end(), entry) ==
                state.run.exposed_ports.end())
                state.run.exposed_ports.push_back(entry);
        }
    } else if (key == "LABEL") {
        for (const auto& [name, value] : TRY(parse_key_values(step.text, state.variables(), false)))
            state.run.labels[name] = value;
    }
    return ok();
}

}  // namespace

Result<void> run_instruction(BuildState& state, const Instruction& step, const std::string& label) {
    if (step.keyword == "RUN")
        return run(state, step, label);
    if (step.keyword == "COPY")
        return copy(state, step, label);
    // Config-only steps: no layer, but in the key chain (an ENV changes later RUNs).
    progress(fmt::format("{} {}", label, step.to_string()));
    TRY(metadata(state, step));
    state.key = chain_key(state.key, step.to_string() + " " + json(state.args).dump());
    add_history(state, step, true);
    return ok();
}

}  // namespace twinbox::image
