// Reading fields of a state document with errors that name the JSON path
// ("/key_pairs/2/KeyName: expected a string"), so a damaged file says where.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/state_store.h"
#include "common/result.h"

namespace twinbox::cloud {

// obj[key] as a string; `path` is obj's JSON pointer ("/key_pairs/2").
Result<std::string> string_field(const nlohmann::json& obj, std::string_view key,
                                 std::string_view path);

// doc[key] as an array ([] when absent).
Result<nlohmann::json> array_field(const nlohmann::json& doc, std::string_view key);

// Every entry of document[key] read by `read(entry, "/Key/N")`, for a
// document of the state store in `file`; one bad entry makes the whole file
// damaged (state_store.h), reported with the entry's JSON path.
template <typename T, typename Read>
Result<std::vector<T>> load_entries(const nlohmann::json& document, std::string_view key,
                                    const std::string& file, Read read) {
    auto entries = array_field(document, key);
    if (!entries)
        return damaged(file, entries.error().context());
    std::vector<T> loaded;
    for (size_t i = 0; i < entries->size(); ++i) {
        Result<T> entry = read((*entries)[i], "/" + std::string(key) + "/" + std::to_string(i));
        if (!entry)
            return damaged(file, entry.error().context());
        loaded.push_back(std::move(*entry));
    }
    return loaded;
}

// Now in UTC as EC2 writes its timestamps (CreateTime, CreationDate):
// ISO 8601 with milliseconds, "2026-12-07T16:40:00.000Z".
std::string aws_timestamp_now();

}  // namespace twinbox::cloud
