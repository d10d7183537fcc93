// twinbox ec2 create-key-pair | import-key-pair | describe-key-pairs |
// delete-key-pair (cloud/key_pairs.h), with the AWS CLI's flags and output.
#include <memory>

#include "cli/ec2_common.h"
#include "cloud/aws_error.h"
#include "cloud/key_pairs.h"

namespace twinbox::cli {
namespace {

struct CreateArgs {
    std::string key_name, key_type = "rsa", key_format = "pem";
    Ec2Output output;
};

void register_create(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<CreateArgs>();
    CLI::App* verb =
        ec2.add_subcommand("create-key-pair", "Create a key pair; prints the private key once");
    verb->add_option("--key-name", args->key_name, "A unique name for the key pair")->required();
    verb->add_option("--key-type", args->key_type, "rsa (default) or ed25519");
    verb->add_option("--key-format", args->key_format, "pem (the only format; ppk is not offered)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        // A --query that cannot be printed must not cost the user the only copy of the key.
        if (!args->output.query.empty() && args->output.query != "KeyMaterial" &&
            args->output.query != "KeyName" && args->output.query != "KeyFingerprint" &&
            args->output.query != "KeyPairId") {
            exit_code = print_result({{"KeyMaterial", ""}}, args->output);
            return;
        }
        exit_code = with_store("CreateKeyPair", [&](const cloud::StateStore& store) -> Result<int> {
            auto type = TRY(cloud::key_type_parameter(args->key_type, args->key_format));
            auto created = TRY(cloud::create_key_pair(store, args->key_name, type));
            nlohmann::json result = {{"KeyFingerprint", created.info.fingerprint},
                                     {"KeyMaterial", created.key_material},
                                     {"KeyName", created.info.key_name},
                                     {"KeyPairId", created.info.key_pair_id}};
            return print_result(result, args->output);
        });
    });
}

struct ImportArgs {
    std::string key_name, material;
    Ec2Output output;
};

void register_import(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<ImportArgs>();
    CLI::App* verb = ec2.add_subcommand("import-key-pair", "Import an OpenSSH public key");
    verb->add_option("--key-name", args->key_name, "A unique name for the key pair")->required();
    verb->add_option("--public-key-material", args->material,
                     "fileb://KEY.pub (or the key line itself)")
        ->required();
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code = with_store("ImportKeyPair", [&](const cloud::StateStore& store) -> Result<int> {
            auto material = TRY(read_blob_argument(args->material, "--public-key-material"));
            auto info = TRY(cloud::import_key_pair(store, args->key_name, material));
            nlohmann::json result = cloud::to_json(info);
            result.erase("KeyType");
            result.erase("CreateTime");
            return print_result(result, args->output);
        });
    });
}

struct DescribeArgs {
    std::vector<std::string> names, ids;
    bool include_public_key = false;
    Ec2Output output;
};

void register_describe(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<DescribeArgs>();
    CLI::App* verb =
        ec2.add_subcommand("describe-key-pairs", "List key pairs (all, or those named)");
    verb->add_option("--key-names", args->names, "Key pair names");
    verb->add_option("--key-pair-ids", args->ids, "Key pair ids (key-...)");
    verb->add_flag("--include-public-key", args->include_public_key, "Show each public key too");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("DescribeKeyPairs", [&](const cloud::StateStore& store) -> Result<int> {
                auto keys = TRY(cloud::describe_key_pairs(store, args->names, args->ids));
                nlohmann::json list = nlohmann::json::array();
                for (const auto& key : keys)
                    list.push_back(cloud::to_json(key, args->include_public_key));
                return print_result({{"KeyPairs", list}}, args->output);
            });
    });
}

void register_delete(CLI::App& ec2, int& exit_code) {
    auto key_name = std::make_shared<std::string>();
    CLI::App* verb = ec2.add_subcommand("delete-key-pair",
                                        "Delete a key pair (an unknown name is not an error)");
    verb->add_option("--key-name", *key_name, "The key pair's name")->required();
    verb->callback([key_name, &exit_code] {
        exit_code = with_store("DeleteKeyPair", [&](const cloud::StateStore& store) -> Result<int> {
            TRY(cloud::delete_key_pair(store, *key_name));
            return 0;
        });
    });
}

}  // namespace

void register_ec2_key_pairs(CLI::App& ec2, int& exit_code) {
    register_create(ec2, exit_code);
    register_import(ec2, exit_code);
    register_describe(ec2, exit_code);
    register_delete(ec2, exit_code);
}

}  // namespace twinbox::cli
