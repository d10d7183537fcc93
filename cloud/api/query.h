// The EC2 Query protocol's parameters (EC2 API reference, "Query requests";
// the shapes the AWS CLI and boto3 send are captured in
// tests/unit/cloud/api/fixtures/clients.jsonl): a form-urlencoded POST body,
// or a GET query string, of `Name=Value` pairs joined by '&', names
// flattened with dots and 1-based indices:
//
//   InstanceId.1=i-1                       a list of strings
//   Filter.1.Name=x&Filter.1.Value.1=y     a list of structures holding lists
//   TagSpecification.1.Tag.1.Key=Name      two levels
//   MetadataOptions.HttpTokens=required    a structure
//
// Parsed into a tree whose children are keyed by the dotted components, so
// every action reads its input the same way. Everything comes from an
// unauthenticated peer until the signature is checked, so sizes and counts
// are bounded and every malformed input is an InvalidParameterValue error,
// never a crash.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloud/filters.h"
#include "common/result.h"

namespace twinbox::cloud::api {

inline constexpr size_t kMaxParameters = 1000;
inline constexpr size_t kMaxNameLength = 256;
inline constexpr size_t kMaxValueLength = 64 << 10;  // a 16 KiB user data is ~22 KiB in base64
inline constexpr size_t kMaxDepth = 8;
inline constexpr unsigned kMaxIndex = 1000;

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

// Percent-decoding of application/x-www-form-urlencoded ('+' is a space);
// nullopt for a '%' not followed by two hex digits.
std::optional<std::string> form_decode(std::string_view text);
// "a=1&b=2" decoded into pairs, in order. InvalidParameterValue for a bad
// escape, more than kMaxParameters pairs or an over-long name or value.
Result<QueryPairs> parse_form(std::string_view text);

struct QueryNode {
    std::optional<std::string> value;
    std::map<std::string, QueryNode, std::less<>> children;
};

class Query {
public:
    // The pairs of the body and of the query string together; a name given
    // twice is refused (AWS takes neither silently).
    static Result<Query> from_pairs(const QueryPairs& pairs);

    const QueryNode& root() const { return m_root; }
    // The node at a dotted path ("MetadataOptions.HttpTokens"), or null.
    const QueryNode* node(std::string_view path) const;
    // The scalar at `path`, or nullopt.
    std::optional<std::string> value(std::string_view path) const;
    // The scalar at `path`: MissingParameter when absent.
    Result<std::string> required(std::string_view path) const;
    // `path`.1, `path`.2, ... as strings ("InstanceId" -> ["i-1", ...]).
    Result<std::vector<std::string>> strings(std::string_view path) const;
    // Filter.N.Name and Filter.N.Value.M.
    Result<std::vector<Filter>> filters(std::string_view path = "Filter") const;
    // An integer within [low, high]; nullopt when absent.
    Result<std::optional<long>> integer(std::string_view path, long low, long high) const;
    // "true"/"false"; nullopt when absent.
    Result<std::optional<bool>> boolean(std::string_view path) const;

private:
    QueryNode m_root;
};

// The items of a list node in index order (children "1", "2", ...):
// InvalidParameterValue when a child is not an index in [1, kMaxIndex].
Result<std::vector<const QueryNode*>> list_items(const QueryNode& list, std::string_view name);
// The scalar child `name` of `node`, or nullopt.
std::optional<std::string> child_value(const QueryNode& node, std::string_view name);

// Blobs (UserData, PublicKeyMaterial, GetConsoleOutput's Output) travel in
// base64. InvalidParameterValue naming `parameter` for text that is not.
Result<std::string> decode_base64(std::string_view text, std::string_view parameter);
std::string encode_base64(std::string_view bytes);

}  // namespace twinbox::cloud::api
