// The on-disk state store of containers.
#include "container/runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file.h"
#include "common/json_reader.h"
#include "container/cgroups/cgroup.h"

namespace twinbox::container {

using Json = nlohmann::json;

std::string_view status_name(Status status) {
    switch (status) {
        case Status::Creating:
            return "creating";
        case Status::Created:
            return "created";
        case Status::Running:
            return "running";
        case Status::Paused:
            return "paused";
        case Status::Stopped:
            return "stopped";
    }
    return "unknown";
}

Result<void> validate_container_id(std::string_view id) {
    bool valid = !id.empty() && id.size() <= 128 && std::isalnum(static_cast<unsigned char>(id[0]));
    for (char c : id)
        valid = valid &&
                (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!valid)
        return Error::message(fmt::format(
            "invalid container id or name '{}': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 128 characters",
            id));
    return ok();
}

std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now();
    auto seconds = std::chrono::system_clock::to_time_t(now);
    auto nanoseconds =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
        1000000000;
    struct tm utc {};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:09d}Z", text, nanoseconds);
}

uint64_t process_start_time(pid_t pid) {
    if (pid <= 0)
        return 0;
    auto bytes = read_whole_file(fmt::format("/proc/{}/stat", pid), "stat", 4096);
    if (!bytes)
        return 0;
    std::string text(bytes->begin(), bytes->end());
    // proc(5): "pid (comm) state ..."; comm may contain spaces and ')', so
    // parse from the last ')'. Field 3 is the state, field 22 the start time.
    auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size())
        return 0;
    if (text[close + 2] == 'Z' || text[close + 2] == 'X')
        return 0;  // exited, not yet reaped: as good as dead
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    for (int index = 3; index <= 22 && fields >> field; ++index)
        if (index == 22)
            return std::strtoull(field.c_str(), nullptr, 10);
    return 0;
}

Result<void> StateStore::reserve(const std::string& id) const {
    TRY(validate_container_id(id));
    std::error_code ignored;
    std::filesystem::create_directories(m_root, ignored);
    // 0700: config.json holds every -e KEY=VALUE, which may be a secret
    // (Docker keeps its state 0700 too). The first process reaches
    // exec.fifo through an O_PATH descriptor, which needs no search right.
    ::chmod(m_root.c_str(), 0700);
    if (::mkdir(directory(id).c_str(), 0700) < 0) {
        if (errno == EEXIST)
            return Error::message(fmt::format("container {} already exists", id))
                .with_hint("choose another name, or remove it first");
        return Error::from_errno("mkdir", directory(id))
            .with_hint("is the state root writable (are you root)?");
    }
    return ok();
}

Result<void> StateStore::save(const ContainerState& state) const {
    Json object = {
        {"id", state.id},
        {"pid", state.pid},
        {"pidStartTime", state.pid_start_time},
        {"bundle", state.bundle},
        {"rootfs", state.rootfs},
        {"created", state.created},
        {"annotations", state.annotations},
        {"cgroupPath", state.cgroup_path},
        {"cgroupCreated", state.cgroup_created},
        {"name", state.name},
        {"command", state.command},
        {"storageDir", state.storage_dir},
        {"supervisorPid", state.supervisor_pid},
        {"autoRemove", state.auto_remove},
        {"started", state.started},
        {"finished", state.finished},
        {"oomKilled", state.oom_killed},
    };
    if (state.exit_code)
        object["exitCode"] = *state.exit_code;
    // Arguments need not be UTF-8; JSON must be (replace, never throw).
    std::string text = object.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    if (text.size() > kMaxStateBytes)
        return Error::message(
                   fmt::format(
                       "the state of container {} would be {} bytes, more than the {} MiB allowed",
                       state.id, text.size(), kMaxStateBytes >> 20))
            .with_hint("shorten the command line (pass long data in a file or a volume)");
    std::string path = directory(state.id) + "/state.json";
    return write_file_atomically(path, text, false, 0600);
}

namespace {

// Every member but "id" is optional: states written by older versions lack
// the newer ones. A member that is present must have its type.
Result<ContainerState> read_state(const json_reader::Node& object) {
    ContainerState state;
    TRY(json_reader::read_required(object, "id", state.id));
    TRY(json_reader::read_member(object, "pid", state.pid));
    TRY(json_reader::read_member(object, "pidStartTime", state.pid_start_time));
    TRY(json_reader::read_member(object, "bundle", state.bundle));
    TRY(json_reader::read_member(object, "rootfs", state.rootfs));
    TRY(json_reader::read_member(object, "created", state.created));
    TRY(json_reader::read_member(object, "annotations", state.annotations));
    TRY(json_reader::read_member(object, "cgroupPath", state.cgroup_path));
    // States written before "cgroupCreated" existed: the runtime made
    // the cgroup if it has the name the runtime gives.
    state.cgroup_created = state.cgroup_path == "/twinbox/" + state.id;
    TRY(json_reader::read_member(object, "cgroupCreated", state.cgroup_created));
    TRY(json_reader::read_member(object, "name", state.name));
    TRY(json_reader::read_member(object, "command", state.command));
    TRY(json_reader::read_member(object, "storageDir", state.storage_dir));
    TRY(json_reader::read_member(object, "supervisorPid", state.supervisor_pid));
    TRY(json_reader::read_member(object, "autoRemove", state.auto_remove));
    TRY(json_reader::read_member(object, "started", state.started));
    TRY(json_reader::read_member(object, "finished", state.finished));
    TRY(json_reader::read_member(object, "oomKilled", state.oom_killed));
    TRY(json_reader::read_member(object, "exitCode", state.exit_code));
    return state;
}

}  // namespace

Result<ContainerState> StateStore::load(const std::string& id) const {
    TRY(validate_container_id(id));
    std::string path = directory(id) + "/state.json";
    if (::access(directory(id).c_str(), F_OK) != 0)
        return Error::message(fmt::format("container {} does not exist", id));
    auto damaged = [&](std::string_view why) {
        return Error::message(
                   fmt::format("state of container {} is damaged ({}: {})", id, path, why))
            .with_hint(fmt::format("remove the container with 'rm -f {}'", id))
            .with_kind(Error::Kind::Damaged);
    };
    auto bytes = read_whole_file(path, "container state", kMaxStateBytes + 1);
    if (!bytes)
        return damaged(bytes.error().to_string());
    auto object = json_reader::parse(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
        kMaxStateBytes);
    if (!object)
        return damaged(object.error().to_string());
    if (!object->is_object())
        return damaged("not a JSON object");
    // Docker gives every runtime the same --root: runc keeps its own
    // state.json (with "init_process_pid") in directories beside ours.
    // Ours always has "pidStartTime"; anything else is not ours to touch.
    if (!object->contains("pidStartTime"))
        return Error::message(
            fmt::format("{} belongs to another runtime sharing the state root {}", id, m_root));
    auto state = read_state(json_reader::Node(*object, "", "state.json"));
    if (!state)
        return damaged(state.error().to_string());
    // A state that names another container would make every operation
    // act on that one (or on nothing) while reporting success.
    if (state->id != id)
        return damaged(fmt::format("it names container \"{}\"", state->id));
    return state;
}

bool StateStore::is_damaged(const std::string& id) const {
    if (!exists(id))
        return false;
    // Another runtime's state beside ours (Docker's shared --root) is not
    // damaged: it is simply not ours, and `rm -f` must leave it alone.
    auto state = load(id);
    return !state && state.error().kind() == Error::Kind::Damaged;
}

bool StateStore::exists(const std::string& id) const {
    return validate_container_id(id) && ::access(directory(id).c_str(), F_OK) == 0;
}

std::vector<std::string> StateStore::list() const {
    std::vector<std::string> ids;
    DIR* directory = ::opendir(m_root.c_str());
    if (!directory)
        return ids;
    while (dirent* entry = ::readdir(directory)) {
        std::string name = entry->d_name;
        if (name != "." && name != ".." && validate_container_id(name))
            ids.push_back(name);
    }
    ::closedir(directory);
    std::sort(ids.begin(), ids.end());
    return ids;
}

Result<void> StateStore::remove(const std::string& id) const {
    TRY(validate_container_id(id));
    std::error_code error;
    std::filesystem::remove_all(directory(id), error);
    if (error)
        return Error::from_errno("remove", directory(id), error.value());
    return ok();
}

Status StateStore::status(const ContainerState& state) const {
    if (state.pid <= 0)
        return state.exit_code ? Status::Stopped : Status::Creating;
    if (process_start_time(state.pid) != state.pid_start_time || state.pid_start_time == 0)
        return Status::Stopped;
    if (::access(fifo_path(state.id).c_str(), F_OK) == 0)
        return Status::Created;
    if (!state.cgroup_path.empty()) {
        auto layout = detect_cgroup_layout();
        if (layout && Cgroup::open(*layout, state.cgroup_path).frozen())
            return Status::Paused;
    }
    return Status::Running;
}

std::string state_json(const ContainerState& state, Status status) {
    Json object = {
        {"ociVersion", "1.0.2"},         {"id", state.id},
        {"status", status_name(status)}, {"pid", status == Status::Stopped ? 0 : state.pid},
        {"bundle", state.bundle},        {"rootfs", state.rootfs},
        {"created", state.created},      {"owner", ""},
    };
    object["annotations"] = state.annotations;
    return object.dump(2);
}

}  // namespace twinbox::container
