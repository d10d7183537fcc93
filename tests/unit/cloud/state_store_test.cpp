// The cloud state store: strict JSON, damaged files named and left alone,
// atomic private files, and the lock.
#include "cloud/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cloud/key_pairs.h"
#include "common/file.h"
#include "host/network/files.h"
#include "tests/unit/vmm/arch/x86_64/temporary_directory.h"

namespace twinbox::cloud {
namespace {

std::string slurp(const std::string& path) {
    return *read_text_file(path, "test");
}

void put(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

mode_t mode_of(const std::string& path) {
    struct stat info {};
    ::stat(path.c_str(), &info);
    return info.st_mode & 07777;
}

}  // namespace

TEST(CloudStateStore, CreatesPrivateDirectoryAndFiles) {
    test::TemporaryDirectory tmp;
    auto store = StateStore::open(tmp.path() + "/cloud");
    ASSERT_TRUE(store) << store.error().to_string();
    EXPECT_EQ(mode_of(store->dir()), 0700u);
    ASSERT_TRUE(store->update("things", [](nlohmann::json& doc) -> Result<void> {
        doc["a"] = 1;
        return ok();
    }));
    EXPECT_EQ(mode_of(store->path_of("things")), 0600u);
    EXPECT_EQ((*store->read("things"))["a"], 1);
    // Only the document and the lock: no temporary file left behind.
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(store->dir()))
        ++entries;
    EXPECT_EQ(entries, 2u);
}

TEST(CloudStateStore, MissingDocumentIsEmpty) {
    test::TemporaryDirectory tmp;
    auto store = StateStore::open(tmp.path());
    auto doc = store->read("nothing");
    ASSERT_TRUE(doc);
    EXPECT_TRUE(doc->is_object() && doc->empty());
}

TEST(CloudStateStore, FailedChangeWritesNothing) {
    test::TemporaryDirectory tmp;
    auto store = StateStore::open(tmp.path());
    ASSERT_TRUE(store->update("doc", [](nlohmann::json& doc) -> Result<void> {
        doc["v"] = 1;
        return ok();
    }));
    std::string before = slurp(store->path_of("doc"));
    auto failed = store->update("doc", [](nlohmann::json& doc) -> Result<void> {
        doc["v"] = 2;
        return Error::message("no");
    });
    EXPECT_FALSE(failed);
    EXPECT_EQ(slurp(store->path_of("doc")), before);
}

TEST(CloudStateStore, InvalidJsonIsDamagedAndKept) {
    test::TemporaryDirectory tmp;
    auto store = StateStore::open(tmp.path());
    for (std::string text : {"{\"KeyPairs\": [", "[1, 2]", "", "{} trailing"}) {
        put(store->path_of("key_pairs"), text);
        auto read = store->read("key_pairs");
        ASSERT_FALSE(read) << text;
        std::string line = read.error().to_string();
        EXPECT_NE(line.find(store->path_of("key_pairs")), std::string::npos) << line;
        EXPECT_NE(line.find("damaged"), std::string::npos) << line;
        EXPECT_EQ(line.find('\n'), std::string::npos) << line;
        EXPECT_FALSE(describe_key_pairs(*store));
        EXPECT_FALSE(delete_key_pair(*store, "k"));
        EXPECT_EQ(slurp(store->path_of("key_pairs")), text);
    }
}

TEST(CloudStateStore, WrongFieldTypeNamesTheJsonPath) {
    test::TemporaryDirectory tmp;
    auto store = StateStore::open(tmp.path());
    std::string text = R"({"KeyPairs": [{"KeyPairId": "key-0123456789abcdef0", "KeyName": 7}]})";
    put(store->path_of("key_pairs"), text);
    auto keys = describe_key_pairs(*store);
    ASSERT_FALSE(keys);
    EXPECT_NE(keys.error().to_string().find("/KeyPairs/0/KeyName: expected a string"),
              std::string::npos)
        << keys.error().to_string();
    EXPECT_FALSE(create_key_pair(*store, "new", KeyType::Ed25519));
    EXPECT_EQ(slurp(store->path_of("key_pairs")), text);

    put(store->path_of("key_pairs"), R"({"KeyPairs": {}})");
    keys = describe_key_pairs(*store);
    ASSERT_FALSE(keys);
    EXPECT_NE(keys.error().to_string().find("/KeyPairs: expected an array"), std::string::npos);
}

TEST(CloudStateStore, ChangesWaitForTheLock) {
    test::TemporaryDirectory tmp;
    auto store = StateStore::open(tmp.path());
    std::atomic<bool> done = false;
    std::thread writer;
    {
        // flock(2) locks belong to the open file description, so a second open in
        // this process blocks like another process would.
        auto held = network::FileLock::acquire(tmp.path() + "/lock");
        ASSERT_TRUE(held);
        writer = std::thread([&] {
            (void)store->update("doc", [](nlohmann::json& doc) -> Result<void> {
                doc["x"] = true;
                return ok();
            });
            done = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        EXPECT_FALSE(done);
    }
    writer.join();
    EXPECT_TRUE(done);
    EXPECT_EQ((*store->read("doc"))["x"], true);
}

}  // namespace twinbox::cloud
