// The cloud's state on disk: one JSON document per kind of resource
// ("key_pairs.json"), in a directory of its own:
//
//   <lib root>/cloud/            0700 (TWINBOX_ROOT=DIR: DIR/lib/cloud)
//     lock                       flock(2), held by every read and change
//     key_pairs.json             0600, replaced atomically (temp + fsync + rename)
//
// Key pairs and AMIs outlive a reboot, so the store lives under the lib root
// (common/twinbox_root.h), not the run root.
//
// Strict: a file that is not valid JSON, or whose fields have the wrong type,
// is reported as damaged in one line that names the file and the JSON path
// ("/key_pairs/0/KeyName: expected a string"). A damaged file is never
// overwritten or deleted: every change reads the file first and stops there.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::cloud {

// twinbox_lib_root() + "/cloud".
std::string default_cloud_dir();

class StateStore {
public:
    // Creates `dir` (mode 0700) when needed.
    static Result<StateStore> open(std::string dir = default_cloud_dir());

    const std::string& dir() const { return m_dir; }
    std::string path_of(std::string_view document) const;

    // The document `name` ("key_pairs"), {} when it does not exist yet.
    Result<nlohmann::json> read(std::string_view name) const;

    // Reads `name` under the store's lock, lets `change` edit it and writes
    // it back atomically. Nothing is written when `change` fails.
    using Change = std::function<Result<void>(nlohmann::json& document)>;
    Result<void> update(std::string_view name, const Change& change) const;

private:
    explicit StateStore(std::string dir) : m_dir(std::move(dir)) {}
    Result<nlohmann::json> read_unlocked(std::string_view name) const;

    std::string m_dir;
};

// The one-line error for a damaged state file: `file`, then `detail`
// ("/key_pairs/0: expected an object").
Error damaged(const std::string& file, std::string_view detail);

}  // namespace twinbox::cloud
