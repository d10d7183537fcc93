// The remaining per-process settings of the container's first process:
// resource limits (setrlimit(2)), the OOM killer's preference
// (/proc/self/oom_score_adj, proc(5)), no_new_privs (prctl(2)
// PR_SET_NO_NEW_PRIVS) and the user and groups it runs as.
#pragma once

#include <sys/resource.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"
#include "container/sys/syscalls.h"

namespace twinbox::container {

// "RLIMIT_NOFILE" or "nofile" -> RLIMIT_NOFILE.
std::optional<int> parse_rlimit_name(std::string_view name);
// Docker's --ulimit syntax: "nofile=1024:2048" or "nproc=64".
Result<oci::Rlimit> parse_ulimit(std::string_view text);

Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits);
Result<void> apply_oom_score_adj(int value);
Result<void> set_no_new_privileges(Syscalls& sys);
// Keeps the capabilities across setuid (PR_SET_KEEPCAPS), then setgroups,
// setresgid and setresuid; apply_capabilities() sets the final sets after.
Result<void> switch_user(Syscalls& sys, const oci::User& user);

}  // namespace twinbox::container
