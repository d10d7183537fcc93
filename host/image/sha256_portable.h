// SHA-256 (FIPS 180-4) in plain C++, for the small documents of the image
// store (index, manifests, configs: a few hundred bytes each). Checking
// those on every `twinbox run` through libcrypto would load and initialise
// a 4.5 MB library (3.4 MB resident, openssl.cnf parsed) for under a
// kilobyte of input (issue 17, docs/benchmarks.md "Start-up"); layers and
// archives, where speed matters, still go through OpenSSL (digest.h).
#pragma once

#include <string>
#include <string_view>

namespace twinbox::image {

// 64 lowercase hex digits of the SHA-256 of `bytes`.
std::string sha256_hex_portable(std::string_view bytes);

}  // namespace twinbox::image
