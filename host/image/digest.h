// Content addresses (OCI image-spec descriptor.md "Digests"): "sha256:" and
// 64 lowercase hex digits of the SHA-256 (FIPS 180-4) of the bytes. The hash
// itself is OpenSSL's libcrypto (EVP), a well-kept Debian library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::image {

// Incremental SHA-256: update() with pieces, then hex() once.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    void update(const void* bytes, size_t size);
    void update(std::string_view text) { update(text.data(), text.size()); }
    std::string hex();  // 64 lowercase hex digits; ends the hash

private:
    struct State;
    std::unique_ptr<State> m_state;
};

std::string sha256_hex(std::string_view bytes);
// "sha256:" + sha256_hex(bytes).
std::string digest_of(std::string_view bytes);
// The digest of a whole file, read in pieces.
Result<std::string> digest_of_file(const std::string& path);

// Checks "sha256:<64 lowercase hex>" and returns the hex part; any other
// algorithm or a malformed value is an error naming `what`.
Result<std::string> digest_hex(std::string_view digest, std::string_view what = "digest");

}  // namespace twinbox::image
