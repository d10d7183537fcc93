// libFuzzer target: what an unauthenticated peer of `twinbox cloud serve`
// controls before its signature is checked (cloud/api/query.h, sigv4.h):
// the form body or query string, and the Authorization and other headers
// that the SigV4 canonicaliser reads.
//
// Input: the bytes up to the first '\n' are a form (Action=...&Filter.1.Name=...),
// the following lines "Name: value" headers, the rest after an empty line a body.
//
// The oracle: nothing crashes, hangs or grows without bound, every refusal
// is an AWS error code, and the canonicaliser is a function of the request:
// a form parsed, re-encoded with SigV4's encoding and parsed again gives the
// same pairs; the canonical request of the same request twice is the same.
//
// Build and run (clang, not in ALL): make fuzz-api-request, then
//   BUILD/tests/fuzz/api_request_fuzz -max_total_time=300 WORK
// with WORK a copy of tests/fuzz/corpus/api_request. The ctest
// api_request_fuzz_corpus replays the kept corpus with a plain main().
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cloud/api/query.h"
#include "cloud/api/sigv4.h"
#include "cloud/aws_error.h"

namespace {

using namespace twinbox::cloud;
using namespace twinbox::cloud::api;

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "api_request_fuzz: %s\n", what);
        std::abort();
    }
}

void exercise_query(const QueryPairs& pairs) {
    auto query = Query::from_pairs(pairs);
    if (!query) {
        check(!aws_error_code(query.error()).empty(), "a query refusal without an AWS code");
        return;
    }
    for (auto path :
         {"InstanceId", "KeyName", "Owner", "TagSpecification.1.Tag", "IpPermissions.1.IpRanges"}) {
        auto values = query->strings(path);
        check(values || !aws_error_code(values.error()).empty(), "strings without a code");
        if (const QueryNode* node = query->node(path)) {
            auto items = list_items(*node, path);
            check(items || !aws_error_code(items.error()).empty(), "list without a code");
        }
    }
    auto filters = query->filters();
    check(filters || !aws_error_code(filters.error()).empty(), "filters without a code");
    auto count = query->integer("MaxCount", 1, 1000);
    check(count || !aws_error_code(count.error()).empty(), "integer without a code");
    if (auto data = query->value("UserData"))
        (void)decode_base64(*data, "UserData");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t newline = input.find('\n');
    std::string_view form = input.substr(0, newline);

    auto pairs = parse_form(form);
    if (!pairs) {
        check(!aws_error_code(pairs.error()).empty(), "a form refusal without an AWS code");
    } else {
        check(pairs->size() <= kMaxParameters, "more pairs than the limit");
        exercise_query(*pairs);
        // Round trip through SigV4's encoding.
        std::string encoded;
        for (const auto& [name, value] : *pairs)
            encoded += (encoded.empty() ? "" : "&") + uri_encode(name, false) + "=" +
                       uri_encode(value, false);
        auto again = parse_form(encoded);
        check(again && *again == *pairs, "form -> uri_encode -> form changed the pairs");
    }

    HttpRequest request{"POST", "/", pairs ? *pairs : QueryPairs{}, {}, ""};
    std::string_view rest = newline == std::string_view::npos ? "" : input.substr(newline + 1);
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? "" : rest.substr(end + 1);
        if (line.empty()) {
            request.body = rest;
            break;
        }
        size_t colon = line.find(':');
        request.headers.emplace_back(line.substr(0, colon),
                                     colon == std::string_view::npos ? "" : line.substr(colon + 1));
        if (request.headers.size() > 64)
            break;
    }
    for (const auto& [name, value] : request.headers)
        if (name == "Authorization") {
            auto auth = parse_authorization(value);
            if (auth) {
                check(canonical_request(request, auth->signed_headers) ==
                          canonical_request(request, auth->signed_headers),
                      "canonical request not deterministic");
            }
        }
    Verifier verifier([](std::string_view) -> std::optional<std::string> { return "secret"; },
                      "local-1", "ec2");
    auto when = parse_amz_date("20261207T224740Z");
    auto verified = verifier.verify(request, *when);
    check(verified || !aws_error_code(verified.error()).empty(), "a verify refusal without a code");
    return 0;
}
