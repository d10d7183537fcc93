// Writing a directory (a RUN's overlay upper directory, a COPY's staging
// directory, a root file system) as a layer tar in pax format, with
// overlayfs whiteouts turned into OCI ones (layer_tar.h).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/unique_fd.h"
#include "host/image/archive_handle.h"
#include "host/image/layer_tar.h"

namespace twinbox::image {

namespace {

class Packer {
public:
    Packer(archive* writer, std::string out) : m_writer(writer), m_out(std::move(out)) {}

    Result<void> directory(const std::string& host, const std::string& relative) {
        std::vector<std::string> names;
        DIR* dir = ::opendir(host.c_str());
        if (!dir)
            return Error::from_errno("opendir", host);
        while (dirent* item = ::readdir(dir))
            if (std::string_view(item->d_name) != "." && std::string_view(item->d_name) != "..")
                names.emplace_back(item->d_name);
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        for (const auto& name : names)
            TRY(one(host + "/" + name, relative.empty() ? name : relative + "/" + name));
        return ok();
    }

private:
    Result<void> one(const std::string& host, const std::string& relative) {
        struct stat status {};
        if (::lstat(host.c_str(), &status) < 0)
            return Error::from_errno("lstat", host);
        if (S_ISCHR(status.st_mode) && status.st_rdev == makedev(0, 0))
            return whiteout(relative, ".wh." + base_name(relative), status);
        ArchiveEntry entry(archive_entry_new());
        archive_entry_copy_stat(entry.get(), &status);
        archive_entry_set_pathname(entry.get(), relative.c_str());
        // Whole seconds and no atime/ctime: the same files give the same bytes.
        archive_entry_set_mtime(entry.get(), status.st_mtim.tv_sec, 0);
        archive_entry_unset_atime(entry.get());
        archive_entry_unset_ctime(entry.get());
        archive_entry_unset_birthtime(entry.get());
        archive_entry_set_uname(entry.get(), nullptr);
        archive_entry_set_gname(entry.get(), nullptr);
        copy_xattrs(host, entry.get());
        if (S_ISLNK(status.st_mode)) {
            std::string target(static_cast<size_t>(status.st_size) + 1, '\0');
            ssize_t length = ::readlink(host.c_str(), target.data(), target.size());
            if (length < 0)
                return Error::from_errno("readlink", host);
            target.resize(static_cast<size_t>(length));
            archive_entry_set_symlink(entry.get(), target.c_str());
        }
        bool data = S_ISREG(status.st_mode);
        if (data && status.st_nlink > 1) {
            auto key = std::pair{status.st_dev, status.st_ino};
            if (auto first = m_links.find(key); first != m_links.end()) {
                archive_entry_set_hardlink(entry.get(), first->second.c_str());
                archive_entry_set_size(entry.get(), 0);
                data = false;
            } else {
                m_links.emplace(key, relative);
            }
        }
        if (archive_write_header(m_writer, entry.get()) < ARCHIVE_WARN)
            return archive_error(m_writer, "cannot add " + relative, m_out);
        if (data)
            TRY(copy_data(host, relative));
        if (S_ISDIR(status.st_mode)) {
            char value[2] = {};
            if (::lgetxattr(host.c_str(), "trusted.overlay.opaque", value, sizeof(value)) == 1 &&
                value[0] == 'y')
                TRY(whiteout(relative, relative + "/.wh..wh..opq", status));
            TRY(directory(host, relative));
        }
        return ok();
    }

    static std::string base_name(const std::string& path) {
        auto slash = path.rfind('/');
        return slash == std::string::npos ? path : path.substr(slash + 1);
    }

    // An empty regular file named .wh.NAME (or dir/.wh..wh..opq).
    Result<void> whiteout(const std::string& relative, const std::string& name,
                          const struct stat& status) {
        auto slash = relative.rfind('/');
        std::string path = name;
        if (!name.starts_with(relative + "/") && slash != std::string::npos)
            path = relative.substr(0, slash) + "/" + name;
        ArchiveEntry entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), path.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0);
        archive_entry_set_size(entry.get(), 0);
        archive_entry_set_mtime(entry.get(), status.st_mtim.tv_sec, 0);
        if (archive_write_header(m_writer, entry.get()) < ARCHIVE_WARN)
            return archive_error(m_writer, "cannot add " + path, m_out);
        return ok();
    }

    // Extended attributes (security.capability...), but never overlayfs's own.
    static void copy_xattrs(const std::string& host, archive_entry* entry) {
        char names[4096];
        ssize_t length = ::llistxattr(host.c_str(), names, sizeof(names));
        for (ssize_t at = 0; length > 0 && at < length;) {
            std::string name = names + at;
            at += static_cast<ssize_t>(name.size()) + 1;
            if (name.starts_with("trusted.overlay."))
                continue;
            char value[4096];
            ssize_t size = ::lgetxattr(host.c_str(), name.c_str(), value, sizeof(value));
            if (size >= 0)
                archive_entry_xattr_add_entry(entry, name.c_str(), value,
                                              static_cast<size_t>(size));
        }
    }

    Result<void> copy_data(const std::string& host, const std::string& relative) {
        UniqueFd fd(::open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!fd)
            return Error::from_errno("open", host);
        std::vector<char> buffer(1 << 16);
        for (;;) {
            ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0)
                return Error::from_errno("read", host);
            if (got == 0)
                return ok();
            if (archive_write_data(m_writer, buffer.data(), static_cast<size_t>(got)) != got)
                return archive_error(m_writer, "cannot write " + relative, m_out);
        }
    }

    archive* m_writer;
    std::string m_out;
    std::map<std::pair<dev_t, ino_t>, std::string> m_links;
};

}  // namespace

Result<void> pack_layer(const std::string& dir, const std::string& out, Compression compression) {
    ArchiveWriter writer(archive_write_new());
    archive_write_set_format_pax_restricted(writer.get());
    if (compression == Compression::gzip) {
        archive_write_add_filter_gzip(writer.get());
        // No time stamp in the gzip header: the same files give the same blob.
        archive_write_set_filter_option(writer.get(), "gzip", "timestamp", nullptr);
    } else if (compression == Compression::zstd) {
        archive_write_add_filter_zstd(writer.get());
    }
    if (archive_write_open_filename(writer.get(), out.c_str()) != ARCHIVE_OK)
        return archive_error(writer.get(), "cannot create", out);
    Packer packer(writer.get(), out);
    TRY(packer.directory(dir, ""));
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
        return archive_error(writer.get(), "cannot finish", out);
    return ok();
}

}  // namespace twinbox::image
