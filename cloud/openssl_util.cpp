#include "cloud/openssl_util.h"

#include <openssl/err.h>

namespace twinbox::cloud {

Error openssl_error(std::string_view call) {
    unsigned long code = ERR_get_error();
    char text[256] = "unknown OpenSSL error";
    if (code != 0)
        ERR_error_string_n(code, text, sizeof(text));
    ERR_clear_error();
    return Error::message(std::string(call) + ": " + text);
}

Result<Bytes> digest(const char* name, const Bytes& data) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned size = 0;
    EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (!md)
        return openssl_error(std::string("EVP_MD_fetch(") + name + ")");
    int done = EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr);
    EVP_MD_free(md);
    if (!done)
        return openssl_error("EVP_Digest");
    out.resize(size);
    return out;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(size));
}

}  // namespace twinbox::cloud
