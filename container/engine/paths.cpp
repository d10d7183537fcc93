#include "container/engine/paths.h"

#include "common/twinbox_root.h"

namespace twinbox::container {

EnginePaths engine_paths() {
    return {twinbox_run_root() + "/containers", twinbox_lib_root() + "/containers"};
}

}  // namespace twinbox::container
