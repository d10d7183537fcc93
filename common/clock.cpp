#include "common/clock.h"

#include <ctime>

namespace twinbox {

std::string rfc3339_utc_seconds() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

}  // namespace twinbox
