// cloud/api/credentials.h: key formats, the store, and the AWS CLI's INI files.
#include "cloud/api/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace twinbox::cloud::api {
namespace {

TEST(ApiCredentials, CreatesAwsShapedKeysStoredPrivately) {
    auto dir = std::filesystem::temp_directory_path() /
               ("twinbox-cred-test-" + std::to_string(::getpid()));
    auto store = StateStore::open(dir.string());
    ASSERT_TRUE(store);
    auto key = create_access_key(*store);
    ASSERT_TRUE(key) << key.error().to_string();
    EXPECT_EQ(key->access_key_id.size(), 20u);
    EXPECT_TRUE(key->access_key_id.starts_with("AKIA"));
    EXPECT_EQ(key->access_key_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
              std::string::npos);
    EXPECT_EQ(key->secret_access_key.size(), 40u);
    auto other = create_access_key(*store);
    ASSERT_TRUE(other);
    EXPECT_NE(other->access_key_id, key->access_key_id);
    EXPECT_EQ(**find_secret(*store, key->access_key_id), key->secret_access_key);
    EXPECT_EQ(**find_secret(*store, other->access_key_id), other->secret_access_key);
    EXPECT_FALSE(*find_secret(*store, "AKIANOTAKEY"));
    struct stat info {};
    ASSERT_EQ(::stat(store->path_of("credentials").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    std::filesystem::remove_all(dir);
}

TEST(ApiCredentials, ReplacesOneIniSection) {
    EXPECT_EQ(replace_ini_section("", "p", "a = 1\n"), "[p]\na = 1\n");
    EXPECT_EQ(replace_ini_section("[x]\nb = 2\n\n[p]\na = 0\nc = 3\n[y]\nd = 4\n", "p", "a = 1\n"),
              "[x]\nb = 2\n\n[p]\na = 1\n[y]\nd = 4\n");
    EXPECT_EQ(replace_ini_section("[x]\nb = 2\n", "p", "a = 1\n"), "[x]\nb = 2\n\n[p]\na = 1\n");
}

}  // namespace
}  // namespace twinbox::cloud::api
