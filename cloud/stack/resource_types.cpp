// The table of resource types (resource_types.h).
#include "cloud/stack/resource_types.h"

#include <algorithm>

namespace twinbox::cloud::stack {

const ArgumentSpec* ResourceType::argument(std::string_view arg) const {
    for (const auto& spec : arguments)
        if (spec.name == arg)
            return &spec;
    return nullptr;
}

bool ResourceType::has_attribute(std::string_view attr) const {
    return std::find(attributes.begin(), attributes.end(), attr) != attributes.end();
}

namespace {
const std::vector<ResourceType>& table() {
    static const std::vector<ResourceType> types = {aws_instance_type(),
                                                    aws_key_pair_type(),
                                                    aws_vpc_type(),
                                                    aws_subnet_type(),
                                                    aws_internet_gateway_type(),
                                                    aws_route_table_type(),
                                                    aws_route_type(),
                                                    aws_route_table_association_type(),
                                                    aws_eip_type(),
                                                    aws_nat_gateway_type(),
                                                    aws_security_group_type(),
                                                    aws_security_group_rule_type()};
    return types;
}

bool empty_value(const Json& value) {
    return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()) ||
           (value.is_structured() && value.empty());
}
}  // namespace

const ResourceType* find_resource_type(std::string_view name) {
    for (const auto& type : table())
        if (type.name == name)
            return &type;
    return nullptr;
}

std::string supported_resource_types() {
    std::string names;
    for (const auto& type : table()) names += (names.empty() ? "" : ", ") + std::string(type.name);
    return names;
}

namespace resource_args {
std::string text(const Json& args, const char* name) {
    const Json& value = args.contains(name) ? args.at(name) : Json();
    return value.is_string() ? value.get<std::string>() : "";
}

std::string id_of(const Json& attributes) {
    return attributes.value("id", std::string());
}
}  // namespace resource_args

bool same_value(const Json& a, const Json& b) {
    if (empty_value(a) || empty_value(b))
        return empty_value(a) && empty_value(b);
    // "2" and 2 are the same argument (a -var is text until its variable says number).
    if (a.is_string() != b.is_string() && a.is_primitive() && b.is_primitive()) {
        auto text = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
        return text(a) == text(b);
    }
    return a == b;
}

}  // namespace twinbox::cloud::stack
