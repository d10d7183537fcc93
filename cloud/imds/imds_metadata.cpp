#include "cloud/imds/imds_metadata.h"

#include <algorithm>
#include <vector>

#include "cloud/ssh_wire.h"

namespace twinbox::cloud {

namespace {

// The leaves this instance has, as paths below meta-data/ (EC2's names).
std::vector<std::string> leaves_of(const InstanceRecord& instance) {
    std::vector<std::string> leaves = {
        "ami-id",           "ami-launch-index", "hostname",   "instance-id",
        "instance-type",    "local-hostname",   "local-ipv4", "placement/availability-zone",
        "placement/region", "reservation-id"};
    if (!instance.key_name.empty())
        leaves.push_back("public-keys/0/openssh-key");
    // public-ipv4: none until instances get public addresses (CLOUD.md part 2).
    std::sort(leaves.begin(), leaves.end());
    return leaves;
}

std::optional<std::string> leaf_value(const InstanceRecord& instance, std::string_view leaf,
                                      const PublicKeyOf& public_key) {
    if (leaf == "ami-id")
        return instance.image_id;
    if (leaf == "ami-launch-index")
        return std::to_string(instance.launch_index);
    if (leaf == "hostname" || leaf == "local-hostname")
        return instance_hostname(instance.private_ip);
    if (leaf == "instance-id")
        return instance.instance_id;
    if (leaf == "instance-type")
        return instance.instance_type;
    if (leaf == "local-ipv4")
        return instance.private_ip;
    if (leaf == "placement/availability-zone")
        return std::string(kImdsAvailabilityZone);
    if (leaf == "placement/region")
        return std::string(kImdsRegion);
    if (leaf == "reservation-id")
        return instance.reservation_id;
    if (leaf == "public-keys/0/openssh-key") {
        auto key = public_key ? public_key(instance.key_name) : std::nullopt;
        if (!key)
            return std::nullopt;
        // EC2 gives the key line with the key pair's name as its comment, and a
        // newline, so that `>> authorized_keys` appends a whole line.
        return *key + " " + instance.key_name + "\n";
    }
    return std::nullopt;
}

// The children of directory `dir` ("" for the index, else "placement/").
std::optional<std::string> listing(const InstanceRecord& instance,
                                   const std::vector<std::string>& leaves, std::string_view dir) {
    std::vector<std::string> children;
    for (const auto& leaf : leaves) {
        if (leaf.compare(0, dir.size(), dir) != 0)
            continue;
        std::string rest = leaf.substr(dir.size());
        size_t slash = rest.find('/');
        std::string child = slash == std::string::npos ? rest : rest.substr(0, slash + 1);
        // EC2 names the key by index and name in public-keys/ ("0=my-key").
        if (dir == "public-keys/" && slash != std::string::npos)
            child = rest.substr(0, slash) + "=" + instance.key_name;
        if (std::find(children.begin(), children.end(), child) == children.end())
            children.push_back(child);
    }
    if (children.empty())
        return std::nullopt;
    std::string text;
    for (const auto& child : children) text += (text.empty() ? "" : "\n") + child;
    return text;
}

}  // namespace

std::string instance_hostname(std::string_view private_ip) {
    std::string name = "ip-" + std::string(private_ip);
    std::replace(name.begin(), name.end(), '.', '-');
    return name + ".ec2.internal";
}

std::optional<std::string> metadata_answer(const InstanceRecord& instance, std::string_view path,
                                           const PublicKeyOf& public_key) {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    auto leaves = leaves_of(instance);
    std::string name(path);
    if (std::find(leaves.begin(), leaves.end(), name) != leaves.end())
        return leaf_value(instance, name, public_key);
    return listing(instance, leaves, name.empty() ? name : name + "/");
}

std::optional<std::string> decoded_user_data(const InstanceRecord& instance) {
    if (instance.user_data.empty())
        return std::nullopt;
    auto bytes = base64_decode(instance.user_data);
    if (!bytes)
        return std::nullopt;
    return std::string(bytes->begin(), bytes->end());
}

}  // namespace twinbox::cloud
