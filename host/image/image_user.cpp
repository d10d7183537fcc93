// One user lookup for both isolations; see image_user.h.
#include "host/image/image_user.h"

#include <fmt/core.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace twinbox::image {

namespace {

// The first line of `file` in the layers (top first) whose first field is `name`
// (or whose third field is `name` when looking up by number), split at ':'.
std::optional<std::vector<std::string>> lookup(const std::vector<std::string>& layer_dirs,
                                               const std::string& file, const std::string& key,
                                               size_t field) {
    for (auto layer = layer_dirs.rbegin(); layer != layer_dirs.rend(); ++layer) {
        std::ifstream in(*layer + "/" + file);
        if (!in)
            continue;
        std::string line;
        while (std::getline(in, line)) {
            std::vector<std::string> fields;
            std::stringstream stream(line);
            for (std::string part; std::getline(stream, part, ':');) fields.push_back(part);
            if (fields.size() > field && fields[field] == key)
                return fields;
        }
        return std::nullopt;  // the topmost copy of the file is the one that counts
    }
    return std::nullopt;
}

bool all_digits(const std::string& text) {
    return !text.empty() && text.size() < 10 &&
           text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<UserIds> resolve_image_user(const std::vector<std::string>& layer_dirs,
                                   const std::string& user) {
    if (user.empty())
        return UserIds{};
    auto colon = user.find(':');
    std::string name = user.substr(0, colon);
    std::string group = colon == std::string::npos ? "" : user.substr(colon + 1);
    uint32_t uid = 0, gid = 0;
    if (all_digits(name)) {
        uid = static_cast<uint32_t>(std::stoul(name));
        auto entry = lookup(layer_dirs, "etc/passwd", name, 2);
        if (entry && entry->size() > 3 && all_digits((*entry)[3]))
            gid = static_cast<uint32_t>(std::stoul((*entry)[3]));
    } else {
        auto entry = lookup(layer_dirs, "etc/passwd", name, 0);
        if (!entry || entry->size() < 4 || !all_digits((*entry)[2]) || !all_digits((*entry)[3]))
            return Error::message(
                       fmt::format("-u {}: no user {} in the image's /etc/passwd", user, name))
                .with_hint("use a numeric UID[:GID]");
        uid = static_cast<uint32_t>(std::stoul((*entry)[2]));
        gid = static_cast<uint32_t>(std::stoul((*entry)[3]));
    }
    if (!group.empty()) {
        if (all_digits(group)) {
            gid = static_cast<uint32_t>(std::stoul(group));
        } else {
            auto entry = lookup(layer_dirs, "etc/group", group, 0);
            if (!entry || entry->size() < 3 || !all_digits((*entry)[2]))
                return Error::message(
                    fmt::format("-u {}: no group {} in the image's /etc/group", user, group));
            gid = static_cast<uint32_t>(std::stoul((*entry)[2]));
        }
    }
    return UserIds{uid, gid};
}

}  // namespace twinbox::image
