// Public keys: OpenSSH lines (RFC 4253 section 6.6 "ssh-rsa"; RFC 8709
// "ssh-ed25519"), parsing imported ones, and AWS's fingerprints.
#include <fmt/core.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "cloud/aws_error.h"
#include "cloud/key_material.h"
#include "cloud/key_parts.h"
#include "cloud/openssl_util.h"

namespace twinbox::cloud {

std::string_view key_type_name(KeyType type) {
    return type == KeyType::Rsa ? "rsa" : "ed25519";
}

std::optional<KeyType> parse_key_type(std::string_view name) {
    if (name == "rsa")
        return KeyType::Rsa;
    if (name == "ed25519")
        return KeyType::Ed25519;
    return std::nullopt;
}

std::string colon_hex(const unsigned char* data, size_t size) {
    std::string out;
    for (size_t i = 0; i < size; ++i) out += fmt::format("{}{:02x}", i == 0 ? "" : ":", data[i]);
    return out;
}

Result<Bytes> rsa_public_blob(EVP_PKEY* key) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
        !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
        BN_free(n);
        return openssl_error("EVP_PKEY_get_bn_param(n, e)");
    }
    Bn n_owner(n), e_owner(e);
    auto to_bytes = [](const BIGNUM* bn) {
        Bytes bytes(static_cast<size_t>(BN_num_bytes(bn)));
        BN_bn2bin(bn, bytes.data());
        return bytes;
    };
    SshWriter blob;
    blob.string("ssh-rsa");
    blob.mpint(to_bytes(e));
    blob.mpint(to_bytes(n));
    return std::move(blob.bytes());
}

Bytes ed25519_public_blob(const Bytes& raw_public) {
    SshWriter blob;
    blob.string("ssh-ed25519");
    blob.string(raw_public);
    return std::move(blob.bytes());
}

std::string public_key_line(KeyType type, const Bytes& blob) {
    return fmt::format("{} {}", type == KeyType::Rsa ? "ssh-rsa" : "ssh-ed25519",
                       base64_encode(blob));
}

Result<std::string> ed25519_fingerprint(const Bytes& blob) {
    return base64_encode(TRY(digest("SHA256", blob)));
}

namespace {

Error invalid_key(std::string_view why) {
    return aws_error("InvalidKey.Format",
                     fmt::format("Key is not in valid OpenSSH public key format ({})", why));
}

// An RSA public key from e and n, to compute the DER SubjectPublicKeyInfo.
Result<Pkey> rsa_from_parts(const Bytes& e, const Bytes& n) {
    Bn e_bn(BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr));
    Bn n_bn(BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr));
    OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
    OSSL_PARAM* params = nullptr;
    if (e_bn && n_bn && build && OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, n_bn.get()) &&
        OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, e_bn.get()))
        params = OSSL_PARAM_BLD_to_param(build);
    OSSL_PARAM_BLD_free(build);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* key = nullptr;
    bool made = params && ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
                EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) > 0;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!made)
        return openssl_error("EVP_PKEY_fromdata(RSA)");
    return Pkey(key);
}

Result<std::string> imported_rsa_fingerprint(const Bytes& e, const Bytes& n) {
    Pkey key = TRY(rsa_from_parts(e, n));
    int bits = EVP_PKEY_get_bits(key.get());
    // EC2 imports 1024, 2048 and 4096-bit RSA keys (ImportKeyPair).
    if (bits < 1024 || bits > 4096)
        return invalid_key(fmt::format("an RSA key of {} bits; EC2 takes 1024 to 4096", bits));
    unsigned char* der = nullptr;
    int size = i2d_PUBKEY(key.get(), &der);
    if (size <= 0)
        return openssl_error("i2d_PUBKEY");
    Bytes spki(der, der + size);
    OPENSSL_free(der);
    Bytes md5 = TRY(digest("MD5", spki));
    return colon_hex(md5.data(), md5.size());
}

}  // namespace

Result<PublicKey> parse_public_key(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
        line.remove_suffix(1);
    if (line.find('\n') != std::string_view::npos)
        return invalid_key("more than one line");
    size_t space = line.find(' ');
    if (space == std::string_view::npos)
        return invalid_key("expected 'TYPE BASE64 [COMMENT]'");
    std::string_view name = line.substr(0, space);
    std::string_view rest = line.substr(space + 1);
    std::string_view encoded = rest.substr(0, rest.find(' '));
    auto blob = base64_decode(encoded);
    if (!blob)
        return invalid_key("the key is not valid base64");
    SshReader reader(*blob);
    auto inner_name = reader.string();
    if (!inner_name || std::string_view(reinterpret_cast<const char*>(inner_name->data()),
                                        inner_name->size()) != name)
        return invalid_key("the key's type does not match its blob");
    if (name == "ssh-rsa") {
        auto e = reader.string();
        auto n = reader.string();
        if (!e || !n || !reader.at_end())
            return invalid_key("a truncated ssh-rsa blob");
        auto fingerprint = TRY(imported_rsa_fingerprint(*e, *n));
        return PublicKey{KeyType::Rsa, public_key_line(KeyType::Rsa, *blob), fingerprint};
    }
    if (name == "ssh-ed25519") {
        auto raw = reader.string();
        if (!raw || raw->size() != 32 || !reader.at_end())
            return invalid_key("an ssh-ed25519 blob must hold a 32-byte key");
        auto fingerprint = TRY(ed25519_fingerprint(*blob));
        return PublicKey{KeyType::Ed25519, public_key_line(KeyType::Ed25519, *blob), fingerprint};
    }
    return invalid_key(fmt::format("unsupported key type '{}'; use ssh-rsa or ssh-ed25519", name));
}

}  // namespace twinbox::cloud
