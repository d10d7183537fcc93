// From an image reference to what a container or a VM needs (image_rootfs.h).
#include "host/image/image_rootfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include "host/image/build_step_run.h"
#include "host/image/store.h"

namespace twinbox::image {

using container::RunFlags;

namespace fs = std::filesystem;

Result<PreparedImage> prepare_image(const std::string& reference) {
    ImageStore store = TRY(ImageStore::open());
    Image image = TRY(store.load(reference));
    PreparedImage prepared;
    prepared.reference = image.reference;
    prepared.manifest_digest = image.manifest_digest;
    prepared.config = image.run_config;
    for (const auto& layer : image.manifest.layers)
        prepared.layer_dirs.push_back(TRY(store.unpacked_layer(layer)));
    return prepared;
}

std::vector<std::string> image_command(const ImageConfig& config,
                                       const std::vector<std::string>& given) {
    std::vector<std::string> command = config.entrypoint;
    const auto& arguments = given.empty() ? config.cmd : given;
    command.insert(command.end(), arguments.begin(), arguments.end());
    return command;
}

namespace {

Result<void> merge(const fs::path& from, const fs::path& to) {
    std::error_code error;
    for (const auto& item : fs::directory_iterator(from, error)) {
        fs::path target = to / item.path().filename();
        struct stat status {};
        if (::lstat(item.path().c_str(), &status) < 0)
            return Error::from_errno("lstat", item.path().string());
        struct stat existing {};
        bool exists = ::lstat(target.c_str(), &existing) == 0;
        if (S_ISCHR(status.st_mode) && status.st_rdev == makedev(0, 0)) {
            fs::remove_all(target, error);  // a whiteout: the lower file is gone
            continue;
        }
        if (S_ISDIR(status.st_mode)) {
            char opaque[2] = {};
            bool is_opaque = ::lgetxattr(item.path().c_str(), "trusted.overlay.opaque", opaque,
                                         sizeof(opaque)) == 1 &&
                             opaque[0] == 'y';
            if (exists && (!S_ISDIR(existing.st_mode) || is_opaque))
                fs::remove_all(target, error);
            if (::mkdir(target.c_str(), status.st_mode & 07777) < 0 && errno != EEXIST)
                return Error::from_errno("mkdir", target.string());
            ::lchown(target.c_str(), status.st_uid, status.st_gid);
            ::chmod(target.c_str(), status.st_mode & 07777);
            TRY(merge(item.path(), target));
            continue;
        }
        if (exists)
            fs::remove_all(target, error);
        if (S_ISCHR(status.st_mode) || S_ISBLK(status.st_mode) || S_ISFIFO(status.st_mode)) {
            // Device nodes and FIFOs an image ships (fs::copy refuses them).
            if (::mknod(target.c_str(), status.st_mode, status.st_rdev) < 0)
                return Error::from_errno("mknod", target.string());
        } else if (S_ISSOCK(status.st_mode)) {
            continue;  // a socket is not content
        } else {
            fs::copy(item.path(), target, fs::copy_options::copy_symlinks, error);
            if (error)
                return Error::from_errno("copy", item.path().string(), error.value());
        }
        ::lchown(target.c_str(), status.st_uid, status.st_gid);
        if (!S_ISLNK(status.st_mode))
            ::chmod(target.c_str(), status.st_mode & 07777);
    }
    if (error)
        return Error::from_errno("readdir", from.string(), error.value());
    return ok();
}

}  // namespace

Result<void> flatten_layers(const std::vector<std::string>& layer_dirs, const std::string& dest) {
    for (const auto& layer : layer_dirs)
        TRY(merge(layer, dest).with_context("flattening " + layer));
    return ok();
}

}  // namespace twinbox::image
