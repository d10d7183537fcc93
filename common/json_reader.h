// The strict JSON reader every file twinbox reads goes through: config.json
// and `twinbox-oci update`'s resources (container/oci), container state, the
// image index and manifests, image archives (host/image/transfer_*.cpp),
// seccomp profiles, network and lease files, nft listings, the VM registry
// and the cloud state.
//
// Every value is read through a Node, a JSON value paired with the path that
// reached it ("linux.namespaces[2].type"), so that each error names exactly
// what is wrong and where, instead of a try/catch that turns a damaged file
// into silent defaults. The readers check the JSON type before touching the
// value, so nlohmann-json never throws from here; parse() is the boundary
// that turns its exceptions into Errors (STYLE.md 11).
//
// Overloads of read() for each type live in this namespace or in the
// namespace of the type read (argument-dependent lookup finds them there), so
// `read_member(node, "process", spec.process)` works for any field type.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::json_reader {

using Json = nlohmann::json;

class Node {
public:
    // `document` names the whole value in errors about it ("config", "state.json").
    Node(const Json& value, std::string path, std::string_view document = "config")
        : m_value(&value), m_path(std::move(path)), m_document(document) {}

    const Json& json() const { return *m_value; }
    const std::string& path() const { return m_path; }

    // The member `key` of this object, or nullopt when it is absent or JSON
    // null (Go runtimes write null for unset pointers; the spec's OPTIONAL).
    std::optional<Node> member(std::string_view key) const {
        if (!m_value->is_object())
            return std::nullopt;
        auto found = m_value->find(key);
        if (found == m_value->end() || found->is_null())
            return std::nullopt;
        return Node(*found, child_path(key), m_document);
    }
    Node element(size_t index) const {
        return Node((*m_value)[index], m_path + "[" + std::to_string(index) + "]", m_document);
    }
    // The path a member would have, for "required" errors about absent keys.
    std::string child_path(std::string_view key) const {
        return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
    }

    // "process.cwd: must be an absolute path"
    Error error(std::string_view problem) const {
        return Error::message((m_path.empty() ? std::string(m_document) : m_path) + ": " +
                              std::string(problem));
    }

private:
    const Json* m_value;
    std::string m_path;
    std::string_view m_document;
};

// Parses JSON text; a syntax error says where ("not valid JSON (at byte 7)"),
// never what it read there.
// At most `max_bytes`: anything larger is not a file twinbox wrote.
Result<Json> parse(std::string_view text, size_t max_bytes = 16 << 20);

// A file twinbox wrote that cannot be read as it should: "FILE is damaged
// (WHY)", of kind Damaged, so that callers name it and never overwrite it.
Error damaged(std::string_view file, const Error& why);

// Reads and parses `file`; a file that is missing is an ordinary error
// (errno ENOENT), one that is unreadable or not JSON is damaged().
Result<Json> parse_file(const std::string& file, size_t max_bytes = 16 << 20);

Result<void> expect_object(const Node& node);
Result<void> expect_array(const Node& node);

// Scalars. Integers are range-checked against the destination type, so a
// negative uid or a 2^40 umask is an error rather than a silent wrap-around.
Result<void> read(const Node& node, std::string& out);
Result<void> read(const Node& node, bool& out);
Result<void> read(const Node& node, std::map<std::string, std::string>& out);

template <std::integral T>
requires(!std::same_as<T, bool>) Result<void> read(const Node& node, T& out) {
    constexpr auto kMin = std::numeric_limits<T>::min();
    constexpr auto kMax = std::numeric_limits<T>::max();
    const Json& value = node.json();
    auto out_of_range = [&] {
        return node.error("must be an integer from " + std::to_string(kMin) + " to " +
                          std::to_string(kMax));
    };
    // nlohmann keeps non-negative integers as uint64 and negative ones as int64.
    if (value.is_number_unsigned()) {
        auto number = value.get<uint64_t>();
        if (number > static_cast<uint64_t>(kMax))
            return out_of_range();
        out = static_cast<T>(number);
        return ok();
    }
    if (value.is_number_integer()) {
        auto number = value.get<int64_t>();
        if constexpr (std::is_unsigned_v<T>) {
            return out_of_range();  // only negative numbers are stored as int64
        } else {
            if (number < static_cast<int64_t>(kMin) || number > static_cast<int64_t>(kMax))
                return out_of_range();
            out = static_cast<T>(number);
            return ok();
        }
    }
    return out_of_range();
}

template <typename T>
Result<void> read(const Node& node, std::optional<T>& out) {
    T value{};
    TRY(read(node, value));
    out = std::move(value);
    return ok();
}

template <typename T>
Result<void> read(const Node& node, std::vector<T>& out) {
    TRY(expect_array(node));
    out.clear();
    out.reserve(node.json().size());
    for (size_t index = 0; index < node.json().size(); ++index) {
        T value{};
        TRY(read(node.element(index), value));
        out.push_back(std::move(value));
    }
    return ok();
}

// Reads object member `key` into `out` when present; leaves `out` untouched
// (its default) when the member is absent, as the spec's OPTIONAL means.
template <typename T>
Result<void> read_member(const Node& object, std::string_view key, T& out) {
    if (auto member = object.member(key))
        return read(*member, out);
    return ok();
}

template <typename T>
Result<void> read_required(const Node& object, std::string_view key, T& out) {
    auto member = object.member(key);
    if (!member)
        return Error::message(object.child_path(key) + ": required");
    return read(*member, out);
}

}  // namespace twinbox::json_reader
