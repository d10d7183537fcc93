// SHA-256 through OpenSSL's EVP interface (EVP_DigestInit_ex(3)).
#include "host/image/digest.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "host/image/sha256_portable.h"

namespace twinbox::image {
namespace {
constexpr size_t kPortableLimit = 64 * 1024;
}  // namespace

struct Sha256::State {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    ~State() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
    EVP_DigestInit_ex(m_state->context, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* bytes, size_t size) {
    EVP_DigestUpdate(m_state->context, bytes, size);
}

std::string Sha256::hex() {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_state->context, hash, &length);
    std::string text;
    for (unsigned int i = 0; i < length; ++i) text += fmt::format("{:02x}", hash[i]);
    return text;
}

std::string sha256_hex(std::string_view bytes) {
    // The store's JSON documents, read on every `twinbox run`, stay clear of
    // libcrypto (sha256_portable.h); OpenSSL's SHA extensions win on more.
    if (bytes.size() <= kPortableLimit)
        return sha256_hex_portable(bytes);
    Sha256 hash;
    hash.update(bytes);
    return hash.hex();
}

std::string digest_of(std::string_view bytes) {
    return "sha256:" + sha256_hex(bytes);
}

Result<std::string> digest_of_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return Error::from_errno("open", path);
    Sha256 hash;
    char buffer[1 << 16];
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error::from_errno("read", path);
        if (got == 0)
            break;
        hash.update(buffer, static_cast<size_t>(got));
    }
    return "sha256:" + hash.hex();
}

Result<std::string> digest_hex(std::string_view digest, std::string_view what) {
    constexpr std::string_view kPrefix = "sha256:";
    if (!digest.starts_with(kPrefix))
        return Error::message(fmt::format(
            "{} {:.80} is not a sha256 digest (expected sha256:<64 hex digits>)", what, digest));
    std::string_view hex = digest.substr(kPrefix.size());
    bool valid = hex.size() == 64;
    for (char c : hex) valid = valid && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!valid)
        return Error::message(fmt::format(
            "{} {:.80} is not a sha256 digest (expected sha256:<64 lowercase hex digits>)", what,
            digest));
    return std::string(hex);
}

}  // namespace twinbox::image
