// A plan: what apply would do to bring the state (refreshed: as things are)
// to the configuration, one change per resource instance, printed as
// Terraform prints it:
//
//   + create   ~ update in-place   -/+ replace   - destroy
//   Plan: 3 to add, 0 to change, 0 to destroy.
//
// An argument that changes is an update in place when the resource type can
// change it (resource_types.h) and a replacement otherwise; a value not known
// until apply (the id of something being replaced) is a change.
#pragma once

#include <string>
#include <vector>

#include "cloud/stack/config.h"
#include "cloud/stack/state.h"

namespace twinbox::cloud::stack {

enum class Action { None, Create, Update, Replace, Destroy };

struct Change {
    std::string address, type, name;
    std::optional<int> index;
    const ResourceBlock* block = nullptr;  // nullptr for a destroy
    Action action = Action::None;
    Json before = Json::object();         // arguments in the state
    Json after = Json::object();          // arguments from the configuration (may be unknown)
    std::vector<std::string> changed;     // argument names
    std::vector<std::string> forcing;     // those forcing replacement
    std::vector<std::string> depends_on;  // resource blocks
};

struct Plan {
    std::vector<Change> changes;  // in dependency order, None included
    int add = 0, change = 0, destroy = 0;
    bool empty() const { return add + change + destroy == 0; }
};

// Everything the configuration asks for against `state`.
Result<Plan> make_plan(const Config& config, const StackState& state,
                       const std::map<std::string, Json>& variables);
// Every resource in `state` destroyed, dependents first.
Plan make_destroy_plan(const StackState& state);

// Terraform's text: one paragraph per change, then "Plan: ..." or "No changes. ...".
std::string render_plan(const Plan& plan);

}  // namespace twinbox::cloud::stack
