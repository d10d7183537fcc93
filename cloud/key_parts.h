// Pieces shared by key generation and public key parsing (cloud/key_*.cpp).
#pragma once

#include <openssl/evp.h>

#include <string>

#include "cloud/key_material.h"
#include "cloud/ssh_wire.h"
#include "common/result.h"

namespace twinbox::cloud {

// The "ssh-rsa" blob: string "ssh-rsa", mpint e, mpint n (RFC 4253 6.6).
Result<Bytes> rsa_public_blob(EVP_PKEY* key);
// The "ssh-ed25519" blob: string "ssh-ed25519", string key (RFC 8709 4).
Bytes ed25519_public_blob(const Bytes& raw_public);
// "ssh-rsa AAAA..." without a comment.
std::string public_key_line(KeyType type, const Bytes& blob);
// base64 (padded) SHA-256 of the blob.
Result<std::string> ed25519_fingerprint(const Bytes& blob);

}  // namespace twinbox::cloud
