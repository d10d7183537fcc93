// A container's state on disk, so that it outlives the process that
// created it (OCI runtime.md "State"; runc keeps the same under --root).
//
//   <state root>/<id>/state.json   this struct as JSON (written atomically:
//                                  write a temporary file, then rename(2))
//   <state root>/<id>/config.json  the spec the container was created from
//   <state root>/<id>/exec.fifo    exists between `create` and `start`
//   <state root>/<id>/console.log  output of a detached (`-d`) container
//
// The status is not stored but observed: a live init process means created
// (exec.fifo still there), paused (cgroup frozen) or running; a dead one
// means stopped. A PID could be reused after the container died, so the
// init's start time (/proc/PID/stat field 22) is stored and compared.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::container {

enum class Status { Creating, Created, Running, Paused, Stopped };
std::string_view status_name(Status status);  // the OCI words: "created", "running"...

struct ContainerState {
    std::string id;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339, UTC
    std::map<std::string, std::string> annotations;
    std::string cgroup_path;  // "/twinbox/ID" within each hierarchy
    // Whether the runtime made that cgroup. One it did not make (an
    // existing, empty cgroupsPath) is never removed, and only the
    // container's own processes in it are ever signalled.
    bool cgroup_created = true;

    // What the `twinbox` front end adds (Docker's view of a container).
    std::string name;
    std::vector<std::string> command;
    std::string storage_dir;   // overlay upper/work to delete with the container
    pid_t supervisor_pid = 0;  // -d: the process that waits for the container
    bool auto_remove = false;  // --rm
    std::string started;       // RFC 3339
    std::string finished;
    std::optional<int> exit_code;
    bool oom_killed = false;
};

// Container ids: what runc accepts, [A-Za-z0-9_.-], starting alphanumeric, at most 128 bytes.
Result<void> validate_container_id(std::string_view id);

std::string rfc3339_now();

// Reads /proc/PID/stat: the start time in clock ticks since boot, or 0 if
// the process does not exist or is a zombie (it has exited).
uint64_t process_start_time(pid_t pid);

// The most a state.json may hold. The command line is in it, and the
// kernel's own limit on execve(2) arguments is 2 MiB at most (execve(2),
// "Limits on size of arguments and environment"); save() refuses more, so
// that load() can read back everything that save() wrote.
inline constexpr size_t kMaxStateBytes = 4 << 20;

class StateStore {
public:
    explicit StateStore(std::string root) : m_root(std::move(root)) {}
    const std::string& root() const { return m_root; }
    std::string directory(const std::string& id) const { return m_root + "/" + id; }
    std::string fifo_path(const std::string& id) const { return directory(id) + "/exec.fifo"; }
    std::string log_path(const std::string& id) const { return directory(id) + "/console.log"; }

    // mkdir(2) of the container's directory: fails with a clear message if
    // the id is taken (mkdir is atomic, so two creators cannot both win).
    Result<void> reserve(const std::string& id) const;
    Result<void> save(const ContainerState& state) const;
    // Errors say "does not exist" or "is damaged" (kind() Error::Kind::Damaged).
    Result<ContainerState> load(const std::string& id) const;
    // The directory exists but state.json is missing, unreadable, not
    // valid or names another id: the container cannot be used, only
    // removed (with `rm -f`).
    bool is_damaged(const std::string& id) const;
    bool exists(const std::string& id) const;
    // The ids under the root, sorted.
    std::vector<std::string> list() const;
    // Removes the directory and everything in it.
    Result<void> remove(const std::string& id) const;

    Status status(const ContainerState& state) const;

private:
    std::string m_root;
};

// The state as the OCI `state` command prints it (runtime.md "State").
std::string state_json(const ContainerState& state, Status status);

}  // namespace twinbox::container
