// The cloud state store (see state_store.h).
#include "cloud/state_store.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/file.h"
#include "common/file_lock.h"
#include "common/json_reader.h"
#include "common/twinbox_root.h"

namespace twinbox::cloud {

std::string default_cloud_dir() {
    return twinbox_lib_root() + "/cloud";
}

Error damaged(const std::string& file, std::string_view detail) {
    return Error::message(fmt::format("cloud state file {} is damaged: {}", file, detail))
        .with_hint("twinbox leaves it as it is; repair it or move it away")
        .with_kind(Error::Kind::Damaged);
}

Result<StateStore> StateStore::open(std::string dir) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error)
        return Error::message(fmt::format("cannot create {}: {}", dir, error.message()))
            .with_hint("set TWINBOX_ROOT to a writable directory");
    // Private keys never live here, but key names and instances are the user's business.
    if (::chmod(dir.c_str(), 0700) < 0)
        return Error::from_errno("chmod", dir);
    return StateStore(std::move(dir));
}

std::string StateStore::path_of(std::string_view document) const {
    return fmt::format("{}/{}.json", m_dir, document);
}

Result<nlohmann::json> StateStore::read_unlocked(std::string_view name) const {
    std::string path = path_of(name);
    auto text = read_text_file(path, "cloud state");
    if (!text && text.error().code() == ENOENT)
        return nlohmann::json::object();
    if (!text)
        return std::move(text).error();
    auto document = json_reader::parse(*text);
    if (!document)
        return damaged(path, document.error().to_string());
    if (!document->is_object())
        return damaged(path, "/: expected an object");
    return document;
}

Result<nlohmann::json> StateStore::read(std::string_view name) const {
    auto lock = TRY(FileLock::acquire(m_dir + "/lock"));
    (void)lock;
    return read_unlocked(name);
}

Result<void> StateStore::update(std::string_view name, const Change& change) const {
    auto lock = TRY(FileLock::acquire(m_dir + "/lock"));
    (void)lock;
    nlohmann::json document = TRY(read_unlocked(name));
    TRY(change(document));
    return write_file_atomically(path_of(name), document.dump(2) + "\n", /*durable=*/true, 0600);
}

}  // namespace twinbox::cloud
