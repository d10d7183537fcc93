#include "common/log.h"

#include <unistd.h>

#include <string>

namespace twinbox::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::warn)};

std::string_view prefix(Level level) {
    switch (level) {
        case Level::error:
            return "twinbox: error: ";
        case Level::warn:
            return "twinbox: warning: ";
        case Level::info:
            return "twinbox: ";
        case Level::debug:
            return "twinbox: debug: ";
    }
    return "twinbox: ";
}
}  // namespace

void set_level(Level level) {
    g_level.store(static_cast<int>(level));
}
Level level() {
    return static_cast<Level>(g_level.load());
}
bool enabled(Level level) {
    return static_cast<int>(level) <= g_level.load();
}

void write_line(Level level, std::string_view text) {
    std::string line;
    line.reserve(text.size() + 24);
    line.append(prefix(level)).append(text);
    // A raw-mode terminal does not turn \n into \r\n, so always send both.
    line.append(isatty(STDERR_FILENO) ? "\r\n" : "\n");
    const char* cursor = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t written = ::write(STDERR_FILENO, cursor, left);
        if (written <= 0)
            return;  // Nothing sensible to do if stderr is gone.
        cursor += written;
        left -= static_cast<size_t>(written);
    }
}

}  // namespace twinbox::log
