// The container's terminal (pty(7)): a master/slave pair made in the
// container's own devpts instance, so the program sees /dev/pts/0 and
// /dev/console; the master goes to whoever shows it to the user.
#pragma once

#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "container/oci/spec.h"

namespace twinbox::container {

struct Console {
    UniqueFd master;
    UniqueFd slave;
    std::string slave_path;  // as seen from where the pair was opened
};

// Opens `devpts_dir`/ptmx (a devpts mounted with newinstance) and its slave.
Result<Console> open_console(const std::string& devpts_dir,
                             const std::optional<oci::ConsoleSize>& size);

// In the container's process: a new session whose controlling terminal is
// `slave` (setsid(2), ioctl TIOCSCTTY), and the slave as stdin/out/err.
Result<void> attach_terminal(int slave);

}  // namespace twinbox::container
