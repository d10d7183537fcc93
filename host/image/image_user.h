// `-u USER` resolved against an image's (or a root's) /etc/passwd and
// /etc/group: the one rule both isolations use (workload/run_request.h), and
// the container engine's exec and the image builder's RUN steps.
//
// Docker's rules (moby's user.GetExecUser): UID[:GID] or NAME[:GROUP]; a
// numeric UID need not exist in /etc/passwd, and then its group is 0; a NAME
// must exist; a GROUP is a GID or a name in /etc/group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::image {

struct UserIds {
    uint32_t uid = 0;
    uint32_t gid = 0;
    bool operator==(const UserIds&) const = default;
};

// Looks the user up in `roots` (directories, BOTTOM FIRST, as image layers
// are kept): the topmost copy of etc/passwd (etc/group) is the one that
// counts, as overlayfs would show it. "" is root (0:0).
Result<UserIds> resolve_image_user(const std::vector<std::string>& roots, const std::string& user);

}  // namespace twinbox::image
