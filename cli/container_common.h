// Helpers shared by the container subcommands (cli/container_*.cpp).
#pragma once

#include <string>
#include <vector>

#include "cli/report.h"
#include "common/log.h"
#include "container/engine/engine.h"

namespace twinbox::cli {

// The state store of `twinbox` containers (TWINBOX_ROOT aware).
container::StateStore container_store();

// Prints rows as aligned columns, each as wide as its longest cell plus
// three spaces (Docker's tabwriter), so that long names never run into
// the next column. The first row is the header; the last column is not padded.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace twinbox::cli
