// OCI hooks (config.md "POSIX-platform Hooks"): programs the runtime runs
// at six points of the lifecycle, each given the container's state JSON
// on its standard input.
//
//   prestart, createRuntime   after the namespaces exist, in the runtime's namespaces
//   createContainer           in the container's mount namespace, before pivot_root
//   startContainer            in the container, just before the user's program
//   poststart                 after `start`, in the runtime's namespaces
//   poststop                  at `delete`, in the runtime's namespaces
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"

namespace twinbox::container {

// Runs each hook in order; the first failure (non-zero exit, timeout) stops
// the list and is returned. `stage` names the hook point in errors; for
// "poststart" and "poststop" a failure is a warning and the rest still run
// (config.md "POSIX-platform Hooks").
Result<void> run_hooks(const std::vector<oci::Hook>& hooks, const std::string& state_json,
                       const char* stage);

}  // namespace twinbox::container
