// The AWS CLI's shorthand syntax for the instance verbs (see instance_args.h).
#include "cloud/instance_args.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "cloud/aws_error.h"
#include "cloud/instance_json.h"
#include "cloud/ssh_wire.h"

namespace twinbox::cloud {

namespace {

Error invalid(std::string_view message) {
    return aws_error("InvalidParameterValue", message);
}

// Splits at commas outside [] and {}: "A=1,B=[{K=x,V=y}]" -> "A=1", "B=[{K=x,V=y}]".
std::vector<std::string_view> split_top_level(std::string_view text) {
    std::vector<std::string_view> parts;
    int depth = 0;
    size_t start = 0;
    for (size_t at = 0; at < text.size(); ++at) {
        char c = text[at];
        if (c == '[' || c == '{')
            ++depth;
        else if ((c == ']' || c == '}') && depth > 0)
            --depth;
        else if (c == ',' && depth == 0) {
            parts.push_back(text.substr(start, at - start));
            start = at + 1;
        }
    }
    parts.push_back(text.substr(start));
    return parts;
}

std::string_view strip(std::string_view text, char open, char close) {
    if (text.size() >= 2 && text.front() == open && text.back() == close)
        return text.substr(1, text.size() - 2);
    return text;
}

// "Key=Value" -> {"Key", "Value"}; false without '='.
bool split_pair(std::string_view item, std::string_view& key, std::string_view& value) {
    size_t equals = item.find('=');
    if (equals == std::string_view::npos)
        return false;
    key = item.substr(0, equals);
    value = item.substr(equals + 1);
    return true;
}

Result<Tag> parse_tag(std::string_view item, std::string_view spec) {
    Tag tag;
    bool has_key = false;
    for (auto field : split_top_level(strip(item, '{', '}'))) {
        std::string_view key, value;
        if (!split_pair(field, key, value))
            return invalid(fmt::format("Tag '{}' in '{}' is not Key=K,Value=V.", item, spec));
        if (key == "Key") {
            tag.first = value;
            has_key = true;
        } else if (key == "Value") {
            tag.second = value;
        } else {
            return invalid(fmt::format("Unknown tag field '{}' in '{}'.", key, spec));
        }
    }
    // EC2: "Tag keys ... must be between 1 and 128 characters; aws: is reserved".
    if (!has_key || tag.first.empty() || tag.first.size() > 128)
        return invalid(fmt::format("Tag '{}' needs a Key of 1 to 128 characters.", item));
    if (tag.first.starts_with("aws:"))
        return invalid("Tag keys starting with 'aws:' are reserved for internal use.");
    if (tag.second.size() > 256)
        return invalid(
            fmt::format("The value of tag '{}' is longer than 256 characters.", tag.first));
    return tag;
}

Result<void> check_resource_type(std::string_view type) {
    if (type != "instance")
        return invalid(fmt::format(
            "'{}' is not a resource type twinbox can tag at launch (only 'instance').", type));
    return ok();
}

Result<std::vector<Tag>> tags_from_json(const std::string& spec) {
    auto document = nlohmann::json::parse(spec, nullptr, false);
    if (!document.is_array())
        return invalid(fmt::format("--tag-specifications '{}' is not valid JSON.", spec));
    std::vector<Tag> tags;
    for (const auto& item : document) {
        if (!item.is_object() || !item.value("ResourceType", nlohmann::json()).is_string() ||
            !item.value("Tags", nlohmann::json::array()).is_array())
            return invalid("Each tag specification needs ResourceType and Tags.");
        TRY(check_resource_type(item["ResourceType"].get<std::string>()));
        for (const auto& tag : item.value("Tags", nlohmann::json::array())) {
            if (!tag.is_object() || !tag.value("Key", nlohmann::json()).is_string() ||
                !tag.value("Value", nlohmann::json("")).is_string())
                return invalid("Each tag needs a string Key and Value.");
            tags.push_back(
                TRY(parse_tag(fmt::format("Key={},Value={}", tag["Key"].get<std::string>(),
                                          tag.value("Value", std::string())),
                              spec)));
        }
    }
    return tags;
}

// A filter name EC2 knows and twinbox can answer.
bool known_filter(std::string_view name) {
    static constexpr std::array<std::string_view, 10> kNames = {"instance-id",
                                                                "instance-state-name",
                                                                "instance-state-code",
                                                                "instance-type",
                                                                "image-id",
                                                                "key-name",
                                                                "private-ip-address",
                                                                "reservation-id",
                                                                "tag-key",
                                                                "availability-zone"};
    return name.starts_with("tag:") ||
           std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

bool matches(const InstanceRecord& record, const Filter& filter);

}  // namespace

Result<std::vector<Tag>> parse_tag_specifications(const std::vector<std::string>& specs) {
    std::vector<Tag> tags;
    for (const auto& spec : specs) {
        if (spec.starts_with("[")) {
            auto from_json = TRY(tags_from_json(spec));
            tags.insert(tags.end(), from_json.begin(), from_json.end());
            continue;
        }
        bool has_type = false;
        for (auto field : split_top_level(spec)) {
            std::string_view key, value;
            if (!split_pair(field, key, value))
                return invalid(fmt::format(
                    "--tag-specifications '{}': expected ResourceType=instance,Tags=[{{Key=K,Value=V}}]",
                    spec));
            if (key == "ResourceType") {
                TRY(check_resource_type(value));
                has_type = true;
            } else if (key == "Tags") {
                std::string_view list = strip(value, '[', ']');
                if (list.empty())
                    continue;
                for (auto item : split_top_level(list)) tags.push_back(TRY(parse_tag(item, spec)));
            } else {
                return invalid(fmt::format("Unknown field '{}' in --tag-specifications.", key));
            }
        }
        if (!has_type)
            return invalid("--tag-specifications needs ResourceType=instance.");
    }
    for (size_t i = 0; i < tags.size(); ++i)
        for (size_t j = i + 1; j < tags.size(); ++j)
            if (tags[i].first == tags[j].first)
                return invalid(fmt::format("The tag key '{}' is given twice.", tags[i].first));
    return tags;
}

Result<void> check_instance_filters(const std::vector<Filter>& filters) {
    for (const auto& filter : filters)
        if (!known_filter(filter.name))
            return invalid(fmt::format("The filter '{}' is invalid", filter.name));
    return ok();
}

Result<std::vector<Filter>> parse_instance_filters(const std::vector<std::string>& specs) {
    auto filters = TRY(parse_filters(specs));
    TRY(check_instance_filters(filters));
    return filters;
}

namespace {

bool matches(const InstanceRecord& record, const Filter& filter) {
    const std::string& name = filter.name;
    if (name.starts_with("tag:")) {
        std::string_view key = std::string_view(name).substr(4);
        return std::any_of(record.tags.begin(), record.tags.end(), [&](const Tag& tag) {
            return tag.first == key && filter_matches(filter, tag.second);
        });
    }
    if (name == "tag-key")
        return std::any_of(record.tags.begin(), record.tags.end(),
                           [&](const Tag& tag) { return filter_matches(filter, tag.first); });
    std::string value;
    if (name == "instance-id")
        value = record.instance_id;
    else if (name == "instance-state-name")
        value = instance_state_name(record.state);
    else if (name == "instance-state-code")
        value = std::to_string(instance_state_code(record.state));
    else if (name == "instance-type")
        value = record.instance_type;
    else if (name == "image-id")
        value = record.image_id;
    else if (name == "key-name")
        value = record.key_name;
    else if (name == "private-ip-address")
        value = record.private_ip;
    else if (name == "reservation-id")
        value = record.reservation_id;
    else if (name == "availability-zone")
        value = kAvailabilityZone;
    return filter_matches(filter, value);
}

}  // namespace

bool matches_filters(const InstanceRecord& record, const std::vector<Filter>& filters) {
    return std::all_of(filters.begin(), filters.end(),
                       [&](const Filter& filter) { return matches(record, filter); });
}

Result<CountRange> parse_count(std::string_view text) {
    auto number = [&](std::string_view word, unsigned& out) {
        auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), out);
        return error == std::errc() && end == word.data() + word.size() && !word.empty();
    };
    CountRange range;
    size_t colon = text.find(':');
    bool parsed =
        colon == std::string_view::npos
            ? number(text, range.min) && number(text, range.max)
            : number(text.substr(0, colon), range.min) && number(text.substr(colon + 1), range.max);
    if (!parsed)
        return invalid(fmt::format("--count '{}': expected N or MIN:MAX", text));
    if (range.min < 1)
        return invalid(
            fmt::format("Value ({}) for parameter minCount is invalid. Expected a value "
                        "greater than or equal to 1.",
                        range.min));
    if (range.max < range.min)
        return invalid(
            fmt::format("Value ({}) for parameter maxCount is invalid. Expected a value "
                        "greater than or equal to minCount ({}).",
                        range.max, range.min));
    return range;
}

Result<std::string> parse_metadata_options(std::string_view text) {
    std::string tokens = "optional";
    for (auto field : split_top_level(text)) {
        std::string_view key, value;
        if (!split_pair(field, key, value))
            return invalid(fmt::format(
                "--metadata-options '{}': expected HttpTokens=required|optional", text));
        if (key == "HttpTokens") {
            if (value != "required" && value != "optional")
                return invalid(fmt::format(
                    "Value ({}) for parameter HttpTokens is invalid. Expected required or optional.",
                    value));
            tokens = value;
        } else if (key == "HttpEndpoint") {
            if (value != "enabled")
                return invalid(
                    "twinbox's instances always have the metadata endpoint (HttpEndpoint=enabled).");
        } else if (key != "HttpPutResponseHopLimit" && key != "InstanceMetadataTags" &&
                   key != "HttpProtocolIpv6") {
            return invalid(fmt::format("Unknown field '{}' in --metadata-options.", key));
        }
    }
    return tokens;
}

Result<std::string> encode_user_data(std::string_view raw) {
    if (raw.size() > kUserDataLimit)
        return invalid(fmt::format("User data is limited to {} bytes; this is {} bytes.",
                                   kUserDataLimit, raw.size()));
    return base64_encode(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
}

Result<void> check_instance_id(std::string_view id) {
    // EC2 accepts the older 8-digit ids too; twinbox makes 17.
    std::string_view hex = id.starts_with("i-") ? id.substr(2) : std::string_view();
    bool well_formed =
        (hex.size() == 8 || hex.size() == 17) && std::all_of(hex.begin(), hex.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        });
    if (!well_formed)
        return aws_error("InvalidInstanceID.Malformed",
                         fmt::format("Invalid id: \"{}\" (expecting \"i-...\")", id));
    return ok();
}

}  // namespace twinbox::cloud
