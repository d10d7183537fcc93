// Key material for EC2 key pairs, made with OpenSSL 3.
//
// What AWS returns and stores (EC2 API reference, CreateKeyPair,
// ImportKeyPair, KeyPairInfo.KeyFingerprint; user guide "Verify the
// fingerprint of your key pair"):
//   created RSA      PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), 2048 bits;
//                    fingerprint = SHA-1 of the DER PKCS#8 private key,
//                    as `openssl pkcs8 -topk8 -nocrypt -outform DER | openssl sha1 -c`
//   imported RSA     fingerprint = MD5 of the DER SubjectPublicKeyInfo,
//                    as `openssl pkey -pubout -outform DER | openssl md5 -c`
//   ed25519 (both)   OpenSSH private key format (PROTOCOL.key, openssh-key-v1);
//                    fingerprint = base64 SHA-256 of the public key blob, as
//                    `ssh-keygen -l -E sha256` prints it but with base64's "="
//                    padding and without the "SHA256:" prefix, as EC2 shows it.
// Only the public key (one OpenSSH line) and the fingerprint are kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::cloud {

enum class KeyType { Rsa, Ed25519 };
std::string_view key_type_name(KeyType type);  // "rsa", "ed25519" (EC2's KeyType)
std::optional<KeyType> parse_key_type(std::string_view name);

struct GeneratedKey {
    std::string private_key;  // KeyMaterial, returned once
    std::string public_key;   // "ssh-ed25519 AAAA..." (no comment)
    std::string fingerprint;
};
Result<GeneratedKey> generate_key(KeyType type);

struct PublicKey {
    KeyType type;
    std::string public_key;  // normalised: "TYPE BASE64", comment dropped
    std::string fingerprint;
};
// An OpenSSH public key line ("ssh-rsa AAAA... comment"). Anything else, or
// a blob that does not decode to a valid key, is InvalidKey.Format.
Result<PublicKey> parse_public_key(std::string_view line);

// "ab:cd:..." (lower-case hex, colons), as `openssl dgst -c` prints.
std::string colon_hex(const unsigned char* data, size_t size);

}  // namespace twinbox::cloud
