// The PATH a workload gets when neither the image nor -e sets one: Docker's
// default (moby oci/defaults.go, and the one runc and crun use), the same for
// containers, VMs, exec and the images twinbox builds in.
#pragma once

namespace twinbox {

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kDefaultPathEnv =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace twinbox
