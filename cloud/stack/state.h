// A stack's state: what it made, next to the stack file (web.tf.json ->
// web.tfstate.json), as Terraform keeps terraform.tfstate next to its
// configuration, so a student sees it, reads it and keeps it with the file.
//
//   {"version": 1, "serial": 7, "cloud_dir": "/var/lib/twinbox/cloud",
//    "resources": [{"address": "aws_instance.web[0]", "type": "aws_instance",
//                   "name": "web", "index": 0, "arguments": {...},
//                   "attributes": {"id": "i-...", ...}, "depends_on": ["aws_key_pair.lab"]}],
//    "outputs": {"ip": "10.88.0.5"}}
//
// "cloud_dir" is the cloud store the ids belong to: a state used with another
// TWINBOX_ROOT is refused rather than planned as if nothing existed.
//
// Strict and careful as the cloud store (cloud/state_store.h): a damaged
// file is one line naming it and the JSON path, and is never overwritten;
// writes are atomic (temp, fsync, rename); and a lock (an fcntl(2) record
// lock on FILE.tfstate.json.lock, not waited for) lets one plan, apply,
// destroy or refresh run at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cloud/stack/expression.h"
#include "common/unique_fd.h"

namespace twinbox::cloud::stack {

struct StateResource {
    std::string address, type, name;
    std::optional<int> index;
    Json arguments = Json::object();      // as applied, evaluated
    Json attributes = Json::object();     // computed ("id" always)
    std::vector<std::string> depends_on;  // resource addresses of blocks ("aws_vpc.main")

    std::string block() const { return type + "." + name; }
};

struct StackState {
    int serial = 0;
    std::string cloud_dir;
    std::vector<StateResource> resources;
    Json outputs = Json::object();

    StateResource* find(std::string_view address);
    const StateResource* find(std::string_view address) const;
    void put(StateResource resource);  // replaces the one of the same address
    void remove(std::string_view address);
};

// "web.tf.json" -> "web.tfstate.json" (any other name: NAME + ".tfstate.json").
std::string state_path_for(const std::string& stack_file);

// The state at `path`; an empty state when there is no file yet.
Result<StackState> read_state(const std::string& path);
Result<StackState> parse_state(const std::string& path, std::string_view text);
// Bumps the serial and replaces the file atomically.
Result<void> write_state(const std::string& path, StackState& state);

class StateLock {
public:
    // Fails at once when another process holds it.
    static Result<StateLock> acquire(const std::string& state_path);

private:
    explicit StateLock(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

}  // namespace twinbox::cloud::stack
