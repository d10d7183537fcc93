// Network ACLs in the state store (see network_acls.h).
#include "cloud/network_acls.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/images.h"
#include "cloud/security_groups.h"
#include "common/json_reader.h"

namespace twinbox::cloud {
namespace {

constexpr std::string_view kDocument = "network_acls";
// EC2: rule numbers 1..32766; 100 is the default ACL's allow-all rule.
constexpr int kMaxRuleNumber = 32766;
constexpr int kDefaultRuleNumber = 100;

using json_reader::Node;

Result<NetworkAcl> read_acl(const Node& node) {
    TRY(json_reader::expect_object(node));
    NetworkAcl acl;
    TRY(json_reader::read_required(node, "NetworkAclId", acl.acl_id));
    TRY(json_reader::read_required(node, "VpcId", acl.vpc_id));
    TRY(json_reader::read_required(node, "IsDefault", acl.is_default));
    TRY(json_reader::read_member(node, "SubnetIds", acl.subnet_ids));
    if (auto entries = node.member("Entries")) {
        TRY(json_reader::expect_array(*entries));
        for (size_t i = 0; i < entries->json().size(); ++i) {
            Node e = entries->element(i);
            NetworkAclEntry entry;
            std::string action;
            TRY(json_reader::expect_object(e));
            TRY(json_reader::read_required(e, "RuleNumber", entry.rule_number));
            TRY(json_reader::read_required(e, "Egress", entry.egress));
            TRY(json_reader::read_required(e, "Protocol", entry.protocol));
            TRY(json_reader::read_required(e, "RuleAction", action));
            TRY(json_reader::read_required(e, "CidrBlock", entry.cidr));
            TRY(json_reader::read_member(e, "From", entry.from_port));
            TRY(json_reader::read_member(e, "To", entry.to_port));
            if (action != "allow" && action != "deny")
                return e.error("RuleAction must be allow or deny");
            entry.allow = action == "allow";
            acl.entries.push_back(std::move(entry));
        }
    }
    return acl;
}

nlohmann::json acl_to_json(const NetworkAcl& acl) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& entry : acl.entries)
        entries.push_back({{"RuleNumber", entry.rule_number},
                           {"Egress", entry.egress},
                           {"Protocol", entry.protocol},
                           {"RuleAction", entry.allow ? "allow" : "deny"},
                           {"CidrBlock", entry.cidr},
                           {"From", entry.from_port},
                           {"To", entry.to_port}});
    return {{"NetworkAclId", acl.acl_id},
            {"VpcId", acl.vpc_id},
            {"IsDefault", acl.is_default},
            {"SubnetIds", acl.subnet_ids},
            {"Entries", std::move(entries)}};
}

Result<std::vector<NetworkAcl>> load(const StateStore& store, const nlohmann::json& document) {
    Node root(document, "", "network_acls.json");
    std::vector<NetworkAcl> acls;
    auto list = root.member("NetworkAcls");
    if (!list)
        return acls;
    if (auto checked = json_reader::expect_array(*list); !checked)
        return damaged(store.path_of(kDocument), checked.error().to_string());
    for (size_t i = 0; i < list->json().size(); ++i) {
        auto acl = read_acl(list->element(i));
        if (!acl)
            return damaged(store.path_of(kDocument), acl.error().to_string());
        acls.push_back(std::move(*acl));
    }
    return acls;
}

using AclsChange = std::function<Result<void>(std::vector<NetworkAcl>&)>;

Result<void> update_acls(const StateStore& store, const AclsChange& change) {
    return store.update(kDocument, [&](nlohmann::json& document) -> Result<void> {
        auto acls = TRY(load(store, document));
        TRY(change(acls));
        nlohmann::json list = nlohmann::json::array();
        for (const auto& acl : acls) list.push_back(acl_to_json(acl));
        document["NetworkAcls"] = std::move(list);
        return ok();
    });
}

NetworkAcl* find_acl(std::vector<NetworkAcl>& acls, std::string_view id) {
    auto found = std::find_if(acls.begin(), acls.end(),
                              [&](const NetworkAcl& acl) { return acl.acl_id == id; });
    return found == acls.end() ? nullptr : &*found;
}

Error acl_not_found(std::string_view id) {
    return aws_error("InvalidNetworkAclID.NotFound",
                     fmt::format("The network ACL ID '{}' does not exist", id));
}

// Runs `change` on the ACL `acl_id`, then re-applies its VPC's firewall.
Result<void> change_acl(
    const StateStore& store, std::string_view acl_id,
    const std::function<Result<void>(NetworkAcl&, std::vector<NetworkAcl>&)>& change) {
    std::string vpc_id;
    TRY(update_acls(store, [&](std::vector<NetworkAcl>& acls) -> Result<void> {
        NetworkAcl* acl = find_acl(acls, acl_id);
        if (!acl)
            return acl_not_found(acl_id);
        vpc_id = acl->vpc_id;
        return change(*acl, acls);
    }));
    return apply_security_groups(store, vpc_id);
}

// "From=80,To=80" (the AWS CLI's shorthand) or its JSON form.
Result<std::pair<int, int>> parse_port_range(std::string_view text) {
    int from = -1, to = -1;
    std::string normalized;
    for (char c : text)
        if (c != '{' && c != '}' && c != '"' && c != ' ')
            normalized += c == ':' ? '=' : c;
    std::string_view rest = normalized;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view part = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
        size_t equals = part.find('=');
        if (equals == std::string_view::npos)
            return aws_error("InvalidParameterValue",
                             fmt::format("--port-range {}: expected From=N,To=M", text));
        std::string_view key = part.substr(0, equals), value = part.substr(equals + 1);
        int number = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (error != std::errc() || end != value.data() + value.size() ||
            (key != "From" && key != "To"))
            return aws_error("InvalidParameterValue",
                             fmt::format("--port-range {}: expected From=N,To=M", text));
        (key == "From" ? from : to) = number;
    }
    for (int port : {from, to})
        if (port < 0 || port > 65535)
            return aws_error("InvalidParameterValue",
                             fmt::format("Invalid value '{}' for portRange. Must be between 0 "
                                         "and 65535.",
                                         port));
    if (from > to)
        return aws_error("InvalidParameterValue", "--port-range: From exceeds To");
    return std::pair<int, int>(from, to);
}

Result<NetworkAclEntry> validate_entry(NetworkAclEntry entry, std::string_view port_range) {
    if (entry.rule_number < 1 || entry.rule_number > kMaxRuleNumber)
        return aws_error("InvalidParameterValue",
                         fmt::format("Invalid value '{}' for ruleNumber. Must be between 1 and "
                                     "32766.",
                                     entry.rule_number));
    // The protocol and CIDR are checked as a security group rule's are.
    IpPermission permission{entry.protocol, 0, 0, false, {{entry.cidr, ""}}, {}};
    if (!port_range.empty()) {
        auto [from, to] = TRY(parse_port_range(port_range));
        permission.from_port = from;
        permission.to_port = to;
        permission.has_ports = true;
    }
    auto rules = TRY(expand_permission(permission));
    entry.protocol = rules[0].protocol;
    entry.cidr = rules[0].cidr;
    entry.from_port = rules[0].from_port;
    entry.to_port = rules[0].to_port;
    return entry;
}

}  // namespace

std::string network_acl_association_id(std::string_view subnet_id) {
    return "aclassoc-" + std::string(subnet_id.substr(subnet_id.find('-') + 1));
}

Result<std::vector<NetworkAcl>> read_network_acls(const StateStore& store) {
    return load(store, TRY(store.read(kDocument)));
}

const NetworkAcl* acl_of_subnet(const std::vector<NetworkAcl>& acls, std::string_view vpc_id,
                                std::string_view subnet_id) {
    const NetworkAcl* fallback = nullptr;
    for (const auto& acl : acls) {
        if (acl.vpc_id != vpc_id)
            continue;
        if (std::find(acl.subnet_ids.begin(), acl.subnet_ids.end(), subnet_id) !=
            acl.subnet_ids.end())
            return &acl;
        if (acl.is_default)
            fallback = &acl;
    }
    return fallback;
}

Result<std::string> ensure_default_network_acl(const StateStore& store, std::string_view vpc_id) {
    std::string id;
    TRY(update_acls(store, [&](std::vector<NetworkAcl>& acls) -> Result<void> {
        for (const auto& acl : acls)
            if (acl.vpc_id == vpc_id && acl.is_default) {
                id = acl.acl_id;
                return ok();
            }
        NetworkAcl acl{TRY(new_id("acl")), std::string(vpc_id), true, {}, {}};
        for (bool egress : {false, true})
            acl.entries.push_back({kDefaultRuleNumber, egress, "-1", true, "0.0.0.0/0", -1, -1});
        id = acl.acl_id;
        acls.push_back(std::move(acl));
        return ok();
    }));
    return id;
}

Result<NetworkAcl> create_network_acl(const StateStore& store, std::string_view vpc_id) {
    if (!is_id(vpc_id, "vpc"))
        return aws_error("InvalidVpcID.Malformed", fmt::format("Invalid id: \"{}\"", vpc_id));
    TRY(ensure_default_network_acl(store, vpc_id));
    // A new ACL denies everything until entries are added (only the "*" rules).
    NetworkAcl acl{TRY(new_id("acl")), std::string(vpc_id), false, {}, {}};
    TRY(update_acls(store, [&](std::vector<NetworkAcl>& acls) -> Result<void> {
        acls.push_back(acl);
        return ok();
    }));
    return acl;
}

Result<NetworkAclEntry> network_acl_entry(int rule_number, bool ingress, bool egress,
                                          std::string_view protocol, std::string_view action,
                                          std::string_view cidr) {
    if (ingress == egress)
        return aws_error("InvalidParameterValue", "Give exactly one of --ingress and --egress");
    if (action != "allow" && action != "deny")
        return aws_error("InvalidParameterValue",
                         fmt::format("Value ({}) for parameter ruleAction is invalid.", action));
    return NetworkAclEntry{rule_number, egress, std::string(protocol), action == "allow",
                           std::string(cidr)};
}

Result<void> forget_subnet_network_acl(const StateStore& store, std::string_view subnet_id) {
    return update_acls(store, [&](std::vector<NetworkAcl>& acls) -> Result<void> {
        for (auto& acl : acls) std::erase(acl.subnet_ids, std::string(subnet_id));
        return ok();
    });
}

Result<void> delete_network_acl(const StateStore& store, std::string_view acl_id) {
    return update_acls(store, [&](std::vector<NetworkAcl>& acls) -> Result<void> {
        NetworkAcl* acl = find_acl(acls, acl_id);
        if (!acl)
            return acl_not_found(acl_id);
        if (acl->is_default)
            return aws_error("InvalidParameterValue",
                             fmt::format("cannot delete default network ACL {}", acl_id));
        if (!acl->subnet_ids.empty())
            return aws_error("DependencyViolation",
                             fmt::format("The networkAcl '{}' has dependencies and cannot be "
                                         "deleted.",
                                         acl_id));
        std::erase_if(acls, [&](const NetworkAcl& a) { return a.acl_id == acl_id; });
        return ok();
    });
}

Result<void> create_network_acl_entry(const StateStore& store, std::string_view acl_id,
                                      const NetworkAclEntry& given, std::string_view port_range) {
    NetworkAclEntry entry = TRY(validate_entry(given, port_range));
    return change_acl(store, acl_id, [&](NetworkAcl& acl, auto&) -> Result<void> {
        for (const auto& existing : acl.entries)
            if (existing.rule_number == entry.rule_number && existing.egress == entry.egress)
                return aws_error("NetworkAclEntryAlreadyExists",
                                 fmt::format("The network acl entry identified by {} already "
                                             "exists.",
                                             entry.rule_number));
        acl.entries.push_back(entry);
        return ok();
    });
}

Result<void> delete_network_acl_entry(const StateStore& store, std::string_view acl_id,
                                      int rule_number, bool egress) {
    return change_acl(store, acl_id, [&](NetworkAcl& acl, auto&) -> Result<void> {
        auto removed = std::erase_if(acl.entries, [&](const NetworkAclEntry& entry) {
            return entry.rule_number == rule_number && entry.egress == egress;
        });
        if (removed == 0)
            return aws_error("InvalidNetworkAclEntry.NotFound",
                             fmt::format("The specified entry {} does not exist", rule_number));
        return ok();
    });
}

Result<std::string> replace_network_acl_association(const StateStore& store,
                                                    std::string_view association_id,
                                                    std::string_view acl_id) {
    if (!is_id(association_id, "aclassoc"))
        return aws_error("InvalidAssociationID.NotFound",
                         fmt::format("The association ID '{}' does not exist", association_id));
    std::string subnet_id =
        "subnet-" + std::string(association_id.substr(association_id.find('-') + 1));
    TRY(change_acl(store, acl_id,
                   [&](NetworkAcl& acl, std::vector<NetworkAcl>& acls) -> Result<void> {
                       for (auto& other : acls) std::erase(other.subnet_ids, subnet_id);
                       // The default ACL takes a subnet implicitly (no entry needed).
                       if (!acl.is_default)
                           acl.subnet_ids.push_back(subnet_id);
                       return ok();
                   }));
    return network_acl_association_id(subnet_id);
}

Result<std::vector<NetworkAcl>> describe_network_acls(const StateStore& store,
                                                      const std::vector<std::string>& ids,
                                                      const std::vector<Filter>& filters) {
    auto acls = TRY(read_network_acls(store));
    for (const auto& id : ids)
        if (!find_acl(acls, id))
            return acl_not_found(id);
    std::vector<NetworkAcl> listed;
    for (auto& acl : acls) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), acl.acl_id) == ids.end())
            continue;
        bool matches = true;
        for (const auto& filter : filters) {
            std::string value;
            if (filter.name == "network-acl-id")
                value = acl.acl_id;
            else if (filter.name == "vpc-id")
                value = acl.vpc_id;
            else if (filter.name == "default")
                value = acl.is_default ? "true" : "false";
            else
                return aws_error("InvalidParameterValue",
                                 fmt::format("The filter '{}' is invalid", filter.name));
            matches = matches && filter_matches(filter, value);
        }
        if (matches)
            listed.push_back(std::move(acl));
    }
    return listed;
}

Result<void> delete_network_acls_of_vpc(const StateStore& store, std::string_view vpc_id) {
    return update_acls(store, [&](std::vector<NetworkAcl>& acls) -> Result<void> {
        std::erase_if(acls, [&](const NetworkAcl& acl) { return acl.vpc_id == vpc_id; });
        return ok();
    });
}

nlohmann::json to_json(const NetworkAcl& acl, const std::vector<std::string>& implicit_subnets) {
    nlohmann::json associations = nlohmann::json::array();
    std::vector<std::string> subnets = acl.subnet_ids;
    subnets.insert(subnets.end(), implicit_subnets.begin(), implicit_subnets.end());
    for (const auto& subnet : subnets)
        associations.push_back({{"NetworkAclAssociationId", network_acl_association_id(subnet)},
                                {"NetworkAclId", acl.acl_id},
                                {"SubnetId", subnet}});
    nlohmann::json entries = nlohmann::json::array();
    auto sorted = acl.entries;
    for (bool egress : {false, true})
        sorted.push_back({32767, egress, "-1", false, "0.0.0.0/0", -1, -1});  // the "*" rule
    for (const auto& entry : sorted) {
        nlohmann::json json = {{"CidrBlock", entry.cidr},
                               {"Egress", entry.egress},
                               {"Protocol", entry.protocol},
                               {"RuleAction", entry.allow ? "allow" : "deny"},
                               {"RuleNumber", entry.rule_number}};
        if (entry.protocol == "tcp" || entry.protocol == "udp")
            json["PortRange"] = {{"From", entry.from_port}, {"To", entry.to_port}};
        entries.push_back(std::move(json));
    }
    return {{"Associations", std::move(associations)},
            {"Entries", std::move(entries)},
            {"IsDefault", acl.is_default},
            {"NetworkAclId", acl.acl_id},
            {"Tags", nlohmann::json::array()},
            {"VpcId", acl.vpc_id},
            {"OwnerId", kAccountId}};
}

}  // namespace twinbox::cloud
