// The action table, and the key pair, instance type and AMI actions.
#include "cloud/api/actions.h"

#include <array>
#include <vector>

#include "cloud/aws_error.h"
#include "cloud/images.h"
#include "cloud/instance_types.h"
#include "cloud/key_pairs.h"
#include "host/image/store.h"

namespace twinbox::cloud::api {

namespace detail {

namespace {

Result<nlohmann::json> create_key_pair(const StateStore& store, const Query& query) {
    auto type = TRY(key_type_parameter(query.value("KeyType").value_or("rsa"),
                                       query.value("KeyFormat").value_or("pem")));
    auto created = TRY(cloud::create_key_pair(store, TRY(query.required("KeyName")), type));
    return nlohmann::json{{"KeyFingerprint", created.info.fingerprint},
                          {"KeyMaterial", created.key_material},
                          {"KeyName", created.info.key_name},
                          {"KeyPairId", created.info.key_pair_id}};
}

// PublicKeyMaterial is a blob: base64 on the wire (botocore encodes it).
Result<nlohmann::json> import_key_pair(const StateStore& store, const Query& query) {
    auto material =
        TRY(decode_base64(TRY(query.required("PublicKeyMaterial")), "PublicKeyMaterial"));
    auto info = TRY(cloud::import_key_pair(store, TRY(query.required("KeyName")), material));
    nlohmann::json result = to_json(info);
    result.erase("KeyType");
    result.erase("CreateTime");
    return result;
}

Result<nlohmann::json> describe_key_pairs(const StateStore& store, const Query& query) {
    auto include_public_key = TRY(query.boolean("IncludePublicKey")).value_or(false);
    auto keys = TRY(cloud::describe_key_pairs(store, TRY(query.strings("KeyName")),
                                              TRY(query.strings("KeyPairId"))));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& key : keys) list.push_back(to_json(key, include_public_key));
    return nlohmann::json{{"KeyPairs", list}};
}

Result<nlohmann::json> delete_key_pair(const StateStore& store, const Query& query) {
    TRY(cloud::delete_key_pair(store, TRY(query.required("KeyName"))));
    return nlohmann::json();
}

Result<nlohmann::json> describe_instance_types(const StateStore&, const Query& query) {
    return nlohmann::json{
        {"InstanceTypes", TRY(cloud::describe_instance_types(TRY(query.strings("InstanceType"))))}};
}

Result<nlohmann::json> describe_images(const StateStore& store, const Query& query) {
    // The provided AMI is registered on first use, as `twinbox ec2 describe-images` does.
    TRY(ensure_provided_ami(store));
    auto amis = TRY(cloud::describe_images(store, TRY(query.strings("ImageId")),
                                           TRY(query.strings("Owner")), TRY(query.filters())));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& ami : amis) list.push_back(to_json(ami));
    return nlohmann::json{{"Images", list}};
}

// twinbox's RegisterImage takes an image of the store as ImageLocation (EC2's
// field for an S3 manifest), since there is no snapshot to register.
Result<nlohmann::json> register_image(const StateStore& store, const Query& query) {
    TRY(check_register_options(query.value("VirtualizationType").value_or("hvm"),
                               query.value("Architecture").value_or("x86_64")));
    RegisterRequest request;
    request.name = TRY(query.required("Name"));
    request.source = TRY(query.required("ImageLocation"));
    request.description = query.value("Description").value_or("");
    auto images = TRY(image::ImageStore::open());
    auto ami = TRY(cloud::register_image(store, images, request));
    return nlohmann::json{{"ImageId", ami.image_id}};
}

Result<nlohmann::json> deregister_image(const StateStore& store, const Query& query) {
    TRY(cloud::deregister_image(store, TRY(query.required("ImageId"))));
    return nlohmann::json();
}

constexpr std::array kKeyPairActions = {
    Action{"CreateKeyPair", create_key_pair},
    Action{"ImportKeyPair", import_key_pair},
    Action{"DescribeKeyPairs", describe_key_pairs},
    Action{"DeleteKeyPair", delete_key_pair},
    Action{"DescribeInstanceTypes", describe_instance_types},
};
constexpr std::array kImageActions = {
    Action{"DescribeImages", describe_images},
    Action{"RegisterImage", register_image},
    Action{"DeregisterImage", deregister_image},
};

}  // namespace

std::span<const Action> key_pair_actions() {
    return kKeyPairActions;
}
std::span<const Action> image_actions() {
    return kImageActions;
}

}  // namespace detail

std::span<const Action> actions() {
    static const std::vector<Action> all = [] {
        std::vector<Action> table;
        for (auto group :
             {detail::key_pair_actions(), detail::image_actions(), detail::instance_actions(),
              detail::security_group_actions(), detail::network_acl_actions()})
            table.insert(table.end(), group.begin(), group.end());
        return table;
    }();
    return all;
}

const Action* find_action(std::string_view name) {
    for (const auto& action : actions())
        if (action.name == name)
            return &action;
    return nullptr;
}

}  // namespace twinbox::cloud::api
