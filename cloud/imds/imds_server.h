// The metadata service's HTTP server (cpp-httplib): serves ImdsService on
// one address, in the foreground, until SIGTERM or SIGINT. `twinbox cloud
// imds` runs it; ensure_imds_running() starts that as a daemon (imds.h).
//
// It faces hostile guests, so everything is bounded: 4 worker threads and
// a queue of 16 accepted connections (beyond that the accept loop waits and
// the kernel's backlog fills, instead of threads or memory growing), a read
// times out after 2 s and a write after 5 s, a connection serves at most 5
// requests and idles at most 2 s, a request line or header line is at most
// 8 KiB (cpp-httplib's build) and a body at most 1 KiB (a token PUT has
// none). It never listens on the wildcard address.
#pragma once

#include <string>

#include "common/result.h"

namespace twinbox::cloud {

inline constexpr const char* kImdsAddress = "169.254.169.254";
inline constexpr int kImdsPort = 80;

struct ImdsServeOptions {
    std::string address = kImdsAddress;
    int port = kImdsPort;
    // When >= 0: "ready PID\n" is written there once listening (or the
    // error, when binding fails), then it is closed.
    int ready_fd = -1;
};

Result<void> serve_imds(const ImdsServeOptions& options);

}  // namespace twinbox::cloud
