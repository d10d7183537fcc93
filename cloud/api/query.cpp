#include "cloud/api/query.h"

#include <fmt/core.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include "cloud/aws_error.h"

namespace twinbox::cloud::api {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

Error invalid(std::string message) {
    return aws_error("InvalidParameterValue", message);
}

// "Filter.1.Value.2" -> {"Filter", "1", "Value", "2"}; empty components refused.
Result<std::vector<std::string_view>> split_name(std::string_view name) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t dot = name.find('.', start);
        std::string_view part =
            name.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (part.empty())
            return invalid(fmt::format("The parameter name '{}' is malformed", name));
        parts.push_back(part);
        if (parts.size() > kMaxDepth)
            return invalid(fmt::format("The parameter name '{}' is nested too deeply", name));
        if (dot == std::string_view::npos)
            return parts;
        start = dot + 1;
    }
}

std::optional<unsigned> index_of(std::string_view key) {
    unsigned index = 0;
    auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (error != std::errc() || end != key.data() + key.size() || key[0] == '0' || index == 0 ||
        index > kMaxIndex)
        return std::nullopt;
    return index;
}

}  // namespace

std::optional<std::string> form_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            int high = hex_digit(text[i + 1]), low = hex_digit(text[i + 2]);
            if (high < 0 || low < 0)
                return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

Result<QueryPairs> parse_form(std::string_view text) {
    QueryPairs pairs;
    size_t start = 0;
    while (start <= text.size()) {
        size_t amp = text.find('&', start);
        std::string_view item = text.substr(
            start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        start = amp == std::string_view::npos ? text.size() + 1 : amp + 1;
        if (item.empty())
            continue;
        if (pairs.size() == kMaxParameters)
            return invalid(fmt::format("More than {} parameters", kMaxParameters));
        size_t equals = item.find('=');
        auto name = form_decode(item.substr(0, equals));
        auto value = form_decode(equals == std::string_view::npos ? "" : item.substr(equals + 1));
        if (!name || !value)
            return invalid("The request has a malformed percent-encoding");
        if (name->empty() || name->size() > kMaxNameLength)
            return invalid(
                fmt::format("A parameter name is empty or longer than {} bytes", kMaxNameLength));
        if (value->size() > kMaxValueLength)
            return invalid(
                fmt::format("The value of {} is longer than {} bytes", *name, kMaxValueLength));
        pairs.emplace_back(std::move(*name), std::move(*value));
    }
    return pairs;
}

Result<Query> Query::from_pairs(const QueryPairs& pairs) {
    if (pairs.size() > kMaxParameters)
        return invalid(fmt::format("More than {} parameters", kMaxParameters));
    Query query;
    for (const auto& [name, value] : pairs) {
        auto parts = TRY(split_name(name));
        QueryNode* node = &query.m_root;
        for (auto part : parts) {
            if (node->value)
                return invalid(
                    fmt::format("The parameter {} is both a value and a structure", name));
            node = &node->children[std::string(part)];
        }
        if (node->value || !node->children.empty())
            return invalid(fmt::format("The parameter {} is given more than once", name));
        node->value = value;
    }
    return query;
}

const QueryNode* Query::node(std::string_view path) const {
    const QueryNode* node = &m_root;
    size_t start = 0;
    while (node != nullptr) {
        size_t dot = path.find('.', start);
        std::string_view part =
            path.substr(start, dot == std::string_view::npos ? dot : dot - start);
        auto found = node->children.find(part);
        node = found == node->children.end() ? nullptr : &found->second;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return node;
}

std::optional<std::string> Query::value(std::string_view path) const {
    const QueryNode* found = node(path);
    return found ? found->value : std::nullopt;
}

Result<std::string> Query::required(std::string_view path) const {
    auto found = value(path);
    if (!found)
        return aws_error("MissingParameter",
                         fmt::format("The request must contain the parameter {}", path));
    return *found;
}

Result<std::vector<const QueryNode*>> list_items(const QueryNode& list, std::string_view name) {
    if (list.value)
        return invalid(
            fmt::format("The parameter {} is a list: give {}.1, {}.2, ...", name, name, name));
    std::vector<std::pair<unsigned, const QueryNode*>> items;
    for (const auto& [key, child] : list.children) {
        auto index = index_of(key);
        if (!index)
            return invalid(
                fmt::format("{}.{}: expected an index from 1 to {}", name, key, kMaxIndex));
        items.emplace_back(*index, &child);
    }
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const QueryNode*> nodes;
    for (const auto& item : items) nodes.push_back(item.second);
    return nodes;
}

std::optional<std::string> child_value(const QueryNode& node, std::string_view name) {
    auto found = node.children.find(name);
    return found == node.children.end() ? std::nullopt : found->second.value;
}

Result<std::vector<std::string>> Query::strings(std::string_view path) const {
    std::vector<std::string> values;
    const QueryNode* list = node(path);
    if (list == nullptr)
        return values;
    for (const QueryNode* item : TRY(list_items(*list, path))) {
        if (!item->value)
            return invalid(fmt::format("The items of {} are strings", path));
        values.push_back(*item->value);
    }
    return values;
}

Result<std::vector<Filter>> Query::filters(std::string_view path) const {
    std::vector<Filter> filters;
    const QueryNode* list = node(path);
    if (list == nullptr)
        return filters;
    for (const QueryNode* item : TRY(list_items(*list, path))) {
        auto name = child_value(*item, "Name");
        if (!name || name->empty())
            return aws_error("MissingParameter", fmt::format("A {} has no Name", path));
        Filter filter{*name, {}};
        auto values = item->children.find("Value");
        if (values != item->children.end())
            for (const QueryNode* value : TRY(list_items(values->second, "Filter.N.Value"))) {
                if (!value->value)
                    return invalid("The values of a filter are strings");
                filter.values.push_back(*value->value);
            }
        filters.push_back(std::move(filter));
    }
    return filters;
}

Result<std::optional<long>> Query::integer(std::string_view path, long low, long high) const {
    auto text = value(path);
    if (!text)
        return std::optional<long>();
    long number = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), number);
    if (text->empty() || error != std::errc() || end != text->data() + text->size() ||
        number < low || number > high)
        return invalid(
            fmt::format("Value ({}) for parameter {} is invalid. Expected an integer "
                        "from {} to {}.",
                        *text, path, low, high));
    return std::optional<long>(number);
}

Result<std::optional<bool>> Query::boolean(std::string_view path) const {
    auto text = value(path);
    if (!text)
        return std::optional<bool>();
    if (*text == "true")
        return std::optional<bool>(true);
    if (*text == "false")
        return std::optional<bool>(false);
    return invalid(fmt::format("Value ({}) for parameter {} is invalid. Expected true or false.",
                               *text, path));
}

Result<std::string> decode_base64(std::string_view text, std::string_view parameter) {
    std::string compact;
    for (char c : text)
        if (c != '\n' && c != '\r')
            compact += c;
    if (compact.size() % 4 != 0)
        return invalid(fmt::format("Invalid BASE64 encoding of {}", parameter));
    std::string out(compact.size() / 4 * 3, '\0');
    int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(compact.data()),
                               static_cast<int>(compact.size()));
    if (size < 0)
        return invalid(fmt::format("Invalid BASE64 encoding of {}", parameter));
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t padding = compact.ends_with("==") ? 2 : compact.ends_with("=") ? 1 : 0;
    out.resize(static_cast<size_t>(size) - padding);
    return out;
}

std::string encode_base64(std::string_view bytes) {
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
    int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(size));
    return out;
}

}  // namespace twinbox::cloud::api
