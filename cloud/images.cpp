// AMIs in the state store (see images.h). The document "images.json":
//   {"Images": [{"ImageId", "Name", "Description", "ImageLocation" (the store
//     reference), "ImageDigest", "VirtualizationType", "CreationDate", "Owner"}]}
#include "cloud/images.h"

#include <fmt/core.h>

#include <algorithm>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/json_fields.h"
#include "host/image/store.h"

namespace twinbox::cloud {
namespace {

constexpr std::string_view kDocument = "images";

Result<Ami> from_json(const nlohmann::json& entry, const std::string& path) {
    Ami ami;
    ami.image_id = TRY(string_field(entry, "ImageId", path));
    ami.name = TRY(string_field(entry, "Name", path));
    ami.description = TRY(string_field(entry, "Description", path));
    ami.image_reference = TRY(string_field(entry, "ImageLocation", path));
    ami.image_digest = TRY(string_field(entry, "ImageDigest", path));
    ami.virtualization_type = TRY(string_field(entry, "VirtualizationType", path));
    ami.creation_date = TRY(string_field(entry, "CreationDate", path));
    ami.owner = TRY(string_field(entry, "Owner", path));
    if (!is_id(ami.image_id, "ami"))
        return Error::message(path + "/ImageId: expected ami- and 17 hex digits");
    return ami;
}

nlohmann::json stored_json(const Ami& ami) {
    return {{"ImageId", ami.image_id},           {"Name", ami.name},
            {"Description", ami.description},    {"ImageLocation", ami.image_reference},
            {"ImageDigest", ami.image_digest},   {"VirtualizationType", ami.virtualization_type},
            {"CreationDate", ami.creation_date}, {"Owner", ami.owner}};
}

// Every AMI in `document`; a bad entry makes the whole file damaged.
Result<std::vector<Ami>> load(const StateStore& store, const nlohmann::json& document) {
    return load_entries<Ami>(document, "Images", store.path_of(kDocument), from_json);
}

Result<void> check_ami_id(std::string_view ami_id) {
    if (!is_id(ami_id, "ami"))
        return aws_error("InvalidAMIID.Malformed",
                         fmt::format("Invalid id: \"{:.100}\" (expecting \"ami-...\")", ami_id));
    return ok();
}

Error not_found(std::string_view ami_id) {
    return aws_error("InvalidAMIID.NotFound",
                     fmt::format("The image id '[{}]' does not exist", ami_id));
}

// EC2 RegisterImage: "Constraints: 3-128 alphanumeric characters, parentheses
// (()), square brackets ([]), spaces ( ), periods (.), slashes (/), dashes
// (-), single quotes ('), at-signs (@), or underscores(_)".
Result<void> check_register(const RegisterRequest& request) {
    if (request.name.empty())
        return aws_error("MissingParameter", "The request must contain the parameter name");
    bool valid = request.name.size() >= 3 && request.name.size() <= 128;
    for (unsigned char c : request.name)
        valid = valid &&
                (std::isalnum(c) || std::string_view("()[] ./-'@_").find(static_cast<char>(c)) !=
                                        std::string_view::npos);
    if (!valid)
        return aws_error(
            "InvalidAMIName.Malformed",
            fmt::format("AMI names must be between 3 and 128 characters long, and may contain "
                        "letters, numbers, ( ) [ ] space . / - ' @ _ (got '{:.130}')",
                        request.name));
    if (request.description.size() > 255)
        return aws_error("InvalidParameterValue",
                         "Value for parameter description is longer than 255 characters");
    if (request.source.empty())
        return aws_error("MissingParameter", "The request must contain the parameter source");
    return ok();
}

// The value filter `name` looks at, or nullopt when EC2 has no such filter here.
std::optional<std::string> filter_value(const Ami& ami, std::string_view name) {
    nlohmann::json shown = to_json(ami);
    static constexpr std::pair<std::string_view, std::string_view> kKeys[] = {
        {"name", "Name"},
        {"image-id", "ImageId"},
        {"state", "State"},
        {"owner-id", "OwnerId"},
        {"virtualization-type", "VirtualizationType"},
        {"architecture", "Architecture"},
        {"image-type", "ImageType"},
        {"description", "Description"},
        {"owner-alias", "ImageOwnerAlias"},
    };
    for (auto [filter, key] : kKeys)
        if (filter == name)
            return shown.value(std::string(key), std::string());
    return std::nullopt;
}

bool owned_by(const Ami& ami, const std::vector<std::string>& owners) {
    if (owners.empty())
        return true;
    for (const auto& owner : owners)
        if (owner == ami.owner || owner == kAccountId ||
            (owner == "amazon" && ami.owner == "twinbox"))
            return true;
    return false;
}

}  // namespace

nlohmann::json to_json(const Ami& ami) {
    nlohmann::json entry = {
        {"Architecture", "x86_64"},
        {"CreationDate", ami.creation_date},
        {"ImageId", ami.image_id},
        {"ImageLocation", ami.image_reference},
        {"ImageType", "machine"},
        {"Public", ami.owner != "self"},
        {"OwnerId", kAccountId},
        {"PlatformDetails", "Linux/UNIX"},
        {"UsageOperation", "RunInstances"},
        {"State", "available"},
        {"BlockDeviceMappings", nlohmann::json::array()},
        {"Description", ami.description},
        {"Hypervisor", "kvm"},
        {"Name", ami.name},
        {"RootDeviceName", "/dev/vda"},
        {"RootDeviceType", "ebs"},
        {"VirtualizationType", ami.virtualization_type},
    };
    if (ami.owner != "self")
        entry["ImageOwnerAlias"] = ami.owner;
    return entry;
}

Result<Ami> find_ami(const StateStore& store, std::string_view ami_id) {
    TRY(check_ami_id(ami_id));
    for (auto& ami : TRY(load(store, TRY(store.read(kDocument)))))
        if (ami.image_id == ami_id)
            return std::move(ami);
    return not_found(ami_id);
}

Result<std::vector<Ami>> describe_images(const StateStore& store,
                                         const std::vector<std::string>& ids,
                                         const std::vector<std::string>& owners,
                                         const std::vector<Filter>& filters) {
    for (const auto& id : ids) TRY(check_ami_id(id));
    for (const auto& filter : filters)
        if (!filter_value(Ami{}, filter.name))
            return aws_error("InvalidParameterValue",
                             fmt::format("The filter '{:.100}' is invalid", filter.name));
    auto amis = TRY(load(store, TRY(store.read(kDocument))));
    for (const auto& id : ids)
        if (std::none_of(amis.begin(), amis.end(),
                         [&](const Ami& ami) { return ami.image_id == id; }))
            return not_found(id);
    std::erase_if(amis, [&](const Ami& ami) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), ami.image_id) == ids.end())
            return true;
        if (!owned_by(ami, owners))
            return true;
        return std::any_of(filters.begin(), filters.end(), [&](const Filter& filter) {
            return !filter_matches(filter, *filter_value(ami, filter.name));
        });
    });
    return amis;
}

Result<Ami> register_image(const StateStore& store, image::ImageStore& images,
                           const RegisterRequest& request) {
    TRY(check_register(request));
    auto image = images.load(request.source);
    if (!image)
        return aws_error("InvalidParameterValue",
                         fmt::format("Value ({:.200}) for parameter source is invalid: no such "
                                     "image in twinbox's store (see twinbox images)",
                                     request.source));
    Ami ami;
    ami.image_id = TRY(new_id("ami"));
    ami.name = request.name;
    ami.description = request.description;
    ami.image_reference = image->reference.empty() ? image->manifest_digest : image->reference;
    ami.image_digest = image->manifest_digest;
    ami.creation_date = aws_timestamp_now();
    TRY(store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        for (const auto& existing : TRY(load(store, document)))
            if (existing.name == ami.name && existing.owner == ami.owner)
                return aws_error("InvalidAMIName.Duplicate",
                                 fmt::format("AMI name {} is already in use by AMI {}", ami.name,
                                             existing.image_id));
        document["Images"].push_back(stored_json(ami));
        return ok();
    }));
    return ami;
}

Result<void> deregister_image(const StateStore& store, std::string_view ami_id) {
    TRY(check_ami_id(ami_id));
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        auto amis = TRY(load(store, document));
        auto found = std::find_if(amis.begin(), amis.end(),
                                  [&](const Ami& ami) { return ami.image_id == ami_id; });
        if (found == amis.end())
            return not_found(ami_id);
        if (found->owner != "self")
            return aws_error("AuthFailure",
                             fmt::format("Not authorized for image:{} (the provided AMI {} "
                                         "belongs to twinbox, not to this account)",
                                         ami_id, found->name));
        document["Images"].erase(static_cast<size_t>(found - amis.begin()));
        return ok();
    });
}

Result<void> detail::record_provided_ami(const StateStore& store, Ami& ami) {
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        auto amis = TRY(load(store, document));
        for (const auto& existing : amis)
            if (existing.image_id == ami.image_id) {
                ami = existing;
                return ok();
            }
        std::erase_if(amis, [](const Ami& existing) { return existing.owner != "self"; });
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& existing : amis) entries.push_back(stored_json(existing));
        entries.push_back(stored_json(ami));
        document["Images"] = std::move(entries);
        return ok();
    });
}

std::string ami_id_for_digest(std::string_view manifest_digest) {
    std::string_view hex = manifest_digest.substr(manifest_digest.find(':') + 1);
    return "ami-" + std::string(hex.substr(0, kIdHexDigits));
}

Result<void> check_register_options(std::string_view virtualization_type,
                                    std::string_view architecture) {
    if (virtualization_type != "hvm")
        return aws_error("InvalidParameterValue",
                         "Value (" + std::string(virtualization_type) +
                             ") for parameter virtualizationType is invalid: "
                             "twinbox runs hvm only");
    if (architecture != "x86_64")
        return aws_error("InvalidParameterValue",
                         "Value (" + std::string(architecture) +
                             ") for parameter architecture is invalid: this "
                             "machine is x86_64");
    return ok();
}

}  // namespace twinbox::cloud
