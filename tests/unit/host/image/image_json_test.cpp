// The image store's JSON (index.json, manifests, descriptors) read by the
// strict reader (common/json_reader.h): each damaged input is one clear
// error naming the member, a damaged index is named and never rewritten.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/image/oci_image.h"
#include "host/image/store.h"

namespace twinbox::image {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string descriptor(const std::string& members) {
    return R"({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ")" + kDigest +
           "\"" + members + "}";
}

TEST(ImageJson, DamagedManifestsNameTheMember) {
    std::string good = descriptor(R"(, "size": 3)");
    auto manifest = parse_manifest(R"({"schemaVersion": 2, "config": )" + good +
                                   R"(, "layers": [)" + good + "]}");
    ASSERT_TRUE(manifest) << manifest.error().to_string();
    EXPECT_EQ(manifest->layers.size(), 1u);
    EXPECT_EQ(manifest->config.size, 3);

    const std::pair<std::string, const char*> cases[] = {
        {"[]", "must be an object"},
        {R"({"schemaVersion": 1})", "schemaVersion is not 2"},
        {R"({"schemaVersion": "2"})", "schemaVersion: must be an integer"},
        {R"({"schemaVersion": 2, "layers": []})", "config: required"},
        {R"({"schemaVersion": 2, "config": )" + good + "}", "layers: required"},
        {R"({"schemaVersion": 2, "config": )" + good + R"(, "layers": {}})",
         "layers: must be an array"},
        {R"({"schemaVersion": 2, "config": )" + descriptor("") + R"(, "layers": []})",
         "config.size: required"},
        {R"({"schemaVersion": 2, "config": )" + good + R"(, "layers": [)" +
             descriptor(R"(, "size": -1)") + "]}",
         "layers[0].size: must not be negative"},
        {R"({"schemaVersion": 2, "config": )" + good + R"(, "layers": [)" +
             descriptor(R"(, "size": 1, "annotations": {"a": 1})") + "]}",
         "layers[0].annotations.a: must be a string"},
        {R"({"schemaVersion": 2, "config": {"digest": "md5:x", "size": 1}, "layers": []})",
         "digest"},
        {R"({"schemaVersion": 2, )", "not valid JSON"},
    };
    for (const auto& [text, expected] : cases) {
        auto parsed = parse_manifest(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_NE(parsed.error().to_string().find(expected), std::string::npos)
            << text << " gave " << parsed.error().to_string();
        EXPECT_NE(parsed.error().to_string().find("image manifest"), std::string::npos);
    }
}

class ImageIndexTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-image-index-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }
    std::string m_root;
};

TEST_F(ImageIndexTest, DamagedIndexIsNamedAndKept) {
    auto store = ImageStore::open_at(m_root, false);
    ASSERT_TRUE(store) << store.error().to_string();
    ASSERT_TRUE(store->list());
    const std::pair<std::string, const char*> cases[] = {
        {"{\"manifests\": ", "not valid JSON"},
        {"{}", "manifests: required"},
        {R"({"manifests": {}})", "manifests: must be an array"},
        {R"({"manifests": [{"digest": ")" + kDigest + R"(", "size": "1"}]})",
         "manifests[0].size: must be an integer"},
    };
    std::string index = m_root + "/index.json";
    for (const auto& [text, expected] : cases) {
        std::ofstream(index, std::ios::trunc) << text;
        auto listed = store->list();
        ASSERT_FALSE(listed) << text;
        std::string message = listed.error().to_string();
        EXPECT_EQ(listed.error().kind(), Error::Kind::Damaged) << message;
        EXPECT_NE(message.find(index + " is damaged"), std::string::npos) << message;
        EXPECT_NE(message.find(expected), std::string::npos) << text << " gave " << message;
        // A tag would rewrite the index from what was read: it must refuse instead.
        auto reference = parse_reference("x:1");
        ASSERT_TRUE(reference);
        EXPECT_FALSE(store->untag(*reference));
        std::ifstream in(index);
        EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);
    }
}

}  // namespace
}  // namespace twinbox::image
