// Evaluating a stack's expressions (expression.h) against values: the
// variables, the locals (evaluated when first named) and the resources'
// arguments and attributes, which come from the plan (some still unknown)
// or, during apply, from the state as it is being built.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "cloud/stack/config.h"

namespace twinbox::cloud::stack {

// The value of `attribute` of one instance of `block` (index: its count.index).
using InstanceLookup = std::function<Result<Json>(
    const ResourceBlock& block, std::optional<int> index, const std::string& attribute)>;

// "aws_instance.web[1]", "aws_key_pair.lab".
std::string instance_address(const std::string& block, std::optional<int> index);

class Evaluator {
public:
    Evaluator(const Config& config, std::map<std::string, Json> variables, InstanceLookup lookup)
        : m_config(config), m_variables(std::move(variables)), m_lookup(std::move(lookup)) {}

    // `value` evaluated, inside an instance with `count_index`; errors name `path`.
    Result<Json> eval(const Json& value, std::optional<int> count_index, const std::string& path);
    // The indexes of a block's instances: {nullopt} without count, 0..N-1 with.
    Result<std::vector<std::optional<int>>> instances_of(const ResourceBlock& block);

private:
    Result<Json> resolve(const Reference& ref, std::optional<int> count_index);

    const Config& m_config;
    std::map<std::string, Json> m_variables;
    InstanceLookup m_lookup;
    std::map<std::string, Json> m_locals;
};

}  // namespace twinbox::cloud::stack
