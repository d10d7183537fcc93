// Signal names as users type them: "9", "KILL", "SIGKILL", "sigterm",
// "SIGRTMIN+3" (signal(7)).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::container {

Result<int> parse_signal(std::string_view text);
std::string signal_name(int signal);  // 15 -> "SIGTERM"

}  // namespace twinbox::container
