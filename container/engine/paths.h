// Where `twinbox` keeps containers (docs/design.md "Defaults"):
//
//   /run/twinbox/containers/<id>/       runtime state (gone at reboot, like the containers)
//   /var/lib/twinbox/containers/<id>/   overlay upper/work directories and the log
//
// TWINBOX_ROOT=DIR moves both under DIR/run and DIR/lib (tests use a temporary directory).
#pragma once

#include <string>

namespace twinbox::container {

struct EnginePaths {
    std::string state_root;    // .../run/containers
    std::string storage_root;  // .../lib/containers
};

EnginePaths engine_paths();

}  // namespace twinbox::container
