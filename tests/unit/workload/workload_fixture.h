// An image made of two layers in a temporary directory, for the workload
// tests: the lower layer has /etc/passwd and /etc/group, the upper one a
// newer /etc/passwd that must win (the topmost copy counts).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "host/image/image_rootfs.h"

namespace twinbox::workload::testing {

class FakeImage {
public:
    FakeImage() {
        char pattern[] = "/tmp/twinbox-workload-test.XXXXXX";
        m_root = ::mkdtemp(pattern);
        write("lower/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nbob:x:7:7::/:/bin/sh\n");
        write("lower/etc/group", "root:x:0:\nstaff:x:50:\n");
        write("upper/etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1001::/home/alice:/bin/sh\n");
        image.reference = "fake:latest";
        image.manifest_digest = "sha256:" + std::string(64, 'a');
        image.layer_dirs = {m_root + "/lower", m_root + "/upper"};
        image.config.entrypoint = {"/entry"};
        image.config.cmd = {"default-cmd"};
        image.config.env = {"PATH=/image/bin", "FROM_IMAGE=1"};
        image.config.working_dir = "/srv";
    }
    ~FakeImage() {
        std::error_code ignored;
        std::filesystem::remove_all(m_root, ignored);
    }
    FakeImage(const FakeImage&) = delete;
    FakeImage& operator=(const FakeImage&) = delete;

    const std::string& root() const { return m_root; }
    image::PreparedImage image;

private:
    void write(const std::string& path, const std::string& text) {
        std::filesystem::path full = m_root + "/" + path;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream(full) << text;
    }
    std::string m_root;
};

}  // namespace twinbox::workload::testing
