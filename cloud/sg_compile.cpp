// Security groups and network ACLs -> nftables text (see sg_compile.h).
// Syntax reference: nft(8), "CHAINS", "SETS", "PAYLOAD EXPRESSION",
// "CONNTRACK EXPRESSIONS".
#include "cloud/sg_compile.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>

#include "cloud/vpc_names.h"

namespace twinbox::cloud {
namespace {

constexpr std::string_view kSgTable = "ip twinbox_sg";
constexpr std::string_view kSpoofTable = "bridge twinbox_sg";
constexpr std::string_view kNaclTable = "inet twinbox_nacl";
// EC2's instance metadata service, reachable whatever the groups say.
constexpr std::string_view kMetadataAddress = "169.254.169.254";

std::string set_name(std::string_view group_id) {
    return "sg_" + std::string(group_id.substr(group_id.find('-') + 1));
}

// "tcp dport 22", "udp dport 1000-2000", "icmp type 8", "" for all.
std::string protocol_match(const std::string& protocol, int from, int to) {
    if (protocol == "-1")
        return "";
    if (protocol == "tcp" || protocol == "udp") {
        if (from == 0 && to == 65535)
            return fmt::format("meta l4proto {}", protocol);
        if (from == to)
            return fmt::format("{} dport {}", protocol, from);
        return fmt::format("{} dport {}-{}", protocol, from, to);
    }
    if (protocol == "icmp") {
        if (from == -1)
            return "meta l4proto icmp";
        if (to == -1)
            return fmt::format("icmp type {}", from);
        return fmt::format("icmp type {} icmp code {}", from, to);
    }
    return fmt::format("meta l4proto {}", protocol);
}

std::string with_space(std::string match) {
    return match.empty() ? match : match + " ";
}

void join(std::string& out, const std::string& part) {
    if (part.empty())
        return;
    if (!out.empty())
        out += ' ';
    out += part;
}

// The rules of `direction` of every group of `member`, in group order.
std::vector<const SecurityGroupRule*> member_rules(const std::vector<SecurityGroup>& groups,
                                                   const SgMember& member, bool egress) {
    std::vector<const SecurityGroupRule*> rules;
    for (const auto& id : member.group_ids)
        for (const auto& group : groups)
            if (group.group_id == id)
                for (const auto& rule : egress ? group.egress : group.ingress)
                    rules.push_back(&rule);
    return rules;
}

void compile_sets(std::string& out, const std::vector<SecurityGroup>& groups,
                  const std::vector<SgMember>& members) {
    for (const auto& group : groups) {
        std::set<std::string> addresses;
        for (const auto& member : members)
            if (!member.private_ip.empty() &&
                std::find(member.group_ids.begin(), member.group_ids.end(), group.group_id) !=
                    member.group_ids.end())
                addresses.insert(member.private_ip);
        out += fmt::format("\tset {} {{\n\t\ttype ipv4_addr\n", set_name(group.group_id));
        if (!addresses.empty()) {
            std::string list;
            for (const auto& address : addresses) list += (list.empty() ? "" : ", ") + address;
            out += fmt::format("\t\telements = {{ {} }}\n", list);
        }
        out += "\t}\n";
    }
}

void compile_member_chains(std::string& out, const std::vector<SecurityGroup>& groups,
                           const SgMember& member) {
    out += fmt::format("\tchain in_{} {{\n", member.port);
    for (const auto* rule : member_rules(groups, member, false))
        out += fmt::format("\t\t{}accept\n", with_space(rule_match(*rule, "saddr")));
    out += "\t\tdrop\n\t}\n";
    out += fmt::format("\tchain out_{} {{\n", member.port);
    out += fmt::format("\t\tip daddr {} return\n", kMetadataAddress);
    for (const auto* rule : member_rules(groups, member, true))
        out += fmt::format("\t\t{}return\n", with_space(rule_match(*rule, "daddr")));
    out += "\t\tdrop\n\t}\n";
}

// A base chain: conntrack first, then the members' chains for `egress_field`
// (the instance sends) and `ingress_field` (it receives); "" skips one.
void compile_base_chain(std::string& out, std::string_view hook, bool egress, bool ingress,
                        const std::vector<SgMember>& members) {
    out += fmt::format("\tchain {} {{\n\t\ttype filter hook {} priority filter; policy accept;\n",
                       hook, hook);
    out += "\t\tct state established,related accept\n";
    for (const auto& member : members)
        if (egress)
            out += fmt::format("\t\tip saddr {} jump out_{}\n", member.private_ip, member.port);
    for (const auto& member : members)
        if (ingress)
            out += fmt::format("\t\tip daddr {} jump in_{}\n", member.private_ip, member.port);
    out += "\t}\n";
}

std::string nacl_match(const NetworkAclEntry& entry) {
    std::string match = fmt::format("ip {} {}", entry.egress ? "daddr" : "saddr", entry.cidr);
    if (entry.protocol == "tcp" || entry.protocol == "udp") {
        // A NACL matches the destination port both ways (EC2: "PortRange").
        match += fmt::format(" {} dport {}", entry.protocol,
                             entry.from_port == entry.to_port
                                 ? std::to_string(entry.from_port)
                                 : fmt::format("{}-{}", entry.from_port, entry.to_port));
    } else if (entry.protocol != "-1") {
        match += fmt::format(" meta l4proto {}", entry.protocol);
    }
    return match;
}

void compile_nacl_chain(std::string& out, std::string_view name, const NetworkAcl* acl,
                        bool egress) {
    out += fmt::format("\tchain {} {{\n", name);
    std::vector<const NetworkAclEntry*> entries;
    if (acl)
        for (const auto& entry : acl->entries)
            if (entry.egress == egress)
                entries.push_back(&entry);
    std::sort(entries.begin(), entries.end(),
              [](auto* a, auto* b) { return a->rule_number < b->rule_number; });
    for (const auto* entry : entries)
        out += fmt::format("\t\t{} {} comment \"rule {}\"\n", nacl_match(*entry),
                           entry->allow ? "accept" : "drop", entry->rule_number);
    out += "\t\tdrop comment \"rule *\"\n\t}\n";
}

void compile_nacls(std::string& out, std::string_view vpc_id, const std::vector<SgMember>& members,
                   const std::vector<NetworkAcl>& acls) {
    // The subnets known here: those with instances and those associated explicitly.
    std::set<std::string> subnets;
    for (const auto& member : members)
        if (!member.subnet_id.empty())
            subnets.insert(member.subnet_id);
    for (const auto& acl : acls)
        if (acl.vpc_id == vpc_id)
            subnets.insert(acl.subnet_ids.begin(), acl.subnet_ids.end());
    out += fmt::format("table {} {{\n", kNaclTable);
    for (const auto& subnet : subnets) {
        std::string bridge = subnet_bridge_name(subnet);
        const NetworkAcl* acl = acl_of_subnet(acls, vpc_id, subnet);
        compile_nacl_chain(out, "in_" + bridge, acl, false);
        compile_nacl_chain(out, "out_" + bridge, acl, true);
    }
    // Before the groups' table (priority filter = 0), like EC2's NACL at the subnet edge.
    out += "\tchain forward {\n\t\ttype filter hook forward priority filter - 10; policy accept;\n";
    for (const auto& subnet : subnets) {
        std::string bridge = subnet_bridge_name(subnet);
        out += fmt::format("\t\tiifname \"{0}\" oifname != \"{0}\" jump out_{0}\n", bridge);
        out += fmt::format("\t\toifname \"{0}\" iifname != \"{0}\" jump in_{0}\n", bridge);
    }
    out += "\t}\n}\n";
}

}  // namespace

std::string rule_match(const SecurityGroupRule& rule, std::string_view peer_field) {
    std::string match;
    if (!rule.cidr.empty())
        match = rule.cidr == "0.0.0.0/0" ? "" : fmt::format("ip {} {}", peer_field, rule.cidr);
    else
        match = fmt::format("ip {} @{}", peer_field, set_name(rule.group_id));
    join(match, protocol_match(rule.protocol, rule.from_port, rule.to_port));
    return match;  // "" = everything: a bare verdict
}

std::string compile_firewall_removal() {
    // "add" first so that "delete" never fails on a table that is not there.
    return fmt::format(
        "add table {0}\ndelete table {0}\nadd table {1}\ndelete table {1}\n"
        "add table {2}\ndelete table {2}\n",
        kSgTable, kSpoofTable, kNaclTable);
}

std::string compile_firewall(std::string_view vpc_id, const std::vector<SecurityGroup>& groups,
                             const std::vector<SgMember>& unsorted_members,
                             const std::vector<NetworkAcl>& acls) {
    std::vector<SgMember> members;
    for (const auto& member : unsorted_members)
        if (!member.private_ip.empty() && !member.port.empty())
            members.push_back(member);
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.port < b.port; });
    std::vector<SecurityGroup> vpc_groups;
    for (const auto& group : groups)
        if (group.vpc_id == vpc_id)
            vpc_groups.push_back(group);

    std::string out = compile_firewall_removal();
    out += fmt::format("table {} {{\n", kSgTable);
    compile_sets(out, vpc_groups, members);
    for (const auto& member : members) compile_member_chains(out, vpc_groups, member);
    compile_base_chain(out, "forward", true, true, members);
    compile_base_chain(out, "output", false, true, members);
    compile_base_chain(out, "input", true, false, members);
    out += "}\n";

    // Source/destination check: a port sends only its instance's address.
    out += fmt::format(
        "table {} {{\n\tchain prerouting {{\n\t\ttype filter hook prerouting "
        "priority filter; policy accept;\n",
        kSpoofTable);
    for (const auto& member : members)
        out += fmt::format("\t\tiifname \"{}\" ether type ip ip saddr != {} drop\n", member.port,
                           member.private_ip);
    out += "\t}\n}\n";

    compile_nacls(out, vpc_id, members, acls);
    return out;
}

}  // namespace twinbox::cloud
