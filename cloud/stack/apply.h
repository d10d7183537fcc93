// Carrying out a plan through the resource types' functions (resource_types.h),
// with the state file kept matching what exists at every step: each resource
// is written to the state as soon as it exists and removed as soon as it is
// gone, so a failure half way leaves a state that the next plan starts from.
//
// Deletions go first, dependents before what they depend on; then creations
// and updates, each after what it depends on; independent resources in
// parallel on a small pool (scheduler.h). A replacement is a deletion and a
// creation (Terraform's default order, destroy before create).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cloud/stack/plan.h"
#include "cloud/state_store.h"

namespace twinbox::cloud::stack {

// Progress lines ("aws_instance.web[0]: Creating..."), called from workers.
using Progress = std::function<void(const std::string& line)>;

// Reads each resource of `state` back: one that no longer exists (an instance
// terminated outside the stack) is dropped, so the plan creates it again; the
// arguments the library reports replace the recorded ones (drift).
Result<void> refresh_state(const StateStore& store, StackState& state, const Progress& progress);

struct ApplyCounts {
    int added = 0, changed = 0, destroyed = 0;
};

// `config` may be nullptr for a destroy plan.
Result<ApplyCounts> apply_plan(const StateStore& store, const Config* config,
                               const std::map<std::string, Json>& variables, const Plan& plan,
                               StackState& state, const std::string& state_path,
                               const Progress& progress);

// The outputs' values over the state (after an apply).
Result<Json> evaluate_outputs(const Config& config, const std::map<std::string, Json>& variables,
                              const StackState& state);

}  // namespace twinbox::cloud::stack
