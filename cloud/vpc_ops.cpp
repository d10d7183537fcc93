// VPCs, subnets and the default VPC (see vpcs.h).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/instance_store.h"
#include "cloud/network_acls.h"
#include "cloud/security_groups.h"
#include "cloud/vpc_cidr.h"
#include "cloud/vpc_lookup.h"
#include "cloud/vpc_router.h"
#include "cloud/vpcs.h"

namespace twinbox::cloud {

namespace {

Result<void> rebuild(const VpcState& state, const std::string& vpc_id) {
    if (state.vpcs.end() != std::find_if(state.vpcs.begin(), state.vpcs.end(),
                                         [&](const VpcRecord& v) { return v.vpc_id == vpc_id; }))
        return build_vpc_router(state, vpc_id);
    return remove_vpc_router(vpc_id);
}

// What `before` had and `after` has not: bridges and kernel tables to remove.
Result<void> remove_leftovers(const VpcState& before, VpcState& after) {
    for (const auto& subnet : before.subnets)
        if (!after.subnet(subnet.subnet_id) && after.vpc(subnet.vpc_id))
            TRY(remove_subnet_bridge(subnet.vpc_id, subnet.subnet_id));
    for (const auto& table : before.route_tables)
        if (!after.route_table(table.route_table_id) && after.vpc(table.vpc_id))
            TRY(flush_route_table(table.vpc_id, table.table));
    return ok();
}

int free_link_index(const VpcState& state) {
    std::set<int> used;
    for (const auto& vpc : state.vpcs) used.insert(vpc.link_index);
    int index = 0;
    while (used.count(index)) ++index;
    return index;
}

Result<VpcRecord*> add_vpc(VpcState& state, const network::Cidr& cidr, bool is_default) {
    VpcRecord vpc{TRY(new_id("vpc")), cidr.to_string(), is_default, free_link_index(state)};
    if (vpc.link_index >= static_cast<int>(kGatewayLinkRange.size() / 4))
        return aws_error("VpcLimitExceeded", "The maximum number of VPCs has been reached.");
    state.vpcs.push_back(vpc);
    TRY(add_route_table(state, vpc.vpc_id, true));
    return &state.vpcs.back();
}

std::vector<network::Cidr> subnet_blocks(const VpcState& state, std::string_view vpc_id) {
    std::vector<network::Cidr> blocks;
    for (const auto& subnet : state.subnets)
        if (subnet.vpc_id == vpc_id)
            if (auto cidr = network::parse_cidr(subnet.cidr))
                blocks.push_back(*cidr);
    return blocks;
}

}  // namespace

Result<std::string> add_route_table(VpcState& state, const std::string& vpc_id, bool main) {
    std::set<int> used;
    for (const auto& table : state.route_tables)
        if (table.vpc_id == vpc_id)
            used.insert(table.table);
    int number = 100;
    while (used.count(number)) ++number;
    const VpcRecord* vpc = state.vpc(vpc_id);
    RouteTableRecord table{TRY(new_id("rtb")), vpc_id, number, {}, {}};
    table.routes.push_back({vpc->cidr, "local", "", "", "CreateRouteTable"});
    if (main)
        table.associations.push_back({TRY(new_id("rtbassoc")), "", true});
    state.route_tables.push_back(table);
    return table.route_table_id;
}

Result<void> change_vpcs(const StateStore& store, const VpcChange& change) {
    return update_vpc_state(store, [&](VpcState& state) -> Result<void> {
        const VpcState before = state;
        std::vector<std::string> vpcs = TRY(change(state));
        for (size_t i = 0; i < vpcs.size(); ++i) {
            auto built = rebuild(state, vpcs[i]);
            if (!built) {
                // Put back every router touched, including the one that failed.
                for (size_t j = 0; j <= i; ++j) (void)rebuild(before, vpcs[j]);
                return built.error();
            }
        }
        TRY(remove_leftovers(before, state));
        return ok();
    });
}

Result<VpcRecord*> find_vpc(VpcState& state, std::string_view vpc_id) {
    VpcRecord* vpc = state.vpc(vpc_id);
    if (!vpc)
        return aws_error("InvalidVpcID.NotFound",
                         fmt::format("The vpc ID '{}' does not exist", vpc_id));
    return vpc;
}

Result<SubnetRecord*> find_subnet(VpcState& state, std::string_view subnet_id) {
    SubnetRecord* subnet = state.subnet(subnet_id);
    if (!subnet)
        return aws_error("InvalidSubnetID.NotFound",
                         fmt::format("The subnet ID '{}' does not exist", subnet_id));
    return subnet;
}

Result<std::string> ensure_default_vpc(const StateStore& store) {
    std::string id;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<std::vector<std::string>> {
        for (const auto& vpc : state.vpcs)
            if (vpc.is_default) {
                id = vpc.vpc_id;
                return std::vector<std::string>{};
            }
        VpcRecord* vpc = TRY(add_vpc(state, TRY(parse_vpc_cidr(kDefaultVpcCidr)), true));
        id = vpc->vpc_id;
        state.subnets.push_back({TRY(new_id("subnet")), id, kDefaultSubnetCidr, true, true});
        InternetGatewayRecord igw{TRY(new_id("igw")), id};
        state.internet_gateways.push_back(igw);
        state.main_table(id)->routes.push_back(
            {"0.0.0.0/0", igw.internet_gateway_id, "", "", "CreateRoute"});
        return std::vector<std::string>{id};
    }));
    // Its default security group and network ACL, outside the VPC document's
    // change (one store lock for all documents); idempotent, so a default VPC
    // whose group a crash left unmade gets it now.
    TRY(create_default_security_group(store, id));
    return id;
}

Result<nlohmann::json> create_vpc(const StateStore& store, std::string_view cidr_text) {
    network::Cidr cidr = TRY(parse_vpc_cidr(cidr_text));
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<std::vector<std::string>> {
        VpcRecord* vpc = TRY(add_vpc(state, cidr, false));
        out = {{"Vpc", vpc_json(*vpc)}};
        return std::vector<std::string>{vpc->vpc_id};
    }));
    // Every VPC has a default security group and network ACL, as on AWS; a
    // VPC without them is not left behind.
    std::string vpc_id = out["Vpc"]["VpcId"].get<std::string>();
    if (auto made = create_default_security_group(store, vpc_id); !made) {
        (void)delete_vpc(store, vpc_id);
        return std::move(made).error();
    }
    return out;
}

Result<nlohmann::json> describe_vpcs(const StateStore& store, const std::vector<std::string>& ids,
                                     const std::vector<Filter>& filters) {
    TRY(ensure_default_vpc(store));
    VpcState state = TRY(read_vpc_state(store));
    for (const auto& id : ids) TRY(find_vpc(state, id));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& vpc : state.vpcs) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), vpc.vpc_id) == ids.end())
            continue;
        nlohmann::json item = vpc_json(vpc);
        if (passes_filters(item, filters))
            list.push_back(std::move(item));
    }
    return nlohmann::json{{"Vpcs", std::move(list)}};
}

Result<void> delete_vpc(const StateStore& store, std::string_view vpc_id) {
    if (TRY(vpc_has_security_groups(store, vpc_id)))
        return aws_error("DependencyViolation",
                         fmt::format("The vpc '{}' has dependencies and cannot be deleted "
                                     "(security groups or network ACLs other than its default).",
                                     vpc_id));
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<std::vector<std::string>> {
        TRY(find_vpc(state, vpc_id));
        auto depends = [&](std::string_view what, std::string_view id) {
            return aws_error("DependencyViolation",
                             fmt::format("The vpc '{}' has dependencies and cannot be deleted "
                                         "({} {}).",
                                         vpc_id, what, id));
        };
        for (const auto& subnet : state.subnets)
            if (subnet.vpc_id == vpc_id)
                return depends("subnet", subnet.subnet_id);
        for (const auto& igw : state.internet_gateways)
            if (igw.vpc_id == vpc_id)
                return depends("internet gateway", igw.internet_gateway_id);
        for (const auto& table : state.route_tables)
            if (table.vpc_id == vpc_id && state.main_table(vpc_id) != &table)
                return depends("route table", table.route_table_id);
        std::erase_if(state.route_tables,
                      [&](const RouteTableRecord& table) { return table.vpc_id == vpc_id; });
        std::erase_if(state.vpcs, [&](const VpcRecord& vpc) { return vpc.vpc_id == vpc_id; });
        return std::vector<std::string>{std::string(vpc_id)};
    }));
    return delete_security_groups_of_vpc(store, vpc_id);
}

Result<nlohmann::json> create_subnet(const StateStore& store, std::string_view vpc_id,
                                     std::string_view cidr_text) {
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<std::vector<std::string>> {
        VpcRecord* vpc = TRY(find_vpc(state, vpc_id));
        network::Cidr vpc_cidr = TRY(parse_vpc_cidr(vpc->cidr));
        network::Cidr cidr =
            TRY(parse_subnet_cidr(cidr_text, vpc_cidr, subnet_blocks(state, vpc_id)));
        SubnetRecord subnet{TRY(new_id("subnet")), std::string(vpc_id), cidr.to_string(), false,
                            false};
        state.subnets.push_back(subnet);
        out = {{"Subnet", subnet_json(state, subnet)}};
        return std::vector<std::string>{subnet.vpc_id};
    }));
    return out;
}

Result<nlohmann::json> describe_subnets(const StateStore& store,
                                        const std::vector<std::string>& ids,
                                        const std::vector<Filter>& filters) {
    TRY(ensure_default_vpc(store));
    VpcState state = TRY(read_vpc_state(store));
    for (const auto& id : ids) TRY(find_subnet(state, id));
    nlohmann::json list = nlohmann::json::array();
    for (const auto& subnet : state.subnets) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), subnet.subnet_id) == ids.end())
            continue;
        nlohmann::json item = subnet_json(state, subnet);
        if (passes_filters(item, filters))
            list.push_back(std::move(item));
    }
    return nlohmann::json{{"Subnets", std::move(list)}};
}

Result<void> delete_subnet(const StateStore& store, std::string_view subnet_id) {
    auto instances = TRY(read_instances(store));
    for (const auto& instance : instances)
        if (instance.subnet_id == subnet_id && instance.state != InstanceState::terminated)
            return aws_error("DependencyViolation",
                             fmt::format("The subnet '{}' has dependencies and cannot be "
                                         "deleted (instance {}).",
                                         subnet_id, instance.instance_id));
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<std::vector<std::string>> {
        SubnetRecord* subnet = TRY(find_subnet(state, subnet_id));
        std::string vpc_id = subnet->vpc_id;
        for (const auto& nat : state.nat_gateways)
            if (nat.subnet_id == subnet_id && nat.state == "available")
                return aws_error("DependencyViolation",
                                 fmt::format("The subnet '{}' has dependencies and cannot be "
                                             "deleted (NAT gateway {}).",
                                             subnet_id, nat.nat_gateway_id));
        for (auto& table : state.route_tables)
            std::erase_if(table.associations, [&](const RouteAssociation& association) {
                return association.subnet_id == subnet_id;
            });
        std::erase_if(state.subnets,
                      [&](const SubnetRecord& s) { return s.subnet_id == subnet_id; });
        return std::vector<std::string>{vpc_id};
    }));
    return forget_subnet_network_acl(store, subnet_id);
}

Result<void> modify_subnet_map_public_ip(const StateStore& store, std::string_view subnet_id,
                                         bool map_public_ip_on_launch) {
    return change_vpcs(store, [&](VpcState& state) -> Result<std::vector<std::string>> {
        SubnetRecord* subnet = TRY(find_subnet(state, subnet_id));
        subnet->map_public_ip_on_launch = map_public_ip_on_launch;
        return std::vector<std::string>{};
    });
}

}  // namespace twinbox::cloud
