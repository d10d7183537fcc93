// Key material checked against the real tools: ssh-keygen reads what we
// write, and openssl/ssh-keygen compute the same fingerprints AWS documents
// ("Verify the fingerprint of your key pair", EC2 user guide).
#include "cloud/key_material.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "cloud/aws_error.h"
#include "cloud/ssh_wire.h"
#include "common/file.h"
#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"

namespace twinbox::cloud {
namespace {

bool have_tools() {
    return ::access("/usr/bin/ssh-keygen", X_OK) == 0 && ::access("/usr/bin/openssl", X_OK) == 0;
}
#define REQUIRE_TOOLS() \
    if (!have_tools())  \
    GTEST_SKIP() << "ssh-keygen or openssl is not installed (openssh-client, openssl)"

// The command's stdout, trailing newline removed.
std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return out;
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, got);
    EXPECT_EQ(::pclose(pipe), 0) << command;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

// "SHA1(stdin)= ab:cd" -> "ab:cd"
std::string after_equals(const std::string& line) {
    return line.substr(line.find("= ") + 2);
}

// "TYPE BASE64 [comment]" -> "TYPE BASE64"
std::string first_two_fields(const std::string& line) {
    size_t second = line.find(' ', line.find(' ') + 1);
    return line.substr(0, second);
}

std::string write_private(const std::string& dir, const std::string& text) {
    std::string path = dir + "/key";
    EXPECT_TRUE(write_whole_file(path, text.data(), text.size(), 0600));
    ::chmod(path.c_str(), 0600);
    return path;
}

}  // namespace

TEST(CloudKeyMaterial, Base64) {
    Bytes data{'f', 'o', 'o', 'b', 'a', 'r'};
    for (size_t n = 0; n <= data.size(); ++n) {
        Bytes prefix(data.begin(), data.begin() + static_cast<long>(n));
        EXPECT_EQ(base64_decode(base64_encode(prefix)), prefix);
    }
    EXPECT_EQ(base64_encode(Bytes{'f', 'o'}), "Zm8=");
    for (const char* bad : {"Zm8", "Zm=8", "Z===", "Zm8=Zm8=", "Zm 8", "Zm8*"})
        EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(CloudKeyMaterial, CreatedRsaMatchesOpenSsl) {
    REQUIRE_TOOLS();
    test::TemporaryDirectory tmp;
    auto key = generate_key(KeyType::Rsa);
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_TRUE(key->private_key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"))
        << key->private_key;
    std::string path = write_private(tmp.path(), key->private_key);
    EXPECT_EQ(key->fingerprint, after_equals(run("openssl pkcs8 -topk8 -nocrypt -in " + path +
                                                 " -outform DER | openssl sha1 -c")));
    EXPECT_EQ(key->fingerprint.size(), 59u);  // 20 bytes, colon separated
    EXPECT_EQ(first_two_fields(run("ssh-keygen -y -f " + path)), key->public_key);
    EXPECT_EQ(run("openssl rsa -in " + path + " -noout -text | head -1"),
              "Private-Key: (2048 bit, 2 primes)");
}

TEST(CloudKeyMaterial, CreatedEd25519LoadsInSshKeygen) {
    REQUIRE_TOOLS();
    test::TemporaryDirectory tmp;
    auto key = generate_key(KeyType::Ed25519);
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_TRUE(key->private_key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    EXPECT_TRUE(key->private_key.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
    EXPECT_TRUE(key->public_key.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
    std::string path = write_private(tmp.path(), key->private_key);
    EXPECT_EQ(first_two_fields(run("ssh-keygen -y -f " + path)), key->public_key);
    // "256 SHA256:<base64 without padding> comment (ED25519)"; EC2 keeps base64's padding.
    std::string listed = run("ssh-keygen -l -E sha256 -f " + path);
    std::string printed = listed.substr(listed.find("SHA256:") + 7);
    printed = printed.substr(0, printed.find(' '));
    EXPECT_EQ(key->fingerprint, printed + "=");
}

TEST(CloudKeyMaterial, ImportedRsaIsMd5OfDerPublicKey) {
    REQUIRE_TOOLS();
    test::TemporaryDirectory tmp;
    std::string path = tmp.path() + "/id_rsa";
    run("ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C student@laptop -f " +
        path);  // PEM: openssl reads it
    std::string line = *read_text_file(path + ".pub", "test");
    auto parsed = parse_public_key(line);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_EQ(parsed->type, KeyType::Rsa);
    EXPECT_EQ(parsed->public_key, first_two_fields(line));
    // AWS's recipe: the DER SubjectPublicKeyInfo through md5 -c.
    EXPECT_EQ(parsed->fingerprint, after_equals(run("openssl pkey -in " + path +
                                                    " -pubout -outform DER | openssl md5 -c")));
    // The same from the public key alone (ssh-keygen -e -m PKCS8 gives the SPKI PEM).
    EXPECT_EQ(parsed->fingerprint,
              after_equals(run("ssh-keygen -e -m PKCS8 -f " + path +
                               ".pub | openssl pkey -pubin -outform DER | openssl md5 -c")));
    // Not the RFC 4716 MD5 that `ssh-keygen -E md5` prints: a different hash input.
    EXPECT_NE("MD5:" + parsed->fingerprint,
              run("ssh-keygen -l -E md5 -f " + path + ".pub | cut -d' ' -f2"));
}

TEST(CloudKeyMaterial, ImportedEd25519IsSha256OfBlob) {
    REQUIRE_TOOLS();
    test::TemporaryDirectory tmp;
    std::string path = tmp.path() + "/id_ed25519";
    run("ssh-keygen -q -t ed25519 -N '' -f " + path);
    auto parsed = parse_public_key(*read_text_file(path + ".pub", "test"));
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_EQ(parsed->type, KeyType::Ed25519);
    std::string printed = run("ssh-keygen -l -E sha256 -f " + path + ".pub | cut -d' ' -f2");
    EXPECT_EQ("SHA256:" + parsed->fingerprint, printed + "=");
}

TEST(CloudKeyMaterial, MalformedPublicKeysAreInvalidKeyFormat) {
    auto ed = generate_key(KeyType::Ed25519);
    ASSERT_TRUE(ed);
    std::string blob = ed->public_key.substr(12);
    const std::string cases[] = {
        "",
        "ssh-ed25519",
        "ssh-ed25519 !!!!",
        "ssh-rsa " + blob,                                 // name does not match the blob
        "ssh-dss AAAAB3NzaC1kc3MAAAABAQ==",                // unsupported type
        "ssh-ed25519 " + blob.substr(0, blob.size() - 8),  // truncated
        ed->public_key + "\n" + ed->public_key,            // two lines
        "-----BEGIN RSA PRIVATE KEY-----",                 // a private key by mistake
    };
    for (const auto& text : cases) {
        auto parsed = parse_public_key(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(aws_error_code(parsed.error()), "InvalidKey.Format") << text;
    }
    EXPECT_TRUE(parse_public_key(ed->public_key + " a comment\n"));
}

}  // namespace twinbox::cloud
