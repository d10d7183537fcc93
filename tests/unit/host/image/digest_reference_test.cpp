// SHA-256 against the FIPS 180-2 test vectors (appendix B), digest strings,
// and image references (Docker's grammar) with good and hostile names.
#include <gtest/gtest.h>

#include <string>

#include "host/image/digest.h"
#include "host/image/reference.h"
#include "host/image/sha256_portable.h"

namespace twinbox::image {
namespace {

TEST(Sha256, Fips180Vectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    Sha256 million;
    std::string thousand(1000, 'a');
    for (int i = 0; i < 1000; ++i) million.update(thousand);
    EXPECT_EQ(million.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsWhole) {
    Sha256 pieces;
    pieces.update("ab");
    pieces.update("c");
    EXPECT_EQ(pieces.hex(), sha256_hex("abc"));
    EXPECT_EQ(digest_of("abc"), "sha256:" + sha256_hex("abc"));
}

// The plain C++ SHA-256 (the store's documents) against OpenSSL's, across
// every padding case: tails of 0-63 bytes, 55/56 (the length no longer
// fits), whole blocks, and past the 64 KiB where sha256_hex switches.
TEST(Sha256, PortableEqualsOpenSsl) {
    EXPECT_EQ(sha256_hex_portable("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string bytes;
    for (size_t size = 0; size < 300; ++size) {
        Sha256 reference;
        reference.update(bytes);
        ASSERT_EQ(sha256_hex_portable(bytes), reference.hex()) << size << " bytes";
        bytes += static_cast<char>(size * 131 + 7);
    }
    std::string large(64 * 1024 + 1, 'x');
    Sha256 reference;
    reference.update(large);
    std::string expected = reference.hex();
    EXPECT_EQ(sha256_hex_portable(large), expected);
    EXPECT_EQ(sha256_hex(large), expected);
}

TEST(Digest, AcceptsOnlySha256WithLowercaseHex) {
    std::string hex(64, 'a');
    ASSERT_TRUE(digest_hex("sha256:" + hex));
    EXPECT_EQ(*digest_hex("sha256:" + hex), hex);
    EXPECT_FALSE(digest_hex("sha512:" + hex));
    EXPECT_FALSE(digest_hex("sha256:" + std::string(63, 'a')));
    EXPECT_FALSE(digest_hex("sha256:" + std::string(65, 'a')));
    EXPECT_FALSE(digest_hex("sha256:" + std::string(64, 'A')));
    EXPECT_FALSE(digest_hex("sha256:../../../../etc/passwd" + std::string(36, 'a')));
    EXPECT_FALSE(digest_hex(""));
}

TEST(Reference, DefaultsTheTagToLatest) {
    auto reference = parse_reference("busybox");
    ASSERT_TRUE(reference);
    EXPECT_EQ(reference->name, "busybox");
    EXPECT_EQ(reference->tag, "latest");
    EXPECT_EQ(reference->to_string(), "busybox:latest");
}

TEST(Reference, ParsesDomainsPortsPathsTagsAndDigests) {
    auto reference = parse_reference("registry.example.com:5000/team/my-app_v2:1.0.3-rc1");
    ASSERT_TRUE(reference) << reference.error().to_string();
    EXPECT_EQ(reference->name, "registry.example.com:5000/team/my-app_v2");
    EXPECT_EQ(reference->tag, "1.0.3-rc1");
    std::string digest = "sha256:" + std::string(64, '0');
    auto pinned = parse_reference("app@" + digest);
    ASSERT_TRUE(pinned);
    EXPECT_EQ(pinned->digest, digest);
    EXPECT_EQ(pinned->tag, "");
    EXPECT_TRUE(parse_reference("a__b/c---d/e.f:TAG_1"));
    EXPECT_TRUE(parse_reference("localhost/app"));
}

TEST(Reference, RejectsBadCharactersWithOneLine) {
    for (const char* bad :
         {"",       "UPPER",          "app:",        ":tag",         "app:-tag",
          "a//b",   "/app",           "app/",        "a..b",         "-app",
          "app-",   "ap p",           "app:t@g",     "app;rm -rf /", "app$(id)",
          "../etc", "app@sha256:xyz", "app:tag:tag", "a_-b",         "app:" /* empty tag */}) {
        auto reference = parse_reference(bad);
        EXPECT_FALSE(reference) << bad;
        if (!reference) {
            EXPECT_EQ(reference.error().to_string().find('\n'), std::string::npos);
        }
    }
    EXPECT_FALSE(parse_reference(std::string(256, 'a')));
    EXPECT_FALSE(parse_reference("app:" + std::string(129, 't')));
    EXPECT_TRUE(parse_reference("app:" + std::string(128, 't')));
}

}  // namespace
}  // namespace twinbox::image
