#include "cloud/json_fields.h"

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <chrono>

namespace twinbox::cloud {

Result<std::string> string_field(const nlohmann::json& obj, std::string_view key,
                                 std::string_view path) {
    if (!obj.is_object())
        return Error::message(fmt::format("{}: expected an object", path));
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
        return Error::message(fmt::format("{}/{}: expected a string", path, key));
    return it->get<std::string>();
}

Result<nlohmann::json> array_field(const nlohmann::json& doc, std::string_view key) {
    auto it = doc.find(key);
    if (it == doc.end())
        return nlohmann::json::array();
    if (!it->is_array())
        return Error::message(fmt::format("/{}: expected an array", key));
    return *it;
}

std::string aws_timestamp_now() {
    auto now = std::chrono::system_clock::now();
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                       fmt::gmtime(std::chrono::system_clock::to_time_t(now)), millis);
}

}  // namespace twinbox::cloud
