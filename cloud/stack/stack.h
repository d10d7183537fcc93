// `twinbox stack` as a library: each verb from the stack file to its output,
// so that cli/stack.cpp holds flags only.
//
//   plan     load, check the graph, refresh (in memory), print the plan
//   apply    the same under the state lock, then carry it out and print the outputs
//   destroy  every resource of the state, dependents first
//   refresh  read everything back and write the state (drift recorded)
//   show     print the state
//
// Configuration errors carry exit status 252 (a usage error, as the AWS
// CLI's); errors with an AWS code come from the cloud/ library.
#pragma once

#include <map>
#include <string>

#include "cloud/stack/apply.h"

namespace twinbox::cloud::stack {

struct StackOptions {
    std::string file;                         // FILE.tf.json
    std::map<std::string, std::string> vars;  // -var NAME=VALUE
    Progress print;                           // every line of output
};

Result<void> stack_plan(const StateStore& store, const StackOptions& options);
Result<void> stack_apply(const StateStore& store, const StackOptions& options);
Result<void> stack_destroy(const StateStore& store, const StackOptions& options);
Result<void> stack_refresh(const StateStore& store, const StackOptions& options);
Result<void> stack_show(const StateStore& store, const StackOptions& options);

}  // namespace twinbox::cloud::stack
