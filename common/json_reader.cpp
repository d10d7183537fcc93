#include "common/json_reader.h"

#include <fmt/core.h>

#include <algorithm>
#include <new>

#include "common/file.h"

namespace twinbox::json_reader {

namespace {

// nlohmann's messages start with "[json.exception.type_error.302] "; the
// rest ("type must be string, but is number") is what a user needs.
std::string without_exception_id(const char* what) {
    std::string_view text(what);
    if (text.starts_with("[json.exception.")) {
        size_t end = text.find("] ");
        if (end != std::string_view::npos)
            text.remove_prefix(end + 2);
    }
    return std::string(text);
}

}  // namespace

Result<Json> parse(std::string_view text, size_t max_bytes) {
    if (text.size() > max_bytes)
        return Error::message(
            fmt::format("{} bytes, more than the {} allowed", text.size(), max_bytes));
    // nlohmann-json reports errors by throwing; this is the boundary where its
    // exceptions become Errors. Its parser is iterative, so deeply nested
    // input cannot overflow the stack.
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& error) {
        // Only where: nlohmann's own text quotes the bytes it last read, and
        // the file may be a secret, or a link to one in a hostile archive.
        size_t end = std::min<size_t>(error.byte > 0 ? error.byte - 1 : 0, text.size());
        std::string_view before = text.substr(0, end);
        size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
        size_t line_start = before.rfind('\n');
        size_t column = line_start == std::string_view::npos ? error.byte : end - line_start;
        return Error::message(fmt::format("not valid JSON (at byte {}: line {}, column {})",
                                          error.byte, line, column));
    } catch (const Json::exception& error) {
        return Error::message(without_exception_id(error.what()));
    } catch (const std::bad_alloc&) {
        return Error::message("out of memory while parsing");
    }
}

Error damaged(std::string_view file, const Error& why) {
    return Error::message(fmt::format("{} is damaged ({})", file, why.to_string()))
        .with_kind(Error::Kind::Damaged);
}

Result<Json> parse_file(const std::string& file, size_t max_bytes) {
    auto bytes = read_whole_file(file, "file", max_bytes + 1);
    if (!bytes) {
        if (bytes.error().code() == ENOENT)
            return std::move(bytes).error();
        return damaged(file, bytes.error());
    }
    auto document = parse(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), max_bytes);
    if (!document)
        return damaged(file, document.error());
    return document;
}

Result<void> expect_object(const Node& node) {
    if (!node.json().is_object())
        return node.error("must be an object");
    return ok();
}

Result<void> expect_array(const Node& node) {
    if (!node.json().is_array())
        return node.error("must be an array");
    return ok();
}

Result<void> read(const Node& node, std::string& out) {
    if (!node.json().is_string())
        return node.error("must be a string");
    out = node.json().get<std::string>();
    return ok();
}

Result<void> read(const Node& node, bool& out) {
    if (!node.json().is_boolean())
        return node.error("must be true or false");
    out = node.json().get<bool>();
    return ok();
}

Result<void> read(const Node& node, std::map<std::string, std::string>& out) {
    TRY(expect_object(node));
    out.clear();
    for (const auto& [key, value] : node.json().items()) {
        std::string text;
        TRY(read(Node(value, node.child_path(key)), text));
        out.emplace(key, std::move(text));
    }
    return ok();
}

}  // namespace twinbox::json_reader
