// aws_key_pair: an OpenSSH public key imported under a name (ImportKeyPair,
// cloud/key_pairs.h). As in the AWS provider, its id is the key name, and
// key_name and public_key force a replacement. Its tags live in the stack's
// state only: the key pair store keeps none.
#include <fmt/core.h>

#include "cloud/aws_error.h"
#include "cloud/key_pairs.h"
#include "cloud/stack/resource_types.h"

namespace twinbox::cloud::stack {
namespace {

Result<Json> create(const StateStore& store, const Json& args) {
    if (!args["key_name"].is_string() || !args["public_key"].is_string())
        return Error::message("key_name and public_key must be strings");
    auto key = TRY(import_key_pair(store, args["key_name"].get<std::string>(),
                                   args["public_key"].get<std::string>()));
    return Json{
        {"id", key.key_name}, {"key_pair_id", key.key_pair_id}, {"fingerprint", key.fingerprint}};
}

Result<std::optional<Observed>> read(const StateStore& store, const Json& attributes) {
    std::string name = attributes.value("id", std::string());
    auto keys = describe_key_pairs(store, {name});
    if (!keys && aws_error_code(keys.error()) == "InvalidKeyPair.NotFound")
        return std::optional<Observed>();
    if (!keys)
        return std::move(keys).error();
    const KeyPairInfo& key = keys->front();
    // Deleted and imported again under the same name: another key pair.
    if (key.key_pair_id != attributes.value("key_pair_id", std::string()))
        return std::optional<Observed>();
    return std::optional<Observed>(Observed{Json{{"key_name", key.key_name}}, Json::object()});
}

Result<void> destroy(const StateStore& store, const Json& attributes) {
    return delete_key_pair(store, attributes.value("id", std::string()));
}

Result<Json> update(const StateStore&, const Json& attributes, const Json&, const Json&) {
    return attributes;  // tags only, kept in the state
}

}  // namespace

ResourceType aws_key_pair_type() {
    return {.name = "aws_key_pair",
            .arguments = {{"key_name", true, true}, {"public_key", true, true}, {"tags"}},
            .attributes = {"id", "key_pair_id", "fingerprint"},
            .create = create,
            .read = read,
            .update = update,
            .destroy = destroy,
            .also_forces = {}};
}

}  // namespace twinbox::cloud::stack
