// EC2 describe filters (see filters.h).
#include "cloud/filters.h"

#include <fmt/core.h>
#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "cloud/aws_error.h"

namespace twinbox::cloud {
namespace {

Error bad_filter(std::string_view argument) {
    return aws_error("InvalidParameterValue",
                     fmt::format("The filter '{}' is not Name=NAME,Values=V1,V2 or JSON",
                                 argument.substr(0, 100)));
}

Result<std::vector<Filter>> parse_json(std::string_view argument) {
    try {
        auto document = nlohmann::json::parse(argument);
        if (!document.is_array())
            document = nlohmann::json::array({document});
        std::vector<Filter> filters;
        for (const auto& item : document)
            filters.push_back({item.at("Name").get<std::string>(),
                               item.at("Values").get<std::vector<std::string>>()});
        return filters;
    } catch (const nlohmann::json::exception&) {
        return bad_filter(argument);
    }
}

}  // namespace

Result<std::vector<Filter>> parse_filters(std::string_view argument) {
    if (argument.starts_with("[") || argument.starts_with("{"))
        return parse_json(argument);
    constexpr std::string_view kName = "Name=", kValues = ",Values=";
    size_t values_at = argument.find(kValues);
    if (!argument.starts_with(kName) || values_at == std::string_view::npos)
        return bad_filter(argument);
    Filter filter{std::string(argument.substr(kName.size(), values_at - kName.size())), {}};
    std::string_view values = argument.substr(values_at + kValues.size());
    while (true) {
        size_t comma = values.find(',');
        filter.values.emplace_back(values.substr(0, comma));
        if (comma == std::string_view::npos)
            break;
        values.remove_prefix(comma + 1);
    }
    if (filter.name.empty())
        return bad_filter(argument);
    return std::vector<Filter>{std::move(filter)};
}

bool filter_matches(const Filter& filter, std::string_view value) {
    std::string text(value);
    for (const auto& pattern : filter.values)
        if (::fnmatch(pattern.c_str(), text.c_str(), 0) == 0)
            return true;
    return false;
}

}  // namespace twinbox::cloud
