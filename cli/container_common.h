// Helpers shared by the container subcommands (cli/container_*.cpp).
#pragma once

#include <string>

#include "common/log.h"
#include "container/engine/engine.h"

namespace twinbox::cli {

// The state store of `twinbox` containers (TWINBOX_ROOT aware).
container::StateStore container_store();

// Prints the error as one line and returns 125 (Docker's "the engine failed").
int report(const Error& error);

}  // namespace twinbox::cli
