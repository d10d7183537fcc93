#include "cli/container_common.h"

#include <fmt/core.h>

#include <algorithm>

namespace twinbox::cli {

container::StateStore container_store() {
    return container::StateStore(container::engine_paths().state_root);
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows)
        for (size_t column = 0; column < row.size(); ++column) {
            if (widths.size() <= column)
                widths.push_back(0);
            widths[column] = std::max(widths[column], row[column].size());
        }
    for (const auto& row : rows) {
        std::string line;
        for (size_t column = 0; column < row.size(); ++column)
            line += column + 1 == row.size()
                        ? row[column]
                        : fmt::format("{:<{}}", row[column], widths[column] + 3);
        fmt::print("{}\n", line);
    }
}

}  // namespace twinbox::cli
