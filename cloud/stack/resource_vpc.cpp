// The VPC resource types of `twinbox stack`, each over the cloud/vpcs.h call
// `twinbox ec2` makes (the AWS provider's names for arguments and ids):
//
//   aws_vpc                      cidr_block                  create-vpc / delete-vpc
//   aws_subnet                   vpc_id, cidr_block,         create-subnet / delete-subnet,
//                                map_public_ip_on_launch     modify-subnet-attribute in place
//   aws_internet_gateway         vpc_id                      create + attach / detach + delete
//   aws_route_table              vpc_id                      create-route-table / delete
//   aws_route                    route_table_id, destination_cidr_block,
//                                gateway_id | nat_gateway_id create-route / delete-route
//   aws_route_table_association  subnet_id, route_table_id   associate / disassociate
//   aws_eip                      (domain "vpc")              allocate-address / release-address
//   aws_nat_gateway              subnet_id, allocation_id    create / delete-nat-gateway
//
// Every argument but map_public_ip_on_launch forces a replacement. Tags live
// in the stack's state only (the VPC store keeps none). Read-back describes
// the resource by id; AWS's NotFound code means it is gone (refresh plans it
// again).
#include <fmt/core.h>

#include "cloud/aws_error.h"
#include "cloud/stack/resource_types.h"
#include "cloud/vpcs.h"

namespace twinbox::cloud::stack {
namespace {

using resource_args::id_of;
using resource_args::text;

// The one element of a describe result's `list`, or nullopt when `code` says
// it is gone.
Result<std::optional<Json>> describe_one(Result<Json> described, std::string_view code,
                                         const char* list) {
    if (!described && aws_error_code(described.error()) == code)
        return std::optional<Json>();
    if (!described)
        return std::move(described).error();
    const Json& items = (*described)[list];
    if (!items.is_array() || items.empty())
        return std::optional<Json>();
    return std::optional<Json>(items.front());
}

// --- aws_vpc ---
Result<Json> vpc_create(const StateStore& store, const Json& args) {
    auto made = TRY(create_vpc(store, text(args, "cidr_block")));
    return Json{{"id", made["Vpc"]["VpcId"]}};
}
Result<std::optional<Observed>> vpc_read(const StateStore& store, const Json& attributes) {
    auto vpc = TRY(describe_one(describe_vpcs(store, {id_of(attributes)}, {}),
                                "InvalidVpcID.NotFound", "Vpcs"));
    if (!vpc)
        return std::optional<Observed>();
    return std::optional<Observed>(
        Observed{Json{{"cidr_block", (*vpc)["CidrBlock"]}}, Json::object()});
}

// --- aws_subnet ---
Result<Json> subnet_create(const StateStore& store, const Json& args) {
    auto made = TRY(create_subnet(store, text(args, "vpc_id"), text(args, "cidr_block")));
    std::string id = made["Subnet"]["SubnetId"].get<std::string>();
    if (args.value("map_public_ip_on_launch", false))
        if (auto set = modify_subnet_map_public_ip(store, id, true); !set) {
            (void)delete_subnet(store, id);
            return std::move(set).error();
        }
    return Json{{"id", id}};
}
Result<std::optional<Observed>> subnet_read(const StateStore& store, const Json& attributes) {
    auto subnet = TRY(describe_one(describe_subnets(store, {id_of(attributes)}, {}),
                                   "InvalidSubnetID.NotFound", "Subnets"));
    if (!subnet)
        return std::optional<Observed>();
    Json arguments{{"vpc_id", (*subnet)["VpcId"]}, {"cidr_block", (*subnet)["CidrBlock"]}};
    // Reported only when set: "not given" and false are the same argument
    // (a subnet written without it must not plan a change).
    if ((*subnet).value("MapPublicIpOnLaunch", false))
        arguments["map_public_ip_on_launch"] = true;
    return std::optional<Observed>(Observed{arguments, Json::object()});
}
Result<Json> subnet_update(const StateStore& store, const Json& attributes, const Json&,
                           const Json& after) {
    TRY(modify_subnet_map_public_ip(store, id_of(attributes),
                                    after.value("map_public_ip_on_launch", false)));
    return attributes;
}

// --- aws_internet_gateway ---
Result<Json> igw_create(const StateStore& store, const Json& args) {
    auto made = TRY(create_internet_gateway(store));
    std::string id = made["InternetGateway"]["InternetGatewayId"].get<std::string>();
    if (std::string vpc = text(args, "vpc_id"); !vpc.empty())
        if (auto attached = attach_internet_gateway(store, id, vpc); !attached) {
            (void)delete_internet_gateway(store, id);
            return std::move(attached).error();
        }
    return Json{{"id", id}};
}
Result<std::optional<Observed>> igw_read(const StateStore& store, const Json& attributes) {
    auto igw = TRY(describe_one(describe_internet_gateways(store, {id_of(attributes)}, {}),
                                "InvalidInternetGatewayID.NotFound", "InternetGateways"));
    if (!igw)
        return std::optional<Observed>();
    Json vpc = "";
    for (const auto& attachment : (*igw)["Attachments"]) vpc = attachment["VpcId"];
    return std::optional<Observed>(Observed{Json{{"vpc_id", vpc}}, Json::object()});
}
Result<void> igw_destroy(const StateStore& store, const Json& attributes) {
    auto observed = TRY(igw_read(store, attributes));
    if (observed) {
        std::string vpc = observed->arguments["vpc_id"].get<std::string>();
        if (!vpc.empty())
            TRY(detach_internet_gateway(store, id_of(attributes), vpc));
    }
    return delete_internet_gateway(store, id_of(attributes));
}

// --- aws_route_table ---
Result<Json> table_create(const StateStore& store, const Json& args) {
    auto made = TRY(create_route_table(store, text(args, "vpc_id")));
    return Json{{"id", made["RouteTable"]["RouteTableId"]}};
}
Result<std::optional<Json>> table_of(const StateStore& store, const std::string& id) {
    return describe_one(describe_route_tables(store, {id}, {}), "InvalidRouteTableID.NotFound",
                        "RouteTables");
}
Result<std::optional<Observed>> table_read(const StateStore& store, const Json& attributes) {
    auto table = TRY(table_of(store, id_of(attributes)));
    if (!table)
        return std::optional<Observed>();
    return std::optional<Observed>(Observed{Json{{"vpc_id", (*table)["VpcId"]}}, Json::object()});
}

// --- aws_route: id "rtb-...|0.0.0.0/0" ---
Result<Json> route_create(const StateStore& store, const Json& args) {
    RouteInput input{text(args, "route_table_id"), text(args, "destination_cidr_block"),
                     text(args, "gateway_id"), text(args, "nat_gateway_id"), ""};
    TRY(create_route(store, input));
    return Json{{"id", input.route_table_id + "|" + input.destination}};
}
std::pair<std::string, std::string> route_key(const Json& attributes) {
    std::string id = id_of(attributes);
    size_t bar = id.find('|');
    return {id.substr(0, bar), bar == std::string::npos ? "" : id.substr(bar + 1)};
}
Result<std::optional<Observed>> route_read(const StateStore& store, const Json& attributes) {
    auto [table_id, destination] = route_key(attributes);
    auto table = TRY(table_of(store, table_id));
    if (!table)
        return std::optional<Observed>();
    for (const auto& route : (*table)["Routes"])
        if (route.value("DestinationCidrBlock", "") == destination &&
            route.value("State", "active") == "active")
            return std::optional<Observed>(
                Observed{Json{{"route_table_id", table_id},
                              {"destination_cidr_block", destination},
                              {"gateway_id", route.value("GatewayId", "")},
                              {"nat_gateway_id", route.value("NatGatewayId", "")}},
                         Json::object()});
    return std::optional<Observed>();  // gone, or a blackhole: planned again
}
Result<void> route_destroy(const StateStore& store, const Json& attributes) {
    auto [table_id, destination] = route_key(attributes);
    return delete_route(store, table_id, destination);
}

// --- aws_route_table_association: id "rtbassoc-..." ---
Result<Json> association_create(const StateStore& store, const Json& args) {
    auto made =
        TRY(associate_route_table(store, text(args, "route_table_id"), text(args, "subnet_id")));
    return Json{{"id", made["AssociationId"]}};
}
Result<std::optional<Observed>> association_read(const StateStore& store, const Json& attributes) {
    auto tables = TRY(describe_route_tables(store, {}, {}));
    for (const auto& table : tables["RouteTables"])
        for (const auto& association : table["Associations"])
            if (association.value("RouteTableAssociationId", "") == id_of(attributes))
                return std::optional<Observed>(
                    Observed{Json{{"route_table_id", table["RouteTableId"]},
                                  {"subnet_id", association.value("SubnetId", "")}},
                             Json::object()});
    return std::optional<Observed>();
}

// --- aws_eip: id "eipalloc-..." ---
Result<Json> eip_create(const StateStore& store, const Json&) {
    auto made = TRY(allocate_address(store));
    return Json{{"id", made["AllocationId"]}, {"public_ip", made["PublicIp"]}};
}
Result<std::optional<Observed>> eip_read(const StateStore& store, const Json& attributes) {
    auto address = TRY(describe_one(describe_addresses(store, {id_of(attributes)}, {}),
                                    "InvalidAllocationID.NotFound", "Addresses"));
    if (!address)
        return std::optional<Observed>();
    return std::optional<Observed>(
        Observed{Json::object(), Json{{"public_ip", (*address)["PublicIp"]}}});
}

// --- aws_nat_gateway: id "nat-..." ---
Result<Json> nat_create(const StateStore& store, const Json& args) {
    auto made =
        TRY(create_nat_gateway(store, text(args, "subnet_id"), text(args, "allocation_id")));
    return Json{{"id", made["NatGateway"]["NatGatewayId"]}};
}
Result<std::optional<Observed>> nat_read(const StateStore& store, const Json& attributes) {
    auto nat = TRY(describe_one(describe_nat_gateways(store, {id_of(attributes)}, {}),
                                "NatGatewayNotFound", "NatGateways"));
    if (!nat || (*nat).value("State", "") == "deleted")
        return std::optional<Observed>();
    Json allocation = "";
    for (const auto& address : (*nat)["NatGatewayAddresses"]) allocation = address["AllocationId"];
    return std::optional<Observed>(Observed{
        Json{{"subnet_id", (*nat)["SubnetId"]}, {"allocation_id", allocation}}, Json::object()});
}

}  // namespace

ResourceType aws_eip_type() {
    return {
        .name = "aws_eip",
        .arguments = {{"domain", true}, {"vpc", true}, {"tags"}},
        .attributes = {"id", "public_ip"},
        .create = eip_create,
        .read = eip_read,
        .update = [](const StateStore&, const Json& attributes, const Json&,
                     const Json&) -> Result<Json> { return attributes; },
        .destroy = [](const StateStore& store,
                      const Json& attributes) { return release_address(store, id_of(attributes)); },
        .also_forces = {}};
}

ResourceType aws_nat_gateway_type() {
    return {.name = "aws_nat_gateway",
            .arguments = {{"subnet_id", true, true}, {"allocation_id", true, true}, {"tags"}},
            .attributes = {"id"},
            .create = nat_create,
            .read = nat_read,
            .update = [](const StateStore&, const Json& attributes, const Json&,
                         const Json&) -> Result<Json> { return attributes; },
            .destroy = [](const StateStore& store, const Json& attributes) -> Result<void> {
                TRY(delete_nat_gateway(store, id_of(attributes)));
                return ok();
            },
            .also_forces = {}};
}

ResourceType aws_vpc_type() {
    return {.name = "aws_vpc",
            .arguments = {{"cidr_block", true, true}, {"tags"}},
            .attributes = {"id"},
            .create = vpc_create,
            .read = vpc_read,
            .update = [](const StateStore&, const Json& attributes, const Json&,
                         const Json&) -> Result<Json> { return attributes; },
            .destroy = [](const StateStore& store,
                          const Json& attributes) { return delete_vpc(store, id_of(attributes)); },
            .also_forces = {}};
}

ResourceType aws_subnet_type() {
    return {
        .name = "aws_subnet",
        .arguments = {{"vpc_id", true, true},
                      {"cidr_block", true, true},
                      {"map_public_ip_on_launch"},
                      {"availability_zone", true},
                      {"tags"}},
        .attributes = {"id"},
        .create = subnet_create,
        .read = subnet_read,
        .update = subnet_update,
        .destroy = [](const StateStore& store,
                      const Json& attributes) { return delete_subnet(store, id_of(attributes)); },
        .also_forces = {}};
}

ResourceType aws_internet_gateway_type() {
    return {.name = "aws_internet_gateway",
            .arguments = {{"vpc_id", true}, {"tags"}},
            .attributes = {"id"},
            .create = igw_create,
            .read = igw_read,
            .update = [](const StateStore&, const Json& attributes, const Json&,
                         const Json&) -> Result<Json> { return attributes; },
            .destroy = igw_destroy,
            .also_forces = {}};
}

ResourceType aws_route_table_type() {
    return {.name = "aws_route_table",
            .arguments = {{"vpc_id", true, true}, {"tags"}},
            .attributes = {"id"},
            .create = table_create,
            .read = table_read,
            .update = [](const StateStore&, const Json& attributes, const Json&,
                         const Json&) -> Result<Json> { return attributes; },
            .destroy =
                [](const StateStore& store, const Json& attributes) {
                    return delete_route_table(store, id_of(attributes));
                },
            .also_forces = {}};
}

ResourceType aws_route_type() {
    return {.name = "aws_route",
            .arguments = {{"route_table_id", true, true},
                          {"destination_cidr_block", true, true},
                          {"gateway_id", true},
                          {"nat_gateway_id", true}},
            .attributes = {"id"},
            .create = route_create,
            .read = route_read,
            .update = {},
            .destroy = route_destroy,
            .also_forces = {}};
}

ResourceType aws_route_table_association_type() {
    return {.name = "aws_route_table_association",
            .arguments = {{"subnet_id", true, true}, {"route_table_id", true, true}},
            .attributes = {"id"},
            .create = association_create,
            .read = association_read,
            .update = {},
            .destroy =
                [](const StateStore& store, const Json& attributes) {
                    return disassociate_route_table(store, id_of(attributes));
                },
            .also_forces = {}};
}

}  // namespace twinbox::cloud::stack
