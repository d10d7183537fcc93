// EC2 describe filters (see filters.h).
#include "cloud/filters.h"

#include <fmt/core.h>

#include <algorithm>

#include "cloud/aws_error.h"
#include "common/json_reader.h"

namespace twinbox::cloud {
namespace {

Error bad_filter(std::string_view argument) {
    return aws_error("InvalidParameterValue",
                     fmt::format("The filter '{}' is not Name=NAME,Values=V1,V2 or JSON",
                                 argument.substr(0, 100)));
}

// JSON: one {"Name": N, "Values": [...]} or an array of them.
Result<std::vector<Filter>> parse_json(std::string_view argument) {
    auto document = json_reader::parse(argument, 64 << 10);
    if (!document)
        return bad_filter(argument);
    json_reader::Json list =
        document->is_array() ? *document : json_reader::Json::array({*document});
    json_reader::Node root(list, "", "--filters");
    std::vector<Filter> filters;
    for (size_t index = 0; index < list.size(); ++index) {
        json_reader::Node item = root.element(index);
        Filter filter;
        if (!json_reader::expect_object(item) ||
            !json_reader::read_required(item, "Name", filter.name) ||
            !json_reader::read_required(item, "Values", filter.values))
            return bad_filter(argument);
        filters.push_back(std::move(filter));
    }
    return filters;
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

Result<std::vector<Filter>> parse_filters(const std::vector<std::string>& arguments) {
    std::vector<Filter> filters;
    for (const auto& argument : arguments) {
        auto parsed = TRY(parse_filters(std::string_view(argument)));
        filters.insert(filters.end(), parsed.begin(), parsed.end());
    }
    return filters;
}

bool filter_matches(const Filter& filter, std::string_view value) {
    return std::any_of(filter.values.begin(), filter.values.end(),
                       [&](const std::string& pattern) { return wildcard_match(pattern, value); });
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
    // Iterative glob with one backtrack point (the last '*').
    size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace twinbox::cloud
