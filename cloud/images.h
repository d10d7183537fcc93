// EC2 AMIs over twinbox's image store (docs/cloud.md "AMIs"): an AMI is a
// name, an id and a description for an image in the store, recorded in the
// state store's "images" document. RegisterImage, DescribeImages and
// DeregisterImage, with EC2's error codes (cloud/aws_error.h):
// InvalidAMIID.Malformed, InvalidAMIID.NotFound, InvalidAMIName.Duplicate,
// InvalidParameterValue, AuthFailure.
//
// The provided AMI "twinbox-dropbear" (guest/ami/, built with the project)
// is registered on first use of the cloud, with an id made from its image's
// digest, so the same build gives the same AMI id everywhere.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/filters.h"
#include "cloud/state_store.h"

namespace twinbox::image {
class ImageStore;
}

namespace twinbox::cloud {

inline constexpr std::string_view kProvidedAmiName = "twinbox-dropbear";
inline constexpr std::string_view kProvidedImageReference = "twinbox-dropbear:latest";
// The one account of this machine's cloud, as LocalStack's (AWS account ids are 12 digits).
inline constexpr std::string_view kAccountId = "000000000000";

struct Ami {
    std::string image_id;  // "ami-" + 17 hex
    std::string name, description;
    std::string image_reference;  // the image in twinbox's store ("twinbox-dropbear:latest")
    std::string virtualization_type = "hvm";
    std::string creation_date;   // ISO 8601 UTC with milliseconds
    std::string owner = "self";  // "self": registered here; "twinbox": the provided AMI
    std::string image_digest;    // the image's manifest digest when it was registered
};

// Images[] entry of DescribeImages, with AWS's keys (docs/cloud.md says
// which values are twinbox's own: Hypervisor "kvm", ImageLocation).
nlohmann::json to_json(const Ami& ami);

// The AMI with this id: InvalidAMIID.Malformed when `ami_id` is not ami- and
// 17 hex digits, InvalidAMIID.NotFound when no AMI has it.
Result<Ami> find_ami(const StateStore& store, std::string_view ami_id);

// All AMIs, or those with `ids` (each must exist), owned by one of `owners`
// ("self", "twinbox" or "amazon" for the provided AMI, or the account id),
// matching every filter (name, image-id, state, owner-id, owner-alias,
// virtualization-type, architecture, image-type, description).
Result<std::vector<Ami>> describe_images(const StateStore& store,
                                         const std::vector<std::string>& ids = {},
                                         const std::vector<std::string>& owners = {},
                                         const std::vector<Filter>& filters = {});

struct RegisterRequest {
    std::string name;         // 3-128 characters: letters, digits, ( ) [ ] space . / - ' @ _
    std::string source;       // an image in the store: NAME[:TAG] or its id
    std::string description;  // up to 255 characters
};
// RegisterImage's VirtualizationType and Architecture: only what this
// machine runs (hvm, x86_64); InvalidParameterValue otherwise.
Result<void> check_register_options(std::string_view virtualization_type,
                                    std::string_view architecture);
Result<Ami> register_image(const StateStore& store, image::ImageStore& images,
                           const RegisterRequest& request);

// The image stays in the store, as an EBS snapshot outlives its AMI.
Result<void> deregister_image(const StateStore& store, std::string_view ami_id);

// "ami-" + the first 17 hex digits of a manifest digest ("sha256:HEX").
std::string ami_id_for_digest(std::string_view manifest_digest);

// Where the provided AMI's image archive is: the build's guest/ami/ when it
// is there, else the installed share/twinbox/ami/.
std::string provided_ami_archive();

// The provided AMI, registered (and its image imported from `archive` into
// `images`) when it is not yet. Safe to call on every command.
Result<Ami> ensure_provided_ami(const StateStore& store, image::ImageStore& images,
                                const std::string& archive);
// The same with the default image store and provided_ami_archive().
Result<Ami> ensure_provided_ami(const StateStore& store);

namespace detail {
// Records `ami` (the provided AMI) in place of an older registration whose
// image has gone; when another command registered it first, `ami` becomes that.
Result<void> record_provided_ami(const StateStore& store, Ami& ami);
}  // namespace detail

}  // namespace twinbox::cloud
