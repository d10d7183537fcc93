// Templates and references (see expression.h).
#include "cloud/stack/expression.h"

#include <fmt/core.h>

#include <cctype>

namespace twinbox::cloud::stack {
namespace {

constexpr std::string_view kSupported =
    "supported: var.NAME, local.NAME, count.index, TYPE.NAME.ATTR, TYPE.NAME[N].ATTR";

bool identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

// Splits "a.b[0].c" into steps: "a", "b", "[0]", "c".
Result<std::vector<std::string>> split_traversal(std::string_view text) {
    std::vector<std::string> steps;
    size_t at = 0;
    auto refuse = [&] {
        return Error::message(fmt::format("'${{{}}}' is not a reference ({})", text, kSupported));
    };
    while (at < text.size()) {
        if (text[at] == '[') {
            size_t close = text.find(']', at);
            if (close == std::string_view::npos)
                return refuse();
            steps.emplace_back(trim(text.substr(at + 1, close - at - 1)));
            steps.back() = "[" + steps.back() + "]";
            at = close + 1;
        } else {
            size_t end = at;
            while (end < text.size() && identifier_char(text[end])) ++end;
            if (end == at || std::isdigit(static_cast<unsigned char>(text[at])))
                return refuse();
            steps.emplace_back(text.substr(at, end - at));
            at = end;
        }
        if (at < text.size() && text[at] == '.')
            ++at;
        else if (at < text.size() && text[at] != '[')
            return refuse();
    }
    if (steps.empty())
        return refuse();
    return steps;
}

Result<Reference> parse_reference(std::string_view inner) {
    std::string_view text = trim(inner);
    auto steps = TRY(split_traversal(text));
    Reference ref;
    ref.text = std::string(text);
    auto refuse = [&](std::string_view why) {
        return Error::message(fmt::format("'${{{}}}': {} ({})", text, why, kSupported));
    };
    const std::string& head = steps[0];
    if (head == "var" || head == "local") {
        if (steps.size() != 2 || steps[1].starts_with("["))
            return refuse("a variable or local is named by one word");
        ref.kind = head == "var" ? Reference::Kind::Variable : Reference::Kind::Local;
        ref.name = steps[1];
        return ref;
    }
    if (head == "count") {
        if (steps.size() != 2 || steps[1] != "index")
            return refuse("count has one attribute, index");
        ref.kind = Reference::Kind::CountIndex;
        return ref;
    }
    if (!head.starts_with("aws_"))
        return refuse(fmt::format("'{}' is not a reference twinbox evaluates", head));
    ref.kind = Reference::Kind::Resource;
    ref.type = head;
    size_t next = 2;
    if (steps.size() < 3 || steps[1].starts_with("["))
        return refuse("a resource reference names an attribute");
    ref.name = steps[1];
    if (steps[2].starts_with("[")) {
        std::string index = steps[2].substr(1, steps[2].size() - 2);
        if (index == "count.index") {
            ref.index_is_count = true;
        } else {
            if (index.empty() || index.size() > 6 ||
                index.find_first_not_of("0123456789") != std::string::npos)
                return refuse("an index is a number or count.index");
            ref.index = std::stoi(index);
        }
        next = 3;
    }
    if (steps.size() != next + 1 || steps[next].starts_with("["))
        return refuse("a resource reference names one attribute");
    ref.attribute = steps[next];
    return ref;
}

Result<void> collect(const Json& value, std::vector<Reference>& out) {
    if (value.is_string()) {
        for (auto& part : TRY(parse_template(value.get_ref<const std::string&>())))
            if (part.reference)
                out.push_back(std::move(*part.reference));
    } else if (value.is_structured()) {
        for (const auto& item : value) TRY(collect(item, out));
    }
    return ok();
}

}  // namespace

std::string Reference::node() const {
    switch (kind) {
        case Kind::Variable:
            return "var." + name;
        case Kind::Local:
            return "local." + name;
        case Kind::CountIndex:
            return "";
        case Kind::Resource:
            return type + "." + name;
    }
    return "";
}

Result<std::vector<TemplatePart>> parse_template(std::string_view text) {
    std::vector<TemplatePart> parts;
    std::string literal;
    size_t at = 0;
    while (at < text.size()) {
        if (text.substr(at, 3) == "$${" || text.substr(at, 3) == "%%{") {
            literal += text.substr(at + 1, 2);
            at += 3;
        } else if (text.substr(at, 2) == "%{") {
            return Error::message(
                fmt::format("template directives (%{{...}}) are not supported ({})", kSupported));
        } else if (text.substr(at, 2) == "${") {
            size_t close = text.find('}', at + 2);
            if (close == std::string_view::npos)
                return Error::message(fmt::format("'{}': an unclosed '${{'", text));
            if (!literal.empty())
                parts.push_back({std::move(literal), std::nullopt});
            literal.clear();
            parts.push_back({{}, TRY(parse_reference(text.substr(at + 2, close - at - 2)))});
            at = close + 1;
        } else {
            literal += text[at++];
        }
    }
    if (!literal.empty() || parts.empty())
        parts.push_back({std::move(literal), std::nullopt});
    return parts;
}

Result<std::vector<Reference>> references_in(const Json& value) {
    std::vector<Reference> refs;
    TRY(collect(value, refs));
    return refs;
}

bool is_unknown(const Json& value) {
    if (value.is_string())
        return value.get_ref<const std::string&>() == kUnknown;
    if (value.is_structured())
        for (const auto& item : value)
            if (is_unknown(item))
                return true;
    return false;
}

Result<Json> evaluate(const Json& value, const Resolver& resolve) {
    if (value.is_object()) {
        Json out = Json::object();
        for (const auto& [key, item] : value.items()) out[key] = TRY(evaluate(item, resolve));
        return out;
    }
    if (value.is_array()) {
        Json out = Json::array();
        for (const auto& item : value) out.push_back(TRY(evaluate(item, resolve)));
        return out;
    }
    if (!value.is_string())
        return value;
    auto parts = TRY(parse_template(value.get_ref<const std::string&>()));
    if (parts.size() == 1 && parts[0].reference)
        return resolve(*parts[0].reference);
    std::string text;
    for (const auto& part : parts) {
        if (!part.reference) {
            text += part.literal;
            continue;
        }
        Json item = TRY(resolve(*part.reference));
        if (is_unknown(item))
            return Json(kUnknown);
        if (item.is_structured())
            return Error::message(fmt::format(
                "'${{{}}}' is a list or map and cannot be part of a string", part.reference->text));
        if (item.is_string())
            text += item.get<std::string>();
        else if (!item.is_null())
            text += item.dump();
    }
    return Json(text);
}

std::string display(const Json& value) {
    if (is_unknown(value) && value.is_string())
        return "(known after apply)";
    if (value.is_object()) {
        std::string text = "{";
        for (const auto& [key, item] : value.items())
            text += fmt::format("{}{} = {}", text.size() > 1 ? ", " : " ", key, display(item));
        return text + (value.empty() ? "}" : " }");
    }
    if (value.is_array()) {
        std::string text = "[";
        for (const auto& item : value) text += (text.size() > 1 ? ", " : "") + display(item);
        return text + "]";
    }
    return value.dump();
}

}  // namespace twinbox::cloud::stack
