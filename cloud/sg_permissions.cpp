// IpPermissions: parsing (the AWS CLI's --ip-permissions JSON and its
// shorthand flags), validation into rules, and the JSON shapes EC2 prints
// (see security_groups.h). Reference: EC2 API reference, IpPermission,
// SecurityGroupRule.
#include <fmt/core.h>

#include <charconv>
#include <map>
#include <tuple>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/images.h"
#include "cloud/security_groups.h"
#include "common/json_reader.h"
#include "host/network/ipv4.h"

namespace twinbox::cloud {
namespace {

Error invalid(std::string_view message) {
    return aws_error("InvalidParameterValue", message);
}

std::optional<long long> parse_number(std::string_view text) {
    long long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

// "tcp"/"6" -> "tcp", "udp"/"17", "icmp"/"1", "-1"/"all" -> "-1"; another
// protocol number 0..255 stays a number (EC2: "use -1 to specify all").
Result<std::string> normalize_protocol(std::string_view given) {
    static const std::map<std::string, std::string, std::less<>> kNames = {
        {"tcp", "tcp"},   {"6", "tcp"},  {"udp", "udp"}, {"17", "udp"},
        {"icmp", "icmp"}, {"1", "icmp"}, {"-1", "-1"},   {"all", "-1"}};
    if (auto found = kNames.find(given); found != kNames.end())
        return found->second;
    auto number = parse_number(given);
    if (!number || *number < 0 || *number > 255)
        return invalid(fmt::format("Invalid value '{}' for IP protocol. Unknown protocol.", given));
    return std::to_string(*number);
}

Result<std::pair<int, int>> check_ports(const IpPermission& permission,
                                        const std::string& protocol) {
    if (protocol == "tcp" || protocol == "udp") {
        if (!permission.has_ports)
            return invalid(fmt::format(
                "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange."));
        for (long long port : {permission.from_port, permission.to_port})
            if (port < 0 || port > 65535)
                return invalid(fmt::format(
                    "Invalid value '{}' for portRange. Must be between 0 and 65535.", port));
        if (permission.from_port > permission.to_port)
            return invalid(fmt::format("Invalid port range {}-{}: from port exceeds to port.",
                                       permission.from_port, permission.to_port));
        return std::pair<int, int>(permission.from_port, permission.to_port);
    }
    if (protocol == "icmp") {
        // FromPort is the ICMP type, ToPort the code; -1 for any (RFC 792 types 0..255).
        if (!permission.has_ports)
            return std::pair<int, int>(-1, -1);
        for (long long value : {permission.from_port, permission.to_port})
            if (value < -1 || value > 255)
                return invalid(fmt::format(
                    "Invalid value '{}' for ICMP type or code. Must be between -1 and 255.",
                    value));
        if (permission.from_port == -1 && permission.to_port != -1)
            return invalid("Invalid ICMP code: a code needs a type.");
        return std::pair<int, int>(permission.from_port, permission.to_port);
    }
    return std::pair<int, int>(-1, -1);  // all ports of any other protocol
}

Result<std::string> check_cidr(std::string_view text) {
    auto cidr = network::parse_cidr(text);
    if (!cidr)
        return invalid(fmt::format("CIDR block {} is malformed", text));
    return cidr->to_string();
}

using json_reader::Node;

Result<IpPermission> read_permission(const Node& node) {
    TRY(json_reader::expect_object(node));
    IpPermission permission;
    TRY(json_reader::read_required(node, "IpProtocol", permission.protocol));
    std::optional<long long> from, to;
    TRY(json_reader::read_member(node, "FromPort", from));
    TRY(json_reader::read_member(node, "ToPort", to));
    if (from || to) {
        permission.has_ports = true;
        permission.from_port = from.value_or(-1);
        permission.to_port = to.value_or(permission.from_port);
    }
    if (auto ranges = node.member("IpRanges")) {
        TRY(json_reader::expect_array(*ranges));
        for (size_t i = 0; i < ranges->json().size(); ++i) {
            std::pair<std::string, std::string> range;
            TRY(json_reader::read_required(ranges->element(i), "CidrIp", range.first));
            TRY(json_reader::read_member(ranges->element(i), "Description", range.second));
            permission.cidrs.push_back(std::move(range));
        }
    }
    if (auto pairs = node.member("UserIdGroupPairs")) {
        TRY(json_reader::expect_array(*pairs));
        for (size_t i = 0; i < pairs->json().size(); ++i) {
            std::pair<std::string, std::string> pair;
            TRY(json_reader::read_required(pairs->element(i), "GroupId", pair.first));
            TRY(json_reader::read_member(pairs->element(i), "Description", pair.second));
            permission.group_ids.push_back(std::move(pair));
        }
    }
    return permission;
}

}  // namespace

Result<std::vector<IpPermission>> parse_ip_permissions(std::string_view text) {
    auto json = json_reader::parse(text, 1 << 20);
    if (!json)
        return invalid("--ip-permissions: " + json.error().context());
    Node root(*json, "", "--ip-permissions");
    std::vector<IpPermission> permissions;
    if (json->is_object()) {
        auto one = read_permission(root);
        if (!one)
            return invalid(one.error().to_string());
        permissions.push_back(std::move(*one));
        return permissions;
    }
    if (!json->is_array())
        return invalid("--ip-permissions: expected a JSON list of IpPermission objects");
    for (size_t i = 0; i < json->size(); ++i) {
        auto one = read_permission(root.element(i));
        if (!one)
            return invalid(one.error().to_string());
        permissions.push_back(std::move(*one));
    }
    return permissions;
}

Result<IpPermission> permission_from_flags(std::string_view protocol, std::string_view port,
                                           std::string_view cidr, std::string_view source_group) {
    IpPermission permission;
    permission.protocol = std::string(protocol);
    if (!port.empty()) {
        // "22", "8000-8080", "-1" (all, for icmp)
        size_t dash = port.find('-', 1);
        auto from = parse_number(port.substr(0, dash));
        auto to = dash == std::string_view::npos ? from : parse_number(port.substr(dash + 1));
        if (!from || !to)
            return invalid(fmt::format("Invalid value '{}' for --port: expected N or N-M", port));
        permission.has_ports = true;
        permission.from_port = *from;
        permission.to_port = *to;
    }
    if (cidr.empty() == source_group.empty())
        return invalid("Exactly one of --cidr and --source-group is needed");
    if (!cidr.empty())
        permission.cidrs.push_back({std::string(cidr), ""});
    else
        permission.group_ids.push_back({std::string(source_group), ""});
    return permission;
}

Result<std::vector<SecurityGroupRule>> expand_permission(const IpPermission& permission) {
    std::string protocol = TRY(normalize_protocol(permission.protocol));
    auto [from, to] = TRY(check_ports(permission, protocol));
    if (permission.cidrs.empty() && permission.group_ids.empty())
        return aws_error("MissingParameter",
                         "The request must contain the parameter ipPermissions (no IpRanges or "
                         "UserIdGroupPairs given)");
    std::vector<SecurityGroupRule> rules;
    for (const auto& [cidr, description] : permission.cidrs)
        rules.push_back({"", protocol, from, to, TRY(check_cidr(cidr)), "", description});
    for (const auto& [group, description] : permission.group_ids) {
        if (!is_id(group, "sg"))
            return aws_error("InvalidGroupId.Malformed",
                             fmt::format("Invalid id: \"{}\" (expecting \"sg-...\")", group));
        rules.push_back({"", protocol, from, to, "", group, description});
    }
    return rules;
}

nlohmann::json permissions_json(const std::vector<SecurityGroupRule>& rules) {
    // One IpPermission per (protocol, ports), in the order first seen.
    std::vector<std::tuple<std::string, int, int>> keys;
    std::map<std::tuple<std::string, int, int>, nlohmann::json> folded;
    for (const auto& rule : rules) {
        auto key = std::make_tuple(rule.protocol, rule.from_port, rule.to_port);
        auto [entry, fresh] = folded.try_emplace(key);
        if (fresh) {
            keys.push_back(key);
            nlohmann::json& permission = entry->second;
            permission["IpProtocol"] = rule.protocol;
            // EC2 leaves the ports out for "all protocols".
            if (rule.protocol != "-1" &&
                (rule.protocol == "tcp" || rule.protocol == "udp" || rule.protocol == "icmp")) {
                permission["FromPort"] = rule.from_port;
                permission["ToPort"] = rule.to_port;
            }
            permission["IpRanges"] = nlohmann::json::array();
            permission["Ipv6Ranges"] = nlohmann::json::array();
            permission["PrefixListIds"] = nlohmann::json::array();
            permission["UserIdGroupPairs"] = nlohmann::json::array();
        }
        nlohmann::json peer;
        if (!rule.cidr.empty()) {
            peer["CidrIp"] = rule.cidr;
        } else {
            peer["GroupId"] = rule.group_id;
            peer["UserId"] = kAccountId;
        }
        if (!rule.description.empty())
            peer["Description"] = rule.description;
        entry->second[rule.cidr.empty() ? "UserIdGroupPairs" : "IpRanges"].push_back(peer);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& key : keys) list.push_back(folded[key]);
    return list;
}

nlohmann::json to_json(const SecurityGroup& group) {
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& [key, value] : group.tags) tags.push_back({{"Key", key}, {"Value", value}});
    nlohmann::json entry = {{"Description", group.description},
                            {"GroupName", group.group_name},
                            {"IpPermissions", permissions_json(group.ingress)},
                            {"OwnerId", kAccountId},
                            {"GroupId", group.group_id},
                            {"IpPermissionsEgress", permissions_json(group.egress)},
                            {"VpcId", group.vpc_id}};
    if (!group.tags.empty())
        entry["Tags"] = tags;
    return entry;
}

nlohmann::json rule_json(const SecurityGroup& group, const SecurityGroupRule& rule, bool egress) {
    nlohmann::json entry = {{"SecurityGroupRuleId", rule.rule_id},
                            {"GroupId", group.group_id},
                            {"GroupOwnerId", kAccountId},
                            {"IsEgress", egress},
                            {"IpProtocol", rule.protocol},
                            {"FromPort", rule.from_port},
                            {"ToPort", rule.to_port}};
    if (!rule.cidr.empty())
        entry["CidrIpv4"] = rule.cidr;
    else
        entry["ReferencedGroupInfo"] = {{"GroupId", rule.group_id}, {"UserId", kAccountId}};
    if (!rule.description.empty())
        entry["Description"] = rule.description;
    return entry;
}

}  // namespace twinbox::cloud
