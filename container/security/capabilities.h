// Capabilities (capabilities(7)): root's power split into ~40 pieces.
//
// A container keeps only Docker's default set (enough to run ordinary
// programs as root: chown files, bind low ports, setuid to a user...) and
// loses the rest: no CAP_SYS_ADMIN (mount, namespaces), no CAP_SYS_MODULE
// (kernel modules), no CAP_SYS_TIME, no CAP_NET_ADMIN... `--cap-add` and
// `--cap-drop` adjust the set with Docker's rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"
#include "container/sys/syscalls.h"

namespace twinbox::container {

// Docker's default capability set (moby oci/caps/defaults.go), "CAP_" names.
const std::vector<std::string>& docker_default_capabilities();

// Every capability this kernel knows (0..cap_last_cap), "CAP_" names.
std::vector<std::string> all_capabilities();
// Those of them that twinbox itself may still grant: its own bounding set
// (prctl PR_CAPBSET_READ). "ALL" and --privileged mean these; on a host
// whose bounding set lacks CAP_SYS_RESOURCE, so does every container.
std::vector<std::string> available_capabilities();

// "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays "ALL".
// An unknown name is an error.
Result<std::string> normalize_capability(std::string_view name);

// Docker's rule: start from `base`; "ALL" in drop empties it, "ALL" in add
// fills it; then named drops are removed and named adds are added. Sorted.
Result<std::vector<std::string>> compute_capabilities(const std::vector<std::string>& base,
                                                      const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop);

// The same list in bounding, effective and permitted, which is how Docker
// fills process.capabilities; inheritable and ambient stay empty.
oci::Capabilities capabilities_for(const std::vector<std::string>& names);

// In the container's first process, as root: drops everything not in the
// bounding set (prctl PR_CAPBSET_DROP), then sets the effective, permitted,
// inheritable and ambient sets (capset(2) through libcap).
Result<void> drop_bounding_set(Syscalls& sys, const oci::Capabilities& capabilities);
Result<void> apply_capabilities(Syscalls& sys, const oci::Capabilities& capabilities);

}  // namespace twinbox::container
