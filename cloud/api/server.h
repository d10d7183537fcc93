// `twinbox cloud serve`: the EC2 API over HTTP (cpp-httplib), in the
// foreground until SIGTERM or SIGINT. Loopback only unless asked; the
// request body is at most kMaxBody (a form POST of 1000 parameters fits).
#pragma once

#include <string>

#include "common/result.h"

namespace twinbox::cloud::api {

inline constexpr const char* kDefaultListen = "127.0.0.1:4566";
inline constexpr size_t kMaxBody = 1 << 20;

struct ServeOptions {
    std::string address = "127.0.0.1";
    int port = 4566;  // 0: any free port, printed once listening
    std::string store_dir;
};

// "ADDRESS:PORT" ("[::1]:4566" for IPv6).
Result<ServeOptions> parse_listen(std::string_view listen);
bool is_loopback(std::string_view address);

// Prints "twinbox cloud serve: listening on http://ADDRESS:PORT" on stdout
// once bound, then serves.
Result<void> serve(const ServeOptions& options);

}  // namespace twinbox::cloud::api
