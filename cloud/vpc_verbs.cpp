// The VPC verbs' table (see vpc_verbs.h): VPCs, subnets, route tables,
// internet gateways, Elastic IPs and NAT gateways (cloud/vpcs.h). Verbs
// whose AWS CLI output is empty return null JSON.
#include "cloud/vpc_verbs.h"

#include "cloud/vpcs.h"

namespace twinbox::cloud {

namespace {

using nlohmann::json;
using Out = Result<json>;

Out nothing(Result<void> done) {
    if (!done)
        return done.error();
    return json();
}

std::vector<VpcVerb> vpc_verbs() {
    return {
        {"create-vpc",
         "Create a VPC: a router network namespace",
         "CreateVpc",
         {{"--cidr-block", "The VPC's IPv4 block, /16 to /28"}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return create_vpc(s, v["--cidr-block"]);
         }},
        {"describe-vpcs",
         "List VPCs",
         "DescribeVpcs",
         {},
         {},
         {},
         "--vpc-ids",
         [](const StateStore& s, const VerbValues& v) -> Out {
             return describe_vpcs(s, v.ids, v.filters);
         }},
        {"delete-vpc",
         "Delete a VPC (refused while it has subnets or a gateway)",
         "DeleteVpc",
         {{"--vpc-id", "vpc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(delete_vpc(s, v["--vpc-id"]));
         }},
        {"create-subnet",
         "Create a subnet: a bridge in the VPC router",
         "CreateSubnet",
         {{"--vpc-id", "vpc-..."}, {"--cidr-block", "Inside the VPC's block, /16 to /28"}},
         {{"--availability-zone", "local-1a (the only zone)"}},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return create_subnet(s, v["--vpc-id"], v["--cidr-block"]);
         }},
        {"describe-subnets",
         "List subnets",
         "DescribeSubnets",
         {},
         {},
         {},
         "--subnet-ids",
         [](const StateStore& s, const VerbValues& v) -> Out {
             return describe_subnets(s, v.ids, v.filters);
         }},
        {"delete-subnet",
         "Delete a subnet (refused while instances use it)",
         "DeleteSubnet",
         {{"--subnet-id", "subnet-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(delete_subnet(s, v["--subnet-id"]));
         }},
        {"modify-subnet-attribute",
         "Set a subnet's MapPublicIpOnLaunch",
         "ModifySubnetAttribute",
         {{"--subnet-id", "subnet-..."}},
         {},
         {{"--map-public-ip-on-launch", "Give instances launched here a public IPv4"}},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(modify_subnet_map_public_ip(s, v["--subnet-id"],
                                                        v.flags.at("--map-public-ip-on-launch")));
         }},
    };
}

RouteInput route_input(const VerbValues& v) {
    return {v["--route-table-id"], v["--destination-cidr-block"], v["--gateway-id"],
            v["--nat-gateway-id"], v["--instance-id"]};
}

const std::vector<std::pair<const char*, const char*>> kRouteTargets = {
    {"--gateway-id", "igw-... (an internet gateway of the table's VPC)"},
    {"--nat-gateway-id", "nat-... (a NAT gateway of the table's VPC)"},
    {"--instance-id", "i-... (not supported: InvalidParameterValue)"}};

std::vector<VpcVerb> route_verbs() {
    return {
        {"create-route-table",
         "Create a route table (with the local route)",
         "CreateRouteTable",
         {{"--vpc-id", "vpc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return create_route_table(s, v["--vpc-id"]);
         }},
        {"describe-route-tables",
         "List route tables, their routes and associations",
         "DescribeRouteTables",
         {},
         {},
         {},
         "--route-table-ids",
         [](const StateStore& s, const VerbValues& v) -> Out {
             return describe_route_tables(s, v.ids, v.filters);
         }},
        {"delete-route-table",
         "Delete a route table with no associations",
         "DeleteRouteTable",
         {{"--route-table-id", "rtb-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(delete_route_table(s, v["--route-table-id"]));
         }},
        {"create-route",
         "Add a route to a route table",
         "CreateRoute",
         {{"--route-table-id", "rtb-..."}, {"--destination-cidr-block", "0.0.0.0/0"}},
         kRouteTargets,
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return create_route(s, route_input(v));
         }},
        {"replace-route",
         "Change a route's target",
         "ReplaceRoute",
         {{"--route-table-id", "rtb-..."}, {"--destination-cidr-block", "0.0.0.0/0"}},
         kRouteTargets,
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(replace_route(s, route_input(v)));
         }},
        {"delete-route",
         "Remove a route",
         "DeleteRoute",
         {{"--route-table-id", "rtb-..."}, {"--destination-cidr-block", "0.0.0.0/0"}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(delete_route(s, v["--route-table-id"], v["--destination-cidr-block"]));
         }},
        {"associate-route-table",
         "Give a subnet a route table",
         "AssociateRouteTable",
         {{"--route-table-id", "rtb-..."}, {"--subnet-id", "subnet-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return associate_route_table(s, v["--route-table-id"], v["--subnet-id"]);
         }},
        {"disassociate-route-table",
         "Put a subnet back on its VPC's main table",
         "DisassociateRouteTable",
         {{"--association-id", "rtbassoc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(disassociate_route_table(s, v["--association-id"]));
         }},
    };
}

std::vector<VpcVerb> gateway_verbs() {
    return {
        {"create-internet-gateway",
         "Create an internet gateway",
         "CreateInternetGateway",
         {},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues&) -> Out { return create_internet_gateway(s); }},
        {"attach-internet-gateway",
         "Link a VPC's router to the host",
         "AttachInternetGateway",
         {{"--internet-gateway-id", "igw-..."}, {"--vpc-id", "vpc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(attach_internet_gateway(s, v["--internet-gateway-id"], v["--vpc-id"]));
         }},
        {"detach-internet-gateway",
         "Unlink a VPC's router from the host",
         "DetachInternetGateway",
         {{"--internet-gateway-id", "igw-..."}, {"--vpc-id", "vpc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(detach_internet_gateway(s, v["--internet-gateway-id"], v["--vpc-id"]));
         }},
        {"describe-internet-gateways",
         "List internet gateways",
         "DescribeInternetGateways",
         {},
         {},
         {},
         "--internet-gateway-ids",
         [](const StateStore& s, const VerbValues& v) -> Out {
             return describe_internet_gateways(s, v.ids, v.filters);
         }},
        {"delete-internet-gateway",
         "Delete a detached internet gateway",
         "DeleteInternetGateway",
         {{"--internet-gateway-id", "igw-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(delete_internet_gateway(s, v["--internet-gateway-id"]));
         }},
        {"allocate-address",
         "Allocate an Elastic IP (from 198.18.0.0/16, host-local)",
         "AllocateAddress",
         {},
         {{"--domain", "vpc (the only domain)"}},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues&) -> Out { return allocate_address(s); }},
        {"associate-address",
         "Map an Elastic IP to an instance (1:1 NAT in the router)",
         "AssociateAddress",
         {{"--allocation-id", "eipalloc-..."}, {"--instance-id", "i-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return associate_address(s, v["--allocation-id"], v["--instance-id"]);
         }},
        {"disassociate-address",
         "Unmap an Elastic IP",
         "DisassociateAddress",
         {{"--association-id", "eipassoc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(disassociate_address(s, v["--association-id"]));
         }},
        {"release-address",
         "Give an unmapped Elastic IP back",
         "ReleaseAddress",
         {{"--allocation-id", "eipalloc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return nothing(release_address(s, v["--allocation-id"]));
         }},
        {"describe-addresses",
         "List Elastic IPs",
         "DescribeAddresses",
         {},
         {},
         {},
         "--allocation-ids",
         [](const StateStore& s, const VerbValues& v) -> Out {
             return describe_addresses(s, v.ids, v.filters);
         }},
        {"create-nat-gateway",
         "Outbound-only masquerade for subnets routed to it",
         "CreateNatGateway",
         {{"--subnet-id", "subnet-... (a public subnet)"}, {"--allocation-id", "eipalloc-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return create_nat_gateway(s, v["--subnet-id"], v["--allocation-id"]);
         }},
        {"describe-nat-gateways",
         "List NAT gateways",
         "DescribeNatGateways",
         {},
         {},
         {},
         "--nat-gateway-ids",
         [](const StateStore& s, const VerbValues& v) -> Out {
             return describe_nat_gateways(s, v.ids, v.filters);
         }},
        {"delete-nat-gateway",
         "Delete a NAT gateway (its routes become blackholes)",
         "DeleteNatGateway",
         {{"--nat-gateway-id", "nat-..."}},
         {},
         {},
         nullptr,
         [](const StateStore& s, const VerbValues& v) -> Out {
             return delete_nat_gateway(s, v["--nat-gateway-id"]);
         }},
    };
}

}  // namespace

const std::vector<VpcVerb>& vpc_verb_table() {
    static const std::vector<VpcVerb> table = [] {
        std::vector<VpcVerb> all;
        for (auto group : {vpc_verbs(), route_verbs(), gateway_verbs()})
            all.insert(all.end(), group.begin(), group.end());
        return all;
    }();
    return table;
}

const VpcVerb* find_vpc_verb(std::string_view operation) {
    for (const auto& verb : vpc_verb_table())
        if (verb.operation == operation)
            return &verb;
    return nullptr;
}

}  // namespace twinbox::cloud
