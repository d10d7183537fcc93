// aws_security_group (with inline ingress and egress blocks) and
// aws_security_group_rule, over cloud/security_groups.h (the calls of
// `twinbox ec2 create-security-group` and `authorize-/revoke-security-group-*`).
//
// A block {from_port, to_port, protocol, cidr_blocks, security_groups} is
// one IpPermission per peer. A change of the blocks is an update in place:
// the rules only in the new blocks are authorized first, then those only in
// the old ones revoked, so a failure half way leaves every rule of either
// version in place (and the group's rules apply to running instances at
// once, as the library re-applies the VPC's firewall). As the AWS provider
// does, an `egress` argument replaces EC2's default allow-all egress rule;
// without one the default stays. name, description and vpc_id force a
// replacement. Read-back checks that the group exists; its rules are
// compared with the stack's own record, not read back.
#include <fmt/core.h>

#include <map>

#include "cloud/aws_error.h"
#include "cloud/security_groups.h"
#include "cloud/stack/resource_types.h"

namespace twinbox::cloud::stack {
namespace {

using resource_args::id_of;
using resource_args::text;

long long number(const Json& block, const char* name) {
    const Json& value = block.contains(name) ? block.at(name) : Json();
    if (value.is_number_integer())
        return value.get<long long>();
    if (value.is_string()) {
        try {
            return std::stoll(value.get<std::string>());
        } catch (...) {
        }
    }
    return 70000;  // refused by the library's validation with AWS's code
}

std::vector<std::string> strings(const Json& block, const char* name) {
    std::vector<std::string> out;
    if (block.contains(name) && block.at(name).is_array())
        for (const auto& item : block.at(name))
            if (item.is_string())
                out.push_back(item.get<std::string>());
    return out;
}

// The blocks of `args[name]` (an object or a list of them), one
// IpPermission per peer, keyed for comparison.
// `self_id` is the group's own id, the peer of a block with "self": true.
std::map<std::string, IpPermission> permissions(const Json& args, const char* name,
                                                const std::string& self_id = "") {
    std::map<std::string, IpPermission> out;
    if (!args.contains(name) || args.at(name).is_null())
        return out;
    Json blocks = args.at(name).is_array() ? args.at(name) : Json::array({args.at(name)});
    for (const auto& block : blocks) {
        IpPermission base;
        base.protocol = block.contains("protocol") && block.at("protocol").is_string()
                            ? block.at("protocol").get<std::string>()
                            : block.value("protocol", Json(-1)).dump();
        bool all = base.protocol == "-1" || base.protocol == "all";
        base.has_ports = !all;
        base.from_port = all ? -1 : number(block, "from_port");
        base.to_port = all ? -1 : number(block, "to_port");
        std::string description = block.value("description", std::string());
        auto add = [&](const std::string& peer, bool group) {
            IpPermission one = base;
            (group ? one.group_ids : one.cidrs).emplace_back(peer, description);
            out[fmt::format("{}|{}|{}|{}", one.protocol, one.from_port, one.to_port, peer)] = one;
        };
        for (const auto& cidr : strings(block, "cidr_blocks")) add(cidr, false);
        for (const auto& group : strings(block, "security_groups")) add(group, true);
        if (block.value("self", false) && !self_id.empty())
            add(self_id, true);
    }
    return out;
}

// IPv6 and prefix lists are not in twinbox's VPCs: refused, not ignored.
Result<void> check_blocks(const Json& args) {
    for (const char* name : {"ingress", "egress"}) {
        if (!args.contains(name) || args.at(name).is_null())
            continue;
        Json blocks = args.at(name).is_array() ? args.at(name) : Json::array({args.at(name)});
        for (const auto& block : blocks)
            for (const char* unsupported : {"ipv6_cidr_blocks", "prefix_list_ids"})
                if (!strings(block, unsupported).empty())
                    return aws_error("InvalidParameterValue",
                                     fmt::format("{} in an {} block: twinbox's VPCs are IPv4 "
                                                 "only (leave it [])",
                                                 unsupported, name));
    }
    return ok();
}

std::vector<IpPermission> only_in(const std::map<std::string, IpPermission>& a,
                                  const std::map<std::string, IpPermission>& b) {
    std::vector<IpPermission> out;
    for (const auto& [key, permission] : a)
        if (!b.contains(key))
            out.push_back(permission);
    return out;
}

IpPermission allow_all_out() {
    IpPermission all;
    all.protocol = "-1";
    all.cidrs = {{"0.0.0.0/0", ""}};
    return all;
}

// Moves the group's rules of one direction from `before` to `after`.
Result<void> change_rules(const StateStore& store, const std::string& id, Direction direction,
                          const std::map<std::string, IpPermission>& before,
                          const std::map<std::string, IpPermission>& after) {
    if (auto added = only_in(after, before); !added.empty())
        TRY(authorize_security_group(store, id, direction, added));
    if (auto removed = only_in(before, after); !removed.empty())
        TRY(revoke_security_group(store, id, direction, removed));
    return ok();
}

Result<Json> group_create(const StateStore& store, const Json& args) {
    auto group = TRY(create_security_group(store, text(args, "name"),
                                           args.value("description", "Managed by twinbox stack"),
                                           text(args, "vpc_id")));
    auto undo = [&](Error error) -> Result<Json> {
        (void)delete_security_group(store, group.group_id);
        return error;
    };
    TRY(check_blocks(args));
    if (auto set = change_rules(store, group.group_id, Direction::ingress, {},
                                permissions(args, "ingress", group.group_id));
        !set)
        return undo(std::move(set).error());
    if (args.contains("egress") && !args.at("egress").is_null()) {
        // The AWS provider's rule: given egress blocks replace the default.
        std::map<std::string, IpPermission> defaults{{"default", allow_all_out()}};
        auto wanted = permissions(args, "egress", group.group_id);
        bool keeps_default = false;
        for (const auto& [key, permission] : wanted)
            keeps_default = keeps_default || key == "-1|-1|-1|0.0.0.0/0";
        if (!keeps_default)
            if (auto revoked = revoke_security_group(store, group.group_id, Direction::egress,
                                                     {allow_all_out()});
                !revoked)
                return undo(std::move(revoked).error());
        std::erase_if(wanted,
                      [](const auto& entry) { return entry.first == "-1|-1|-1|0.0.0.0/0"; });
        if (auto set = change_rules(store, group.group_id, Direction::egress, {}, wanted); !set)
            return undo(std::move(set).error());
    }
    return Json{{"id", group.group_id}};
}

Result<std::optional<Observed>> group_read(const StateStore& store, const Json& attributes) {
    auto groups = describe_security_groups(store, {id_of(attributes)}, {}, {});
    if (!groups && aws_error_code(groups.error()) == "InvalidGroup.NotFound")
        return std::optional<Observed>();
    if (!groups)
        return std::move(groups).error();
    const SecurityGroup& group = groups->front();
    return std::optional<Observed>(Observed{Json{{"name", group.group_name},
                                                 {"description", group.description},
                                                 {"vpc_id", group.vpc_id}},
                                            Json::object()});
}

Result<Json> group_update(const StateStore& store, const Json& attributes, const Json& before,
                          const Json& after) {
    std::string id = id_of(attributes);
    TRY(check_blocks(after));
    TRY(change_rules(store, id, Direction::ingress, permissions(before, "ingress", id),
                     permissions(after, "ingress", id)));
    auto old_egress = permissions(before, "egress", id);
    auto new_egress = permissions(after, "egress", id);
    // No egress argument means EC2's default allow-all rule.
    if (!before.contains("egress") || before.at("egress").is_null())
        old_egress["-1|-1|-1|0.0.0.0/0"] = allow_all_out();
    if (!after.contains("egress") || after.at("egress").is_null())
        new_egress["-1|-1|-1|0.0.0.0/0"] = allow_all_out();
    TRY(change_rules(store, id, Direction::egress, old_egress, new_egress));
    return attributes;
}

// --- aws_security_group_rule: id "sgrule-<group>-<direction>-<key>" ---
Result<Json> rule_create(const StateStore& store, const Json& args) {
    Json block = args;
    if (std::string source = text(args, "source_security_group_id"); !source.empty())
        block["security_groups"] = Json::array({source});
    auto rules = permissions(Json{{"rule", block}}, "rule");
    if (rules.size() != 1)
        return aws_error("InvalidParameterValue",
                         "aws_security_group_rule needs exactly one of cidr_blocks (one CIDR) "
                         "and source_security_group_id");
    Direction direction = text(args, "type") == "egress" ? Direction::egress : Direction::ingress;
    std::string group = text(args, "security_group_id");
    TRY(authorize_security_group(store, group, direction, {rules.begin()->second}));
    // The rule's own arguments are kept with it: destroy revokes exactly it.
    return Json{
        {"id", fmt::format("sgrule-{}-{}-{}", group, text(args, "type"), rules.begin()->first)},
        {"security_group_id", group},
        {"rule", args}};
}

Result<void> rule_destroy(const StateStore& store, const Json& attributes) {
    const Json& args = attributes.contains("rule") ? attributes.at("rule") : Json::object();
    Json block = args;
    if (std::string source = text(args, "source_security_group_id"); !source.empty())
        block["security_groups"] = Json::array({source});
    auto rules = permissions(Json{{"rule", block}}, "rule");
    Direction direction = text(args, "type") == "egress" ? Direction::egress : Direction::ingress;
    auto revoked = revoke_security_group(store, text(args, "security_group_id"), direction,
                                         only_in(rules, {}));
    std::string code = revoked ? "" : aws_error_code(revoked.error());
    if (!revoked && code != "InvalidPermission.NotFound" && code != "InvalidGroup.NotFound")
        return std::move(revoked).error();
    return ok();
}

}  // namespace

ResourceType aws_security_group_type() {
    std::vector<std::string_view> block = {"from_port",        "to_port",     "protocol",
                                           "cidr_blocks",      "description", "security_groups",
                                           "ipv6_cidr_blocks", "self",        "prefix_list_ids"};
    return {.name = "aws_security_group",
            .arguments = {{"name", true, true},
                          {"description", true},
                          {"vpc_id", true},
                          {"ingress", false, false, block},
                          {"egress", false, false, block},
                          {"tags"}},
            .attributes = {"id"},
            .create = group_create,
            .read = group_read,
            .update = group_update,
            .destroy =
                [](const StateStore& store, const Json& attributes) {
                    return delete_security_group(store, id_of(attributes));
                },
            .also_forces = {}};
}

ResourceType aws_security_group_rule_type() {
    return {.name = "aws_security_group_rule",
            .arguments = {{"type", true, true},
                          {"security_group_id", true, true},
                          {"from_port", true, true},
                          {"to_port", true, true},
                          {"protocol", true, true},
                          {"cidr_blocks", true},
                          {"source_security_group_id", true},
                          {"description", true}},
            .attributes = {"id", "security_group_id", "rule"},
            .create = rule_create,
            .read = [](const StateStore& store,
                       const Json& attributes) -> Result<std::optional<Observed>> {
                std::string group = attributes.value("security_group_id", std::string());
                auto groups = describe_security_groups(store, {group}, {}, {});
                if (!groups && aws_error_code(groups.error()) == "InvalidGroup.NotFound")
                    return std::optional<Observed>();
                if (!groups)
                    return std::move(groups).error();
                return std::optional<Observed>(Observed{});
            },
            .update = {},
            .destroy = rule_destroy,
            .also_forces = {}};
}

}  // namespace twinbox::cloud::stack
