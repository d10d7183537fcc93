// The store's files: blobs, temporary directories, locks and unpacked
// layers (store.h). The index is in store_index.cpp, prune in store_prune.cpp.
#include "host/image/store.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/file.h"
#include "host/image/digest.h"
#include "host/image/layer_tar.h"

namespace twinbox::image {

namespace fs = std::filesystem;

std::string default_store_root() {
    const char* root = std::getenv("TWINBOX_ROOT");
    if (root && *root)
        return std::string(root) + "/lib/images";
    return "/var/lib/twinbox/images";
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        TempDir old(std::move(*this));
        m_path = std::exchange(other.m_path, {});
    }
    return *this;
}

TempDir::~TempDir() {
    if (m_path.empty())
        return;
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

Result<ImageStore> ImageStore::open() {
    return open_at(default_store_root(), true);
}

Result<ImageStore> ImageStore::open_at(const std::string& root, bool seed_busybox) {
    for (const char* sub : {"/blobs/sha256", "/layers", "/cache", "/tmp"}) {
        std::error_code error;
        fs::create_directories(root + sub, error);
        if (error)
            return Error::from_errno("mkdir", root + sub, error.value())
                .with_hint("is TWINBOX_ROOT writable? are you root?");
    }
    // Image configs can carry secrets (ENV, build arguments) and layers can
    // hold files their authors made root-only: the store is root's alone, as
    // Docker's /var/lib/docker is. Layers stay reachable to the containers
    // through their overlay mounts, which root makes.
    if (::chmod(root.c_str(), 0700) < 0)
        return Error::from_errno("chmod", root);
    ImageStore store(root);
    if (::access((root + "/oci-layout").c_str(), F_OK) < 0)
        TRY(write_file_atomically(root + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", true));
    bool fresh = ::access((root + "/index.json").c_str(), F_OK) < 0;
    if (fresh) {
        auto lock = TRY(FileLock::acquire(root + "/lock", FileLock::Mode::Exclusive));
        if (::access((root + "/index.json").c_str(), F_OK) < 0)
            TRY(store.write_index({}));
    }
    if (fresh && seed_busybox) {
        auto writing = TRY(store.lock_for_writing());
        auto manifest = TRY(create_busybox_image(store));
        TRY(store.tag(Reference{"busybox", "latest", ""}, manifest));
    }
    return store;
}

std::string ImageStore::blob_path(const std::string& digest) const {
    auto hex = digest_hex(digest);
    return m_root + "/blobs/sha256/" + (hex ? *hex : std::string("invalid"));
}

bool ImageStore::has_blob(const std::string& digest) const {
    return digest_hex(digest) && ::access(blob_path(digest).c_str(), F_OK) == 0;
}

Result<TempDir> ImageStore::make_temp_dir() const {
    std::string pattern = m_root + "/tmp/work.XXXXXX";
    if (!::mkdtemp(pattern.data()))
        return Error::from_errno("mkdtemp", pattern);
    return TempDir(pattern);
}

Result<FileLock> ImageStore::lock_for_writing() const {
    return FileLock::acquire(m_root + "/gc.lock", FileLock::Mode::Shared);
}

Result<Descriptor> ImageStore::put_blob(const std::string& bytes, const std::string& media_type) {
    std::string digest = digest_of(bytes);
    if (!has_blob(digest))
        TRY(write_file_atomically(blob_path(digest), bytes, true));
    return Descriptor{media_type, digest, static_cast<int64_t>(bytes.size()), {}, {}, {}};
}

Result<Descriptor> ImageStore::put_blob_file(const std::string& path, const std::string& media_type,
                                             const std::string& expected) {
    std::string digest = TRY(digest_of_file(path));
    if (!expected.empty() && digest != expected)
        return Error::message(fmt::format("blob {} has digest {}, not {} as its manifest says",
                                          fs::path(path).filename().string(), digest, expected))
            .with_hint("the archive is corrupt or was altered; get a fresh copy");
    struct stat status {};
    if (::stat(path.c_str(), &status) < 0)
        return Error::from_errno("stat", path);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) < 0)
        return Error::from_errno("fsync", path);
    if (::rename(path.c_str(), blob_path(digest).c_str()) < 0)
        return Error::from_errno("rename", blob_path(digest));
    return Descriptor{media_type, digest, static_cast<int64_t>(status.st_size), {}, {}, {}};
}

Result<std::string> ImageStore::read_blob(const std::string& digest) const {
    TRY(digest_hex(digest));
    auto bytes = TRY(read_whole_file(blob_path(digest), "image blob", 64 << 20));
    std::string text(bytes.begin(), bytes.end());
    if (digest_of(text) != digest)
        return Error::message(fmt::format("blob {} does not match its digest", digest))
            .with_hint("the store is damaged: remove the image and import it again");
    return text;
}

Result<std::string> ImageStore::unpacked_layer(const Descriptor& layer) {
    std::string hex = TRY(digest_hex(layer.digest));
    std::string dir = m_root + "/layers/" + hex;
    if (::access(dir.c_str(), F_OK) == 0)
        return dir;
    if (!has_blob(layer.digest))
        return Error::message(fmt::format("layer {} is missing from the store", layer.digest))
            .with_hint("import the image again");
    auto temp = TRY(make_temp_dir());
    std::string target = temp.path() + "/layer";
    if (::mkdir(target.c_str(), 0755) < 0)
        return Error::from_errno("mkdir", target);
    TRY(unpack_layer(blob_path(layer.digest), target).with_context("unpacking " + layer.digest));
    // Another process may have unpacked the same layer meanwhile: either copy will do.
    if (::rename(target.c_str(), dir.c_str()) < 0 && errno != ENOTEMPTY && errno != EEXIST)
        return Error::from_errno("rename", dir);
    return dir;
}

}  // namespace twinbox::image
