#include "container/engine/paths.h"

#include <cstdlib>

namespace twinbox::container {

EnginePaths engine_paths() {
    const char* root = std::getenv("TWINBOX_ROOT");
    if (root && *root)
        return {std::string(root) + "/run/containers", std::string(root) + "/lib/containers"};
    return {"/run/twinbox/containers", "/var/lib/twinbox/containers"};
}

}  // namespace twinbox::container
