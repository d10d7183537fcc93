// The EC2 actions the API serves: one table, each row an action name and a
// function from the request's parameters (query.h) to the library's result
// in the AWS CLI's JSON shape, which xml.h writes as EC2's XML. Each
// function only maps parameters to the cloud/ library's input (the same
// structs and calls `twinbox ec2` uses) and the result back; no EC2 logic
// lives here. Adding an action (a VPC verb of part 2) is one row plus that
// mapping, and its name in scripts/gen_ec2_xml_names.py.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "cloud/api/query.h"
#include "cloud/state_store.h"
#include "cloud/vpc_verbs.h"

namespace twinbox::cloud::api {

using ActionFunction = Result<nlohmann::json> (*)(const StateStore& store, const Query& query);

struct Action {
    std::string_view name;
    ActionFunction run;
};

std::span<const Action> actions();
const Action* find_action(std::string_view name);

// The VPC actions: a row of cloud/vpc_verbs.h's table (find_vpc_verb) run
// with its parameters read from `query`.
Result<nlohmann::json> run_vpc_verb(const VpcVerb& verb, const StateStore& store,
                                    const Query& query);

// The instance tag that asks for twinbox's container isolation through the
// unmodified AWS CLI and boto3 ("twinbox:isolation" = "container" or "vm"),
// the API's counterpart of `twinbox ec2 run-instances --isolation`.
inline constexpr std::string_view kIsolationTag = "twinbox:isolation";

namespace detail {
// The groups of the table (actions_*.cpp).
std::span<const Action> key_pair_actions();
std::span<const Action> image_actions();
std::span<const Action> instance_actions();
std::span<const Action> security_group_actions();
std::span<const Action> network_acl_actions();
std::span<const Action> network_acl_actions();
}  // namespace detail

}  // namespace twinbox::cloud::api
