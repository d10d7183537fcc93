#include "common/twinbox_root.h"

#include <cstdlib>

namespace twinbox {

namespace {

const char* root_override() {
    const char* root = std::getenv("TWINBOX_ROOT");
    return root && *root ? root : nullptr;
}

}  // namespace

std::string twinbox_run_root() {
    const char* root = root_override();
    return root ? std::string(root) + "/run" : "/run/twinbox";
}

std::string twinbox_lib_root() {
    const char* root = root_override();
    return root ? std::string(root) + "/lib" : "/var/lib/twinbox";
}

}  // namespace twinbox
