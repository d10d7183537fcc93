// Building (or finding) the ext4 disk of an image for a microVM; see vm_disk.h.
#include "host/image/vm_disk.h"

#include <fmt/core.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/subprocess.h"
#include "host/image/digest.h"
#include "host/image/image_rootfs.h"

namespace twinbox::image {

namespace {

namespace fs = std::filesystem;

// Removes a directory tree when it goes out of scope (the staging directory).
class TemporaryTree {
public:
    explicit TemporaryTree(std::string path) : m_path(std::move(path)) {}
    ~TemporaryTree() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

// Bytes and inodes a tree needs (st_blocks, so sparse files count as they are).
thread_local uint64_t t_bytes = 0, t_inodes = 0;
int count_entry(const char*, const struct stat* info, int, FTW*) {
    t_bytes += static_cast<uint64_t>(info->st_blocks) * 512;
    ++t_inodes;
    return 0;
}

Result<void> add_agent(const std::string& staging, const std::string& agent) {
    std::error_code error;
    fs::create_directories(staging + "/.twinbox/rw", error);
    if (error)
        return Error::message(fmt::format("creating {}/.twinbox: {}", staging, error.message()));
    // Mount points the initramfs moves its file systems to, and the agent mounts on.
    for (const char* directory : {"proc", "sys", "dev", "run", "tmp"}) {
        std::string path = staging + "/" + directory;
        if (!fs::exists(fs::symlink_status(path)))
            fs::create_directory(path, error);
    }
    ::chmod((staging + "/tmp").c_str(), 01777);
    fs::copy_file(agent, staging + "/.twinbox/init", fs::copy_options::overwrite_existing, error);
    if (error)
        return Error::message(
            fmt::format("copying the guest agent {}: {} (build the guest-agent target)", agent,
                        error.message()));
    ::chmod((staging + "/.twinbox/init").c_str(), 0755);
    return ok();
}

// A file of `size` bytes that takes no room until written (truncate(2)).
Result<void> make_sparse_file(const std::string& output, uint64_t size) {
    {
        std::ofstream file(output, std::ios::binary | std::ios::trunc);
        if (!file)
            return Error::from_errno("create", output);
    }
    if (::truncate(output.c_str(), static_cast<off_t>(size)) != 0)
        return Error::from_errno("truncate", output);
    return ok();
}

std::string mkfs_path() {
    return fs::exists("/sbin/mkfs.ext4") ? "/sbin/mkfs.ext4" : "/usr/sbin/mkfs.ext4";
}

Result<void> make_ext4(const std::string& staging, const std::string& output) {
    t_bytes = t_inodes = 0;
    if (::nftw(staging.c_str(), count_entry, 64, FTW_PHYS) != 0)
        return Error::from_errno("nftw", staging);
    // Room for the metadata and a little slack: ext4 needs a few MiB of its own,
    // and a quarter more than the data covers block rounding and directories.
    uint64_t size = ((t_bytes + t_bytes / 4 + (16ull << 20)) + 0xfffff) & ~0xfffffull;
    uint64_t inodes = t_inodes + t_inodes / 4 + 256;
    TRY(make_sparse_file(output, size));
    auto result =
        TRY(run_captured({mkfs_path(), "-q", "-F", "-L", "twinbox", "-N", std::to_string(inodes),
                          "-E", "root_owner=0:0", "-d", staging, output},
                         std::chrono::minutes(10)));
    if (result.exit_status != 0) {
        std::string reason = result.err.empty() ? result.out : result.err;
        while (!reason.empty() && reason.back() == '\n') reason.pop_back();
        if (auto newline = reason.rfind('\n'); newline != std::string::npos)
            reason = reason.substr(newline + 1);
        return Error::message(
                   fmt::format("mkfs.ext4 -d failed (status {}): {}", result.exit_status, reason))
            .with_hint("is e2fsprogs 1.43 or newer installed?");
    }
    return ok();
}

}  // namespace

Result<VmDisk> vm_disk_for_image(const std::string& store_root, const std::string& manifest_digest,
                                 const std::vector<std::string>& layer_dirs,
                                 const std::string& agent) {
    auto agent_digest = TRY(digest_of_file(agent).with_context("the guest agent"));
    // <manifest hex>-<agent hex, 12>: a new agent makes a new disk, and `image
    // prune` can tell which image a disk belongs to.
    auto manifest_hex = TRY(digest_hex(manifest_digest, "image id"));
    auto agent_hex = TRY(digest_hex(agent_digest, "agent digest"));
    std::string key = manifest_hex + "-" + agent_hex.substr(0, 12);
    std::string directory = store_root + "/vmdisks";
    std::string path = directory + "/" + key + ".ext4";
    if (::access(path.c_str(), R_OK) == 0)
        return VmDisk{path, false, {}};

    auto start = std::chrono::steady_clock::now();
    std::error_code error;
    fs::create_directories(directory, error);
    if (error)
        return Error::message(fmt::format("creating {}: {}", directory, error.message()));
    std::string stem = fmt::format("{}/.{}.{}", directory, key, ::getpid());
    TemporaryTree staging(stem + ".staging");
    fs::create_directory(staging.path(), error);
    if (error)
        return Error::message(fmt::format("creating {}: {}", staging.path(), error.message()));
    TRY(flatten_layers(layer_dirs, staging.path()).with_context("building the VM disk"));
    TRY(add_agent(staging.path(), agent));
    std::string partial = stem + ".ext4";
    if (auto made = make_ext4(staging.path(), partial); !made) {
        ::unlink(partial.c_str());
        return std::move(made).error().with_context("building the VM disk of " + manifest_digest);
    }
    // rename(2) is atomic: a concurrent builder of the same image wins or loses
    // whole, and readers never see a half-written disk.
    if (::rename(partial.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(partial.c_str());
        return Error::from_errno("rename", path, saved);
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return VmDisk{path, true, elapsed};
}

Result<void> make_ext4_from_directory(const std::string& directory, const std::string& output) {
    struct stat info {};
    if (::stat(directory.c_str(), &info) != 0)
        return Error::from_errno("stat", directory);
    if (!S_ISDIR(info.st_mode))
        return Error::message(fmt::format("{} is not a directory", directory));
    if (auto made = make_ext4(directory, output); !made) {
        ::unlink(output.c_str());
        return std::move(made).error().with_context("copying " + directory + " to a disk");
    }
    return ok();
}

Result<void> make_empty_ext4(const std::string& output, uint64_t size) {
    TRY(make_sparse_file(output, size));
    auto result = TRY(
        run_captured({mkfs_path(), "-q", "-F", "-L", "twinbox-rw", "-E", "root_owner=0:0", output},
                     std::chrono::minutes(2)));
    if (result.exit_status != 0) {
        ::unlink(output.c_str());
        return Error::message(fmt::format("mkfs.ext4 {} failed (status {}): {}", output,
                                          result.exit_status, result.err));
    }
    return ok();
}

}  // namespace twinbox::image
