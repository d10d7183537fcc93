// A stack file in Terraform's JSON configuration syntax
// (https://developer.hashicorp.com/terraform/language/syntax/json), read
// strictly: an unknown block, resource type, argument or meta-argument is one
// line naming the file, the JSON path and what is supported.
//
//   {"variable": {"NAME": {"default": V, "type": "string", "description": "..."}},
//    "locals":   {"NAME": EXPR},
//    "resource": {"aws_instance": {"web": {"ami": "${var.ami}", "count": 2,
//                                          "depends_on": ["aws_key_pair.lab"], ...}}},
//    "output":   {"NAME": {"value": EXPR, "description": "..."}},
//    "terraform": {...}, "provider": {"aws": {...}}}
//
// "terraform" and "provider" blocks are accepted so that the same file works
// with real Terraform, and otherwise ignored; "//" properties are comments,
// as in Terraform's JSON syntax.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cloud/stack/expression.h"
#include "cloud/stack/resource_types.h"

namespace twinbox::cloud::stack {

struct Variable {
    std::string name, type;  // type "" = any; "number" and "bool" convert -var text
    std::optional<Json> default_value;
};

struct ResourceBlock {
    const ResourceType* type = nullptr;
    std::string type_name, name;
    Json arguments = Json::object();      // without meta-arguments
    std::optional<Json> count;            // as written
    std::vector<std::string> depends_on;  // "aws_vpc.main"
    std::string path;                     // "/resource/aws_instance/web"

    std::string address() const { return type_name + "." + name; }
};

struct Config {
    std::string file;
    std::map<std::string, Variable> variables;
    std::map<std::string, Json> locals;
    std::map<std::string, Json> outputs;  // name -> value expression
    std::vector<ResourceBlock> resources;

    const ResourceBlock* find(std::string_view address) const;
    // "FILE: PATH: WHAT", the one line of every configuration error.
    Error error(std::string_view path, std::string_view what) const;
};

Result<Config> parse_config(const std::string& file, std::string_view text);
Result<Config> load_config(const std::string& file);

// The variables' values: -var NAME=VALUE overrides, then defaults; a variable
// with neither, or a -var for no declared variable, is an error.
Result<std::map<std::string, Json>> variable_values(
    const Config& config, const std::map<std::string, std::string>& overrides);

}  // namespace twinbox::cloud::stack
