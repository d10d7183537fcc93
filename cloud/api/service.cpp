#include "cloud/api/service.h"

#include <fmt/core.h>

#include <random>

#include "cloud/api/actions.h"
#include "cloud/api/credentials.h"
#include "cloud/api/xml.h"
#include "cloud/aws_error.h"
#include "cloud/instance_json.h"
#include "common/log.h"

namespace twinbox::cloud::api {

namespace {

// A UUID's shape, as EC2's; it only has to tell requests apart in the log.
std::string request_id() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    uint64_t high = random(), low = random();
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                       high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

ApiResponse error_response(std::string_view code, std::string_view message, std::string id) {
    return {status_of(code), error_xml(code, message, id), id};
}

ApiResponse from_error(const Error& error, std::string id) {
    std::string code = aws_error_code(error);
    if (code.empty()) {
        log::error("twinbox cloud serve: {}", error.to_string());
        return error_response("InternalError", error.to_string(), std::move(id));
    }
    return error_response(code, error.context(), std::move(id));
}

bool form_body(const HttpRequest& request) {
    for (const auto& [name, value] : request.headers) {
        std::string lower;
        for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "content-type")
            return value.starts_with("application/x-www-form-urlencoded");
    }
    return false;
}

}  // namespace

int status_of(std::string_view code) {
    if (code.empty() || code == "InternalError")
        return 500;
    if (code == "AuthFailure" || code == "MissingAuthenticationToken")
        return 401;
    if (code == "SignatureDoesNotMatch")
        return 403;
    return 400;
}

ApiService::ApiService(std::string store_dir)
    : m_dir(std::move(store_dir)),
      m_verifier(
          [this](std::string_view key) -> std::optional<std::string> {
              auto store = StateStore::open(m_dir);
              auto secret = store ? find_secret(*store, key)
                                  : Result<std::optional<std::string>>(store.error());
              if (!secret) {
                  log::error("twinbox cloud serve: {}", secret.error().to_string());
                  return std::nullopt;
              }
              return *secret;
          },
          kRegion, "ec2") {}

ApiResponse ApiService::handle(const HttpRequest& request,
                               std::chrono::system_clock::time_point now) {
    std::string id = request_id();
    auto key = m_verifier.verify(request, now);
    if (!key)
        return from_error(key.error(), id);
    QueryPairs pairs = request.query;
    if (request.method == "POST") {
        if (!form_body(request))
            return error_response("InvalidParameterValue",
                                  "The body must be application/x-www-form-urlencoded", id);
        auto body = parse_form(request.body);
        if (!body)
            return from_error(body.error(), id);
        pairs.insert(pairs.end(), body->begin(), body->end());
    }
    auto query = Query::from_pairs(pairs);
    if (!query)
        return from_error(query.error(), id);
    auto name = query->value("Action");
    if (!name)
        return error_response("MissingAction", "The request must contain the parameter Action", id);
    const Action* action = find_action(*name);
    const VpcVerb* vpc_verb = action == nullptr ? find_vpc_verb(*name) : nullptr;
    if (action == nullptr && vpc_verb == nullptr)
        return error_response(
            "InvalidAction",
            fmt::format("The action {} is not valid for this web service (twinbox serves: see "
                        "docs/cloud.md, The EC2 API)",
                        *name),
            id);
    auto store = StateStore::open(m_dir);
    if (!store)
        return from_error(store.error(), id);
    auto result = action ? action->run(*store, *query) : run_vpc_verb(*vpc_verb, *store, *query);
    if (!result)
        return from_error(result.error(), id);
    return {200, response_xml(*name, *result, id), id};
}

}  // namespace twinbox::cloud::api
