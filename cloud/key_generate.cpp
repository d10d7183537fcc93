// Making key pairs as CreateKeyPair does: RSA 2048 in PKCS#1 PEM, ed25519 in
// OpenSSH's own private key format (OpenSSH PROTOCOL.key, "openssh-key-v1").
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "cloud/key_material.h"
#include "cloud/key_parts.h"
#include "cloud/openssl_util.h"

namespace twinbox::cloud {
namespace {

Result<std::string> pkcs1_pem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    // "traditional" is PKCS#1 for RSA: "-----BEGIN RSA PRIVATE KEY-----", as EC2 returns.
    if (!bio || !PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                      nullptr))
        return openssl_error("PEM_write_bio_PrivateKey_traditional");
    return bio_text(bio.get());
}

// SHA-1 of the DER PKCS#8 PrivateKeyInfo (RFC 5208), colon hex.
Result<std::string> created_rsa_fingerprint(EVP_PKEY* key) {
    PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
    unsigned char* der = nullptr;
    int size = info ? i2d_PKCS8_PRIV_KEY_INFO(info, &der) : -1;
    PKCS8_PRIV_KEY_INFO_free(info);
    if (size <= 0)
        return openssl_error("i2d_PKCS8_PRIV_KEY_INFO");
    Bytes pkcs8(der, der + size);
    OPENSSL_clear_free(der, static_cast<size_t>(size));
    Bytes sha1 = TRY(digest("SHA1", pkcs8));
    OPENSSL_cleanse(pkcs8.data(), pkcs8.size());
    return colon_hex(sha1.data(), sha1.size());
}

Result<GeneratedKey> generate_rsa() {
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
    if (!key)
        return openssl_error("EVP_PKEY_Q_keygen(RSA 2048)");
    Bytes blob = TRY(rsa_public_blob(key.get()));
    return GeneratedKey{TRY(pkcs1_pem(key.get())), public_key_line(KeyType::Rsa, blob),
                        TRY(created_rsa_fingerprint(key.get()))};
}

// PROTOCOL.key: the base64 body wrapped at 70 columns, as ssh-keygen writes it.
std::string armor_openssh(const Bytes& binary) {
    std::string body = base64_encode(binary);
    std::string text = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
    for (size_t i = 0; i < body.size(); i += 70) text += body.substr(i, 70) + "\n";
    return text + "-----END OPENSSH PRIVATE KEY-----\n";
}

Result<std::string> openssh_private(const Bytes& seed, const Bytes& raw_public) {
    uint32_t check = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof(check)) != 1)
        return openssl_error("RAND_bytes");
    SshWriter secret;
    secret.u32(check);  // twice: a decryption check, meaningless unencrypted but required
    secret.u32(check);
    secret.string("ssh-ed25519");
    secret.string(raw_public);
    Bytes private_and_public = seed;  // "k || A" as in RFC 8032 5.1.5, 64 bytes
    private_and_public.insert(private_and_public.end(), raw_public.begin(), raw_public.end());
    secret.string(private_and_public);
    OPENSSL_cleanse(private_and_public.data(), private_and_public.size());
    secret.string("");  // comment
    for (uint8_t pad = 1; secret.bytes().size() % 8 != 0; ++pad)
        secret.raw(&pad, 1);  // "none" cipher block size is 8

    SshWriter file;
    static constexpr char kMagic[] = "openssh-key-v1";  // with its NUL
    file.raw(reinterpret_cast<const uint8_t*>(kMagic), sizeof(kMagic));
    file.string("none");  // cipher
    file.string("none");  // kdf
    file.string("");      // kdf options
    file.u32(1);          // number of keys
    file.string(ed25519_public_blob(raw_public));
    file.string(secret.bytes());
    OPENSSL_cleanse(secret.bytes().data(), secret.bytes().size());
    std::string armored = armor_openssh(file.bytes());
    OPENSSL_cleanse(file.bytes().data(), file.bytes().size());
    return armored;
}

Result<GeneratedKey> generate_ed25519() {
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key)
        return openssl_error("EVP_PKEY_Q_keygen(ED25519)");
    Bytes seed(32), raw_public(32);
    size_t seed_size = seed.size(), public_size = raw_public.size();
    if (!EVP_PKEY_get_raw_private_key(key.get(), seed.data(), &seed_size) ||
        !EVP_PKEY_get_raw_public_key(key.get(), raw_public.data(), &public_size) ||
        seed_size != 32 || public_size != 32)
        return openssl_error("EVP_PKEY_get_raw_private_key(ED25519)");
    auto material = openssh_private(seed, raw_public);
    OPENSSL_cleanse(seed.data(), seed.size());
    Bytes blob = ed25519_public_blob(raw_public);
    return GeneratedKey{TRY(std::move(material)), public_key_line(KeyType::Ed25519, blob),
                        TRY(ed25519_fingerprint(blob))};
}

}  // namespace

Result<GeneratedKey> generate_key(KeyType type) {
    return type == KeyType::Rsa ? generate_rsa() : generate_ed25519();
}

}  // namespace twinbox::cloud
