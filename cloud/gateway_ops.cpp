// Internet gateways, Elastic IPs and NAT gateways (see vpcs.h).
#include <fmt/format.h>

#include <algorithm>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/instance_store.h"
#include "cloud/json_fields.h"
#include "cloud/vpc_cidr.h"
#include "cloud/vpc_lookup.h"
#include "cloud/vpc_router.h"
#include "cloud/vpcs.h"

namespace twinbox::cloud {

namespace {

using Vpcs = std::vector<std::string>;

template <typename T, typename Id, typename Json>
nlohmann::json list_of(const std::vector<T>& items, const std::vector<std::string>& ids, Id id,
                       Json to_json, const std::vector<Filter>& filters) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& item : items) {
        if (!ids.empty() && std::find(ids.begin(), ids.end(), id(item)) == ids.end())
            continue;
        nlohmann::json entry = to_json(item);
        if (passes_filters(entry, filters))
            list.push_back(std::move(entry));
    }
    return list;
}

Result<network::Ipv4> free_public_address(const VpcState& state) {
    for (uint32_t offset = 1; offset + 1 < kPublicRange.size(); ++offset) {
        network::Ipv4 candidate{kPublicRange.address.value + offset};
        std::string text = candidate.to_string();
        if (std::none_of(state.addresses.begin(), state.addresses.end(),
                         [&](const AddressRecord& a) { return a.public_ip == text; }))
            return candidate;
    }
    return aws_error("AddressLimitExceeded", "The maximum number of addresses has been reached.");
}

// The instance's public IPv4 in its record (instances.json), after a change here.
Result<void> set_instance_public_ip(const StateStore& store, const std::string& instance_id,
                                    const std::string& public_ip) {
    return update_instances(store, [&](std::vector<InstanceRecord>& instances) -> Result<void> {
        if (InstanceRecord* record = find_instance(instances, instance_id))
            record->public_ip = public_ip;
        return ok();
    });
}

}  // namespace

Result<InternetGatewayRecord*> find_internet_gateway(VpcState& state, std::string_view id) {
    InternetGatewayRecord* igw = state.internet_gateway(id);
    if (!igw)
        return aws_error("InvalidInternetGatewayID.NotFound",
                         fmt::format("The internetGateway ID '{}' does not exist", id));
    return igw;
}

Result<AddressRecord*> find_address(VpcState& state, std::string_view allocation_id) {
    AddressRecord* address = allocation_id.empty() ? nullptr : state.address(allocation_id);
    if (!address)
        return aws_error("InvalidAllocationID.NotFound",
                         fmt::format("The allocation ID '{}' does not exist", allocation_id));
    return address;
}

Result<NatGatewayRecord*> find_nat_gateway(VpcState& state, std::string_view id) {
    NatGatewayRecord* nat = state.nat_gateway(id);
    if (!nat || nat->state == "deleted")
        return aws_error("NatGatewayNotFound", fmt::format("The Nat Gateway {} was not found", id));
    return nat;
}

Result<nlohmann::json> create_internet_gateway(const StateStore& store) {
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        InternetGatewayRecord igw{TRY(new_id("igw")), ""};
        state.internet_gateways.push_back(igw);
        out = {{"InternetGateway", internet_gateway_json(igw)}};
        return Vpcs{};
    }));
    return out;
}

Result<void> attach_internet_gateway(const StateStore& store, std::string_view igw_id,
                                     std::string_view vpc_id) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        InternetGatewayRecord* igw = TRY(find_internet_gateway(state, igw_id));
        TRY(find_vpc(state, vpc_id));
        if (!igw->vpc_id.empty())
            return aws_error(
                "Resource.AlreadyAssociated",
                fmt::format("resource {} is already attached to network {}", igw_id, igw->vpc_id));
        for (const auto& other : state.internet_gateways)
            if (other.vpc_id == vpc_id)
                return aws_error("Resource.AlreadyAssociated",
                                 fmt::format("network {} already has an internet gateway "
                                             "attached ({})",
                                             vpc_id, other.internet_gateway_id));
        igw->vpc_id = vpc_id;
        return Vpcs{std::string(vpc_id)};
    });
}

Result<void> detach_internet_gateway(const StateStore& store, std::string_view igw_id,
                                     std::string_view vpc_id) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        InternetGatewayRecord* igw = TRY(find_internet_gateway(state, igw_id));
        TRY(find_vpc(state, vpc_id));
        if (igw->vpc_id != vpc_id)
            return aws_error(
                "Gateway.NotAttached",
                fmt::format("resource {} is not attached to network {}", igw_id, vpc_id));
        bool mapped = std::any_of(state.addresses.begin(), state.addresses.end(),
                                  [&](const AddressRecord& a) { return a.vpc_id == vpc_id; }) ||
                      std::any_of(state.nat_gateways.begin(), state.nat_gateways.end(),
                                  [&](const NatGatewayRecord& n) {
                                      return n.vpc_id == vpc_id && n.state == "available";
                                  });
        if (mapped)
            return aws_error("DependencyViolation",
                             fmt::format("Network {} has some mapped public address(es). Please "
                                         "unmap those public address(es) before detaching the "
                                         "gateway.",
                                         vpc_id));
        igw->vpc_id.clear();
        return Vpcs{std::string(vpc_id)};
    });
}

Result<nlohmann::json> describe_internet_gateways(const StateStore& store,
                                                  const std::vector<std::string>& ids,
                                                  const std::vector<Filter>& filters) {
    TRY(ensure_default_vpc(store));
    VpcState state = TRY(read_vpc_state(store));
    for (const auto& id : ids) TRY(find_internet_gateway(state, id));
    return nlohmann::json{{"InternetGateways", list_of(
                                                   state.internet_gateways, ids,
                                                   [](const InternetGatewayRecord& igw) {
                                                       return igw.internet_gateway_id;
                                                   },
                                                   internet_gateway_json, filters)}};
}

Result<void> delete_internet_gateway(const StateStore& store, std::string_view igw_id) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        InternetGatewayRecord* igw = TRY(find_internet_gateway(state, igw_id));
        if (!igw->vpc_id.empty())
            return aws_error("DependencyViolation",
                             fmt::format("The internetGateway '{}' has dependencies and cannot "
                                         "be deleted.",
                                         igw_id));
        std::erase_if(state.internet_gateways, [&](const InternetGatewayRecord& g) {
            return g.internet_gateway_id == igw_id;
        });
        return Vpcs{};
    });
}

Result<nlohmann::json> allocate_address(const StateStore& store) {
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        AddressRecord address;
        address.allocation_id = TRY(new_id("eipalloc"));
        address.public_ip = TRY(free_public_address(state)).to_string();
        state.addresses.push_back(address);
        out = address_json(address);
        return Vpcs{};
    }));
    return out;
}

Result<nlohmann::json> associate_address(const StateStore& store, std::string_view allocation_id,
                                         std::string_view instance_id) {
    auto instances = TRY(read_instances(store));
    const InstanceRecord* instance = find_instance(instances, instance_id);
    if (!instance || instance->state == InstanceState::terminated)
        return aws_error("InvalidInstanceID.NotFound",
                         fmt::format("The instance ID '{}' does not exist", instance_id));
    if (instance->vpc_id.empty() || instance->private_ip.empty())
        return aws_error("InvalidInstanceID",
                         fmt::format("The instance '{}' is not in a VPC.", instance_id));
    std::string association_id, public_ip;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        AddressRecord* address = TRY(find_address(state, allocation_id));
        if (!address->nat_gateway_id.empty())
            return aws_error("Resource.AlreadyAssociated",
                             fmt::format("The address {} is in use by {}", address->public_ip,
                                         address->nat_gateway_id));
        bool has_gateway = std::any_of(
            state.internet_gateways.begin(), state.internet_gateways.end(),
            [&](const InternetGatewayRecord& g) { return g.vpc_id == instance->vpc_id; });
        if (!has_gateway)
            return aws_error("Gateway.NotAttached",
                             fmt::format("Network {} is not attached to any internet gateway",
                                         instance->vpc_id));
        // An instance holds one public IPv4: an earlier one (auto-assigned or
        // another Elastic IP) gives way, as on EC2.
        std::erase_if(state.addresses, [&](const AddressRecord& a) {
            return a.auto_assigned && a.instance_id == instance_id;
        });
        for (auto& other : state.addresses)
            if (other.instance_id == instance_id) {
                other.association_id.clear();
                other.instance_id.clear();
                other.private_ip.clear();
                other.vpc_id.clear();
            }
        address->association_id = TRY(new_id("eipassoc"));
        address->instance_id = instance_id;
        address->private_ip = instance->private_ip;
        address->vpc_id = instance->vpc_id;
        association_id = address->association_id;
        public_ip = address->public_ip;
        return Vpcs{instance->vpc_id};
    }));
    TRY(set_instance_public_ip(store, std::string(instance_id), public_ip));
    return nlohmann::json{{"AssociationId", association_id}};
}

Result<void> disassociate_address(const StateStore& store, std::string_view association_id) {
    std::string instance_id;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        for (auto& address : state.addresses) {
            if (address.association_id != association_id || association_id.empty())
                continue;
            std::string vpc_id = address.vpc_id;
            instance_id = address.instance_id;
            address.association_id.clear();
            address.instance_id.clear();
            address.private_ip.clear();
            address.vpc_id.clear();
            return Vpcs{vpc_id};
        }
        return aws_error("InvalidAssociationID.NotFound",
                         fmt::format("The association ID '{}' does not exist", association_id));
    }));
    return set_instance_public_ip(store, instance_id, "");
}

Result<void> release_address(const StateStore& store, std::string_view allocation_id) {
    return change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        AddressRecord* address = TRY(find_address(state, allocation_id));
        if (!address->association_id.empty() || !address->nat_gateway_id.empty())
            return aws_error("InvalidIPAddress.InUse",
                             fmt::format("Address {} is in use.", address->public_ip));
        std::erase_if(state.addresses,
                      [&](const AddressRecord& a) { return a.allocation_id == allocation_id; });
        return Vpcs{};
    });
}

Result<nlohmann::json> describe_addresses(const StateStore& store,
                                          const std::vector<std::string>& allocation_ids,
                                          const std::vector<Filter>& filters) {
    VpcState state = TRY(read_vpc_state(store));
    for (const auto& id : allocation_ids) TRY(find_address(state, id));
    std::vector<AddressRecord> elastic;
    std::copy_if(state.addresses.begin(), state.addresses.end(), std::back_inserter(elastic),
                 [](const AddressRecord& a) { return !a.auto_assigned; });
    return nlohmann::json{{"Addresses", list_of(
                                            elastic, allocation_ids,
                                            [](const AddressRecord& a) { return a.allocation_id; },
                                            address_json, filters)}};
}

Result<nlohmann::json> create_nat_gateway(const StateStore& store, std::string_view subnet_id,
                                          std::string_view allocation_id) {
    auto instances = TRY(read_instances(store));
    nlohmann::json out;
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        SubnetRecord* subnet = TRY(find_subnet(state, subnet_id));
        AddressRecord* address = TRY(find_address(state, allocation_id));
        if (!address->association_id.empty() || !address->nat_gateway_id.empty())
            return aws_error(
                "Resource.AlreadyAssociated",
                fmt::format("Elastic IP address [{}] is already associated", allocation_id));
        // Its address in the subnet is taken from the instances' pool, as an
        // ENI's would be (the router answers for the NAT gateway; the address is
        // kept only so that no instance gets it).
        network::Cidr cidr = TRY(network::parse_cidr(subnet->cidr));
        std::vector<network::Ipv4> used;
        for (const auto& instance : instances)
            if (instance.subnet_id == subnet_id && instance.state != InstanceState::terminated)
                if (auto ip = network::parse_ipv4(instance.private_ip))
                    used.push_back(*ip);
        for (const auto& nat : state.nat_gateways)
            if (nat.subnet_id == subnet_id && nat.state == "available")
                if (auto ip = network::parse_ipv4(nat.private_ip))
                    used.push_back(*ip);
        NatGatewayRecord nat;
        nat.nat_gateway_id = TRY(new_id("nat"));
        nat.vpc_id = subnet->vpc_id;
        nat.subnet_id = subnet_id;
        nat.allocation_id = allocation_id;
        nat.private_ip = TRY(first_free_address(cidr, used)).to_string();
        nat.public_ip = address->public_ip;
        nat.create_time = aws_timestamp_now();
        address->nat_gateway_id = nat.nat_gateway_id;
        address->vpc_id = nat.vpc_id;
        state.nat_gateways.push_back(nat);
        out = {{"NatGateway", nat_gateway_json(nat)}};
        return Vpcs{nat.vpc_id};
    }));
    return out;
}

Result<nlohmann::json> describe_nat_gateways(const StateStore& store,
                                             const std::vector<std::string>& ids,
                                             const std::vector<Filter>& filters) {
    VpcState state = TRY(read_vpc_state(store));
    for (const auto& id : ids)
        if (!state.nat_gateway(id))
            return aws_error("NatGatewayNotFound",
                             fmt::format("The Nat Gateway {} was not found", id));
    return nlohmann::json{
        {"NatGateways",
         list_of(
             state.nat_gateways, ids, [](const NatGatewayRecord& n) { return n.nat_gateway_id; },
             nat_gateway_json, filters)}};
}

Result<nlohmann::json> delete_nat_gateway(const StateStore& store, std::string_view nat_id) {
    TRY(change_vpcs(store, [&](VpcState& state) -> Result<Vpcs> {
        NatGatewayRecord* nat = TRY(find_nat_gateway(state, nat_id));
        nat->state = "deleted";
        if (AddressRecord* address = state.address(nat->allocation_id)) {
            address->nat_gateway_id.clear();
            address->vpc_id.clear();
        }
        return Vpcs{nat->vpc_id};
    }));
    return nlohmann::json{{"NatGatewayId", nat_id}};
}

}  // namespace twinbox::cloud
