#include "cli/container_common.h"

namespace twinbox::cli {

container::StateStore container_store() {
    return container::StateStore(container::engine_paths().state_root);
}

int report(const Error& error) {
    log::error("{}", error.to_string());
    return container::exit_code::kRuntimeError;
}

}  // namespace twinbox::cli
