// Wall-clock timestamps as twinbox writes them into its files.
#pragma once

#include <string>

namespace twinbox {

// Now in UTC as RFC 3339 to the second ("2026-12-07T18:30:00Z"): the
// `created` of image configs and networks, as Docker writes them. (Container
// state keeps nanoseconds, as runc's does: container/runtime/state.h.)
std::string rfc3339_utc_seconds();

}  // namespace twinbox
