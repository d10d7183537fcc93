// Expressions of Terraform's JSON syntax, the subset twinbox evaluates.
//
// In a .tf.json file every string is a template
// (https://developer.hashicorp.com/terraform/language/syntax/json, "Expression
// Mapping"): literal text with "${ ... }" interpolations, "$${" for a literal
// "${". A string that is one interpolation and nothing else has the value of
// what it names (a number stays a number, a map a map); any other template is
// a string. Inside an interpolation twinbox accepts references only:
//
//   var.NAME   local.NAME   count.index   TYPE.NAME.ATTR   TYPE.NAME[N].ATTR
//   TYPE.NAME[count.index].ATTR
//
// no operators, functions or "%{" directives: those are refused with a line
// that says what is supported.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::cloud::stack {

using Json = nlohmann::json;

struct Reference {
    enum class Kind { Variable, Local, CountIndex, Resource };
    Kind kind = Kind::Variable;
    std::string type, name;       // type only for Resource
    std::optional<int> index;     // TYPE.NAME[N]
    bool index_is_count = false;  // TYPE.NAME[count.index]
    std::string attribute;        // Resource only
    std::string text;             // as written, for errors

    // The graph node it depends on: "var.x", "local.y", "aws_vpc.main" ("" for count.index).
    std::string node() const;
};

struct TemplatePart {
    std::string literal;  // when reference is empty
    std::optional<Reference> reference;
};

// The parts of one template string; one-line errors say what is supported.
Result<std::vector<TemplatePart>> parse_template(std::string_view text);

// Every reference in a JSON value (each string in it is a template).
Result<std::vector<Reference>> references_in(const Json& value);

// A value not known until apply (an id of a resource still to be created).
inline constexpr const char* kUnknown = "\x01(known after apply)";
bool is_unknown(const Json& value);  // the value or anything inside it

// The value of `value` with each template evaluated; `resolve` gives a
// reference's value (kUnknown when not known yet).
using Resolver = std::function<Result<Json>(const Reference&)>;
Result<Json> evaluate(const Json& value, const Resolver& resolve);

// How a value is printed in plans and outputs: strings quoted, unknown as (known after apply).
std::string display(const Json& value);

}  // namespace twinbox::cloud::stack
