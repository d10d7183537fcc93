// The JSON inside image archives (docker save's manifest.json and image
// config, an OCI layout's index.json, nested indexes and config blobs) read
// by the strict reader: each damaged or hostile member is one error naming
// the member by its path inside the archive and the JSON path of the bad
// field, never a silent default.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/image/digest.h"
#include "host/image/oci_image.h"
#include "host/image/store.h"
#include "host/image/transfer.h"

namespace twinbox::image {
namespace {

class TransferJsonTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-transfer-json-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
        std::filesystem::create_directories(m_root + "/store");
        std::filesystem::create_directories(m_root + "/archive/blobs/sha256");
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }

    void write(const std::string& member, const std::string& text) {
        std::ofstream(m_root + "/archive/" + member) << text;
    }
    // Stores `text` as a blob of the OCI layout; returns its descriptor's JSON.
    std::string blob(const std::string& text, const std::string& media_type) {
        std::string digest = digest_of(text);
        write("blobs/sha256/" + digest.substr(7), text);
        return R"({"mediaType": ")" + media_type + R"(", "digest": ")" + digest + R"(", "size": )" +
               std::to_string(text.size()) + "}";
    }
    static std::string member_of(const std::string& text) {
        return "blobs/sha256/" + digest_of(text).substr(7);
    }
    std::string platform() const {
        return R"("architecture": ")" + host_architecture() + R"(", "os": "linux")";
    }

    // The import's error, which must name `member` and `expected`.
    void expect_refused(bool oci, const std::string& member, const std::string& expected) {
        auto store = ImageStore::open_at(m_root + "/store", false);
        ASSERT_TRUE(store) << store.error().to_string();
        auto imported = oci ? detail::import_oci_layout(*store, m_root + "/archive", "t:1", false)
                            : detail::import_docker_save(*store, m_root + "/archive", "t:1");
        ASSERT_FALSE(imported) << member << " " << expected;
        std::string text = imported.error().to_string();
        EXPECT_NE(text.find(member), std::string::npos) << text;
        EXPECT_NE(text.find(expected), std::string::npos) << text;
        EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    }

    std::string m_root;
};

TEST_F(TransferJsonTest, DockerManifestFieldsAreCheckedWithTheirPath) {
    const std::pair<std::string, const char*> cases[] = {
        {R"([{"Config": "c.json", "Layers": []})", "not valid JSON (at byte"},
        {R"({"Config": "c.json"})", "top level: must be an array"},
        {R"([{"Layers": []}])", "[0].Config: required"},
        {R"([{"Config": 5, "Layers": []}])", "[0].Config: must be a string"},
        {R"([{"Config": "c.json"}])", "[0].Layers: required"},
        {R"([{"Config": "c.json", "Layers": "l.tar"}])", "[0].Layers: must be an array"},
        {R"([{"Config": "c.json", "Layers": [], "RepoTags": ["a:1", 2]}])",
         "[0].RepoTags[1]: must be a string"},
        {"[]", "lists no image"},
    };
    for (const auto& [text, expected] : cases) {
        write("manifest.json", text);
        expect_refused(false, "manifest.json", expected);
    }
}

TEST_F(TransferJsonTest, DockerImageConfigIsNamedByItsMember) {
    write("manifest.json", R"([{"Config": "c.json", "Layers": []}])");
    const std::pair<std::string, std::string> cases[] = {
        {"{", "not valid JSON"},
        {R"({"architecture": 64, "os": "linux"})", "image config: architecture: must be a string"},
        {"{" + platform() + "}", "image config: rootfs: required"},
        {"{" + platform() + R"(, "rootfs": {"diff_ids": "sha256:x"}})",
         "image config: rootfs.diff_ids: must be an array"},
    };
    for (const auto& [text, expected] : cases) {
        write("c.json", text);
        expect_refused(false, "c.json", expected);
    }
}

TEST_F(TransferJsonTest, OciIndexFieldsAreCheckedWithTheirPath) {
    std::string digest = "sha256:" + std::string(64, 'a');
    const std::pair<std::string, const char*> cases[] = {
        {R"({"manifests": [)", "not valid JSON"},
        {"[]", "top level: must be an object"},
        {"{}", "manifests: required"},
        {R"({"manifests": {}})", "manifests: must be an array"},
        {R"({"manifests": [{"digest": ")" + digest + R"("}]})", "manifests[0].size: required"},
        {R"({"manifests": [{"digest": ")" + digest + R"(", "size": "1"}]})",
         "manifests[0].size: must be an integer"},
        {R"({"manifests": [{"size": 1}]})", "manifests[0].digest: required"},
    };
    for (const auto& [text, expected] : cases) {
        write("index.json", text);
        expect_refused(true, "index.json", expected);
    }
}

TEST_F(TransferJsonTest, OciBlobsAreNamedByTheirPathInTheLayout) {
    // A nested index (a manifest list) whose "manifests" is not an array.
    std::string nested = R"({"schemaVersion": 2, "manifests": 3})";
    write("index.json", R"({"manifests": [)" + blob(nested, media_type::kIndex) + "]}");
    expect_refused(true, member_of(nested), "manifests: must be an array");

    // A manifest whose config blob has a field of the wrong type.
    std::string config = R"({"architecture": [], "os": "linux"})";
    std::string manifest = R"({"schemaVersion": 2, "config": )" +
                           blob(config, media_type::kConfig) + R"(, "layers": []})";
    write("index.json", R"({"manifests": [)" + blob(manifest, media_type::kManifest) + "]}");
    expect_refused(true, member_of(config), "image config: architecture: must be a string");

    // A manifest with a required member missing.
    std::string broken = R"({"schemaVersion": 2, "layers": []})";
    write("index.json", R"({"manifests": [)" + blob(broken, media_type::kManifest) + "]}");
    expect_refused(true, member_of(broken), "config: required");
}

TEST(ImageConfigJson, FieldsOfTheWrongTypeAreErrors) {
    auto good = image_config_from_json(nlohmann::json::parse(
        R"({"config": {"Cmd": ["sh"], "Env": null, "User": "1", "ExposedPorts": {"80/tcp": {}},
            "Labels": {"a": "b"}}})"));
    ASSERT_TRUE(good) << good.error().to_string();
    EXPECT_EQ(good->cmd, std::vector<std::string>{"sh"});
    EXPECT_TRUE(good->env.empty());
    EXPECT_EQ(good->exposed_ports, std::vector<std::string>{"80/tcp"});
    const std::pair<const char*, const char*> cases[] = {
        {R"({"config": {"Cmd": "sh"}})", "image config: config.Cmd: must be an array"},
        {R"({"config": {"WorkingDir": 1}})", "config.WorkingDir: must be a string"},
        {R"({"config": {"ExposedPorts": ["80/tcp"]}})", "config.ExposedPorts: must be an object"},
        {R"({"config": {"Labels": {"a": 1}}})", "config.Labels.a: must be a string"},
        {R"({"config": 7})", "config: must be an object"},
    };
    for (const auto& [text, expected] : cases) {
        auto config = image_config_from_json(nlohmann::json::parse(text));
        ASSERT_FALSE(config) << text;
        EXPECT_NE(config.error().to_string().find(expected), std::string::npos)
            << config.error().to_string();
    }
}

TEST(ImageConfigJson, PlatformOfTheWrongTypeIsAnErrorNotAThrow) {
    // nlohmann's value("architecture", "") throws on a number: the reader checks the type.
    auto checked = check_platform(nlohmann::json::parse(R"({"architecture": 1})"));
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().to_string().find("architecture: must be a string"),
              std::string::npos);
}

}  // namespace
}  // namespace twinbox::image
