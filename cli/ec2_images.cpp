// twinbox ec2 describe-images | register-image | deregister-image
// (cloud/images.h), with the AWS CLI's flags and output.
#include <memory>

#include "cli/ec2_common.h"
#include "cloud/aws_error.h"
#include "cloud/images.h"
#include "common/log.h"
#include "host/image/store.h"

namespace twinbox::cli {
namespace {

// The provided AMI is registered on first use; without it (its archive was
// not built) the other AMIs are still listed, with one warning.
void ensure_provided(const cloud::StateStore& store) {
    auto provided = cloud::ensure_provided_ami(store);
    if (!provided)
        log::warn("the provided AMI {} is not available: {}", cloud::kProvidedAmiName,
                  provided.error().to_string());
}

struct DescribeArgs {
    std::vector<std::string> ids, owners, filters;
    Ec2Output output;
};

void register_describe(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<DescribeArgs>();
    CLI::App* verb = ec2.add_subcommand(
        "describe-images", "List AMIs (twinbox-dropbear, provided, and those registered here)");
    verb->add_option("--image-ids", args->ids, "AMI ids (ami-...)");
    verb->add_option("--owners", args->owners, "self, twinbox (or amazon), or the account id");
    verb->add_option("--filters", args->filters,
                     "Name=name,Values=web-* (also image-id, state, owner-alias, "
                     "virtualization-type, architecture, image-type, description)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("DescribeImages", [&](const cloud::StateStore& store) -> Result<int> {
                std::vector<cloud::Filter> filters;
                for (const auto& argument : args->filters)
                    for (auto& filter : TRY(cloud::parse_filters(argument)))
                        filters.push_back(std::move(filter));
                ensure_provided(store);
                auto amis = TRY(cloud::describe_images(store, args->ids, args->owners, filters));
                nlohmann::json list = nlohmann::json::array();
                for (const auto& ami : amis) list.push_back(cloud::to_json(ami));
                return print_result({{"Images", list}}, args->output);
            });
    });
}

struct RegisterArgs {
    cloud::RegisterRequest request;
    std::string virtualization_type = "hvm", architecture = "x86_64";
    Ec2Output output;
};

void register_register(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<RegisterArgs>();
    CLI::App* verb = ec2.add_subcommand(
        "register-image", "Make an AMI of an image in twinbox's store (twinbox images)");
    verb->add_option("--name", args->request.name, "A unique name for the AMI")->required();
    verb->add_option("--source", args->request.source,
                     "The image: NAME[:TAG] or image id (twinbox's own flag; EC2 takes snapshots)")
        ->required();
    verb->add_option("--description", args->request.description, "Up to 255 characters");
    verb->add_option("--virtualization-type", args->virtualization_type, "hvm (the only one)");
    verb->add_option("--architecture", args->architecture, "x86_64 (this machine's)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code = with_store("RegisterImage", [&](const cloud::StateStore& store) -> Result<int> {
            TRY(cloud::check_register_options(args->virtualization_type, args->architecture));
            auto images = TRY(image::ImageStore::open());
            auto ami = TRY(cloud::register_image(store, images, args->request));
            return print_result({{"ImageId", ami.image_id}}, args->output);
        });
    });
}

void register_deregister(CLI::App& ec2, int& exit_code) {
    auto image_id = std::make_shared<std::string>();
    CLI::App* verb = ec2.add_subcommand("deregister-image",
                                        "Remove an AMI (its image stays in twinbox's store)");
    verb->add_option("--image-id", *image_id, "The AMI's id (ami-...)")->required();
    verb->callback([image_id, &exit_code] {
        exit_code =
            with_store("DeregisterImage", [&](const cloud::StateStore& store) -> Result<int> {
                ensure_provided(store);
                TRY(cloud::deregister_image(store, *image_id));
                return 0;
            });
    });
}

}  // namespace

void register_ec2_images(CLI::App& ec2, int& exit_code) {
    register_describe(ec2, exit_code);
    register_register(ec2, exit_code);
    register_deregister(ec2, exit_code);
}

}  // namespace twinbox::cli
