// Extracting a layer tar into a directory for overlayfs, and reading a
// compressed stream (inspect_stream). See layer_tar.h for the whiteouts.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/unique_fd.h"
#include "container/sys/in_root.h"
#include "host/image/archive_handle.h"
#include "host/image/digest.h"
#include "host/image/layer_tar.h"

namespace twinbox::image {

using container::make_directories_in_root;
using container::open_root;
using container::reopen;
using container::Symlinks;

const char* layer_media_type(Compression compression) {
    switch (compression) {
        case Compression::gzip:
            return "application/vnd.oci.image.layer.v1.tar+gzip";
        case Compression::zstd:
            return "application/vnd.oci.image.layer.v1.tar+zstd";
        default:
            return "application/vnd.oci.image.layer.v1.tar";
    }
}

Result<StreamInfo> inspect_stream(const std::string& path, const std::string& plain_copy) {
    ArchiveReader reader = TRY(open_archive(path, true));
    archive_entry* entry = nullptr;
    if (archive_read_next_header(reader.get(), &entry) != ARCHIVE_OK)
        return archive_error(reader.get(), "cannot read", path);
    UniqueFd out;
    if (!plain_copy.empty()) {
        out.reset(::open(plain_copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!out)
            return Error::from_errno("open", plain_copy);
    }
    Sha256 hash;
    std::vector<char> buffer(1 << 16);
    for (;;) {
        la_ssize_t got = archive_read_data(reader.get(), buffer.data(), buffer.size());
        if (got < 0)
            return archive_error(reader.get(), "cannot decompress", path);
        if (got == 0)
            break;
        hash.update(buffer.data(), static_cast<size_t>(got));
        if (out && ::write(out.get(), buffer.data(), static_cast<size_t>(got)) != got)
            return Error::from_errno("write", plain_copy);
    }
    StreamInfo info;
    info.diff_id = "sha256:" + hash.hex();
    switch (archive_filter_code(reader.get(), 0)) {
        case ARCHIVE_FILTER_NONE:
            info.compression = Compression::none;
            break;
        case ARCHIVE_FILTER_GZIP:
            info.compression = Compression::gzip;
            break;
        case ARCHIVE_FILTER_ZSTD:
            info.compression = Compression::zstd;
            break;
        default:
            info.compression = Compression::other;
    }
    return info;
}

namespace {

// "./a/b/" -> "a/b"; refuses absolute paths and "..": a layer stays inside its directory.
Result<std::string> clean_path(const char* name) {
    std::string path = name ? name : "";
    while (path.starts_with("./") || path.starts_with("/")) path.erase(0, path[0] == '/' ? 1 : 2);
    while (path.ends_with("/")) path.pop_back();
    std::string check = "/" + path + "/";
    if (check.find("/../") != std::string::npos)
        return Error::message(fmt::format("layer entry {} leaves the layer with ..", name));
    return path;
}

// A whiteout is written beneath the layer's root descriptor, refusing any
// symbolic link on the way (container/sys/in_root.h), so that an archive
// cannot plant one (or an opaque xattr) outside the layer directory.
Result<void> apply_whiteout(const std::string& dest, const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    UniqueFd root = TRY(open_root(dest));
    UniqueFd parent = TRY(make_directories_in_root(root.get(), dir, 0755, Symlinks::refuse)
                              .with_context(fmt::format("layer whiteout {}", path)));
    if (base == ".wh..wh..opq") {
        UniqueFd opened = TRY(reopen(parent.get(), O_RDONLY | O_DIRECTORY));
        if (::fsetxattr(opened.get(), "trusted.overlay.opaque", "y", 1, 0) < 0)
            return Error::from_errno("setxattr(trusted.overlay.opaque)", dest + "/" + dir)
                .with_hint("unpacking layers needs root and a file system with trusted xattrs");
        return ok();
    }
    if (base.starts_with(".wh..wh."))
        return ok();  // aufs bookkeeping (.wh..wh.plnk...): nothing to do
    std::string name = base.substr(4);
    struct stat status {};
    if (::fstatat(parent.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISDIR(status.st_mode))
        ::unlinkat(parent.get(), name.c_str(), 0);
    if (::mknodat(parent.get(), name.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0)
        return Error::from_errno("mknod(whiteout)", dest + "/" + path);
    return ok();
}

void drop_overlay_xattrs(archive_entry* entry) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    std::vector<std::pair<std::string, std::string>> keep;
    archive_entry_xattr_reset(entry);
    while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK)
        if (!std::string_view(name).starts_with("trusted.overlay."))
            keep.emplace_back(name, std::string(static_cast<const char*>(value), size));
    archive_entry_xattr_clear(entry);
    for (const auto& [key, data] : keep)
        archive_entry_xattr_add_entry(entry, key.c_str(), data.data(), data.size());
}

}  // namespace

Result<void> unpack_layer(const std::string& archive_path, const std::string& dest_dir) {
    // Entries are written as dest + "/" + a cleaned relative path; the
    // destination itself is resolved first, as SECURE_SYMLINKS checks every
    // component of the path.
    char resolved[PATH_MAX];
    if (!::realpath(dest_dir.c_str(), resolved))
        return Error::from_errno("realpath", dest_dir);
    const std::string dest = resolved;
    ArchiveReader reader = TRY(open_archive(archive_path, false));
    ArchiveWriter writer(archive_write_disk_new());
    archive_write_disk_set_options(
        writer.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
                          ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK |
                          ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    archive_entry* entry = nullptr;
    for (;;) {
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return archive_error(reader.get(), "cannot read the layer", archive_path);
        std::string path = TRY(clean_path(archive_entry_pathname(entry)));
        auto slash = path.rfind('/');
        std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
        if (base.starts_with(".wh.")) {
            TRY(apply_whiteout(dest, path));
            continue;
        }
        if (path.empty())
            path = ".";
        archive_entry_set_pathname(entry, (dest + "/" + path).c_str());
        if (const char* link = archive_entry_hardlink(entry)) {
            std::string target = TRY(clean_path(link));
            archive_entry_set_hardlink(entry, (dest + "/" + target).c_str());
        }
        drop_overlay_xattrs(entry);
        if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN)
            return archive_error(writer.get(), "cannot extract " + path, archive_path);
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        while ((status = archive_read_data_block(reader.get(), &block, &size, &offset)) ==
               ARCHIVE_OK)
            if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN)
                return archive_error(writer.get(), "cannot write " + path, archive_path);
        if (status != ARCHIVE_EOF)
            return archive_error(reader.get(), "cannot read " + path, archive_path);
        if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN)
            return archive_error(writer.get(), "cannot finish " + path, archive_path);
    }
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
        return archive_error(writer.get(), "cannot finish extracting", archive_path);
    return ok();
}

}  // namespace twinbox::image
