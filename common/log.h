// Logging to stderr, one line per message, prefixed "twinbox: ".
//
// Levels: error and warn always print; info prints with -v; debug with -vv.
// The guest console owns stdout, so nothing here ever writes to stdout.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <string_view>

namespace twinbox::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

// The most detailed level that is printed; set once from the command line.
void set_level(Level level);
Level level();
bool enabled(Level level);

// Writes one whole line with a single write(2) so lines from vCPU threads never interleave.
void write_line(Level level, std::string_view text);

template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    write_line(Level::error, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::warn))
        write_line(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::info))
        write_line(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::debug))
        write_line(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace twinbox::log
