// The resource types `twinbox stack` knows, one table entry each: the
// arguments as the AWS provider names them (which force a replacement when
// they change), the attributes computed at creation, and the functions that
// create, read back, update and delete it through the cloud/ library - the
// same functions `twinbox ec2` calls, so no logic is written twice.
//
// Adding a type (aws_vpc, aws_subnet, ...) is one entry in resource_types.cpp
// and one file resource_TYPE.cpp with its four functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/stack/expression.h"
#include "cloud/state_store.h"

namespace twinbox::cloud::stack {

struct ArgumentSpec {
    ArgumentSpec(std::string_view arg, bool forces = false, bool needed = false,
                 std::vector<std::string_view> nested = {})
        : name(arg), force_new(forces), required(needed), block(std::move(nested)) {}

    std::string_view name;
    bool force_new = false;  // a change replaces the resource (-/+)
    bool required = false;
    // A nested block (aws_security_group's ingress): the arguments of one
    // block; the value is an object or an array of objects. Empty: a value.
    std::vector<std::string_view> block = {};
};

// The observed state of a resource, as read back: its arguments as they are
// now (only those the library reports) and its attributes.
struct Observed {
    Json arguments = Json::object();
    Json attributes = Json::object();
};

struct ResourceType {
    std::string_view name;
    std::vector<ArgumentSpec> arguments;
    std::vector<std::string_view> attributes;  // computed: always "id"
    // `arguments` are evaluated and known; returns the attributes.
    std::function<Result<Json>(const StateStore&, const Json& arguments)> create;
    // nullopt: it no longer exists (deleted or terminated outside the stack).
    std::function<Result<std::optional<Observed>>(const StateStore&, const Json& attributes)> read;
    // Changes arguments that do not force replacement; returns the attributes.
    // Empty: every change is a replacement.
    std::function<Result<Json>(const StateStore&, const Json& attributes, const Json& before,
                               const Json& after)>
        update;
    std::function<Result<void>(const StateStore&, const Json& attributes)> destroy;
    // Further arguments forcing replacement (a twinbox extension inside a
    // value, such as the twinbox:isolation tag): their names.
    std::function<std::vector<std::string>(const Json& before, const Json& after)> also_forces;

    const ArgumentSpec* argument(std::string_view arg) const;
    bool has_attribute(std::string_view attr) const;
};

const ResourceType* find_resource_type(std::string_view name);
// "aws_instance, aws_key_pair" for error lines.
std::string supported_resource_types();

// One entry per file (resource_*.cpp).
ResourceType aws_key_pair_type();
ResourceType aws_instance_type();
// resource_vpc.cpp
ResourceType aws_vpc_type();
ResourceType aws_subnet_type();
ResourceType aws_internet_gateway_type();
ResourceType aws_route_table_type();
ResourceType aws_route_type();
ResourceType aws_route_table_association_type();
ResourceType aws_eip_type();
ResourceType aws_nat_gateway_type();
// resource_security_group.cpp
ResourceType aws_security_group_type();
ResourceType aws_security_group_rule_type();

// Small readers the resource files share.
namespace resource_args {
// The string argument `name`, "" when absent or not a string.
std::string text(const Json& args, const char* name);
// A resource's id attribute.
std::string id_of(const Json& attributes);
}  // namespace resource_args

// Two argument values are the same (null, "", [] and {} are all "not set").
bool same_value(const Json& a, const Json& b);

}  // namespace twinbox::cloud::stack
