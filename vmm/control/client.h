// The client side of the control socket (protocol.h): one request, one reply,
// with a deadline on connecting, sending and reading, so that a VMM that is
// stuck or gone never hangs `twinbox top` or `twinbox vm ...`.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace twinbox {

inline constexpr std::chrono::milliseconds kControlTimeout{3000};

// Sends {"cmd": command} to the socket and returns the reply object. A reply
// {"error": ...} becomes an Error with that text; so does a socket that is
// gone ("the VM is gone"), refuses, or does not answer in time.
Result<nlohmann::json> control_request(const std::string& socket_path, const std::string& command,
                                       std::chrono::milliseconds timeout = kControlTimeout);

}  // namespace twinbox
