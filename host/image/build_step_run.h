// A RUN step of `twinbox build`: the command runs in a real twinbox
// container (container/runtime, the same one `twinbox run` uses) whose root
// is an overlayfs of the image so far with `upper_dir` on top, so that
// afterwards `upper_dir` holds exactly what the command changed: the next
// layer. No network (a private loopback only), stdin is /dev/null, the
// output goes to twinbox's own stdout and stderr.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox::image {

struct BuildRun {
    std::vector<std::string> argv;
    std::vector<std::string> env;  // KEY=VALUE
    std::string working_dir, user;
    std::vector<std::string> lower_dirs;  // the image's layers, topmost first (not empty)
    std::string upper_dir, work_dir, mount_point;
};

// Runs the command and returns its exit status (0 on success).
Result<int> run_build_command(const BuildRun& run);

// The topmost layer holding `relative` (etc/passwd), for user names; or "".
std::string layer_with(const std::vector<std::string>& lower_dirs, const std::string& relative);

}  // namespace twinbox::image
