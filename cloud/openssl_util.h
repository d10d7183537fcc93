// RAII owners for the OpenSSL objects cloud/ uses, and digests.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "cloud/ssh_wire.h"
#include "common/result.h"

namespace twinbox::cloud {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnFree {
    void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// OpenSSL's error queue as one line, for `call`.
Error openssl_error(std::string_view call);

// The digest `name` ("SHA1", "MD5", "SHA256") of `data`.
Result<Bytes> digest(const char* name, const Bytes& data);

// The whole contents of a memory BIO.
std::string bio_text(BIO* bio);

}  // namespace twinbox::cloud
