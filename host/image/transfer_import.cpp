// `twinbox image import`: which kind of archive, and the checks every
// kind shares (blob digests, layer diff ids). OCI layouts and docker save
// archives have their own files; a root file system tarball is done here.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "common/clock.h"
#include "container/sys/in_root.h"
#include "host/image/archive_handle.h"
#include "host/image/digest.h"
#include "host/image/layer_tar.h"
#include "host/image/transfer.h"

namespace twinbox::image {

using container::fd_path;
using container::open_in_root;
using container::open_root;
using container::Symlinks;

namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {

Result<void> check_member_name(const std::string& relative) {
    std::string check = "/" + relative + "/";
    if (relative.empty() || relative[0] == '/' || check.find("/../") != std::string::npos)
        return Error::message(fmt::format("archive path {:.100} leaves the archive", relative));
    return ok();
}

Result<ArchiveMember> open_member(const std::string& dir, const std::string& relative) {
    TRY(check_member_name(relative));
    UniqueFd root = TRY(open_root(dir));
    ArchiveMember member;
    auto opened = open_in_root(root.get(), relative, Symlinks::in_root);
    if (!opened)
        return std::move(opened).error().with_context(
            fmt::format("archive member {:.100}", relative));
    member.fd = std::move(opened.value());
    struct stat status {};
    if (::fstat(member.fd.get(), &status) < 0)
        return Error::from_errno("fstat", relative);
    if (!S_ISREG(status.st_mode))
        return Error::message(fmt::format("archive member {:.100} is not a regular file", relative))
            .with_hint("the archive is corrupt or hostile");
    member.path = fd_path(member.fd.get());
    member.size = status.st_size;
    return member;
}

Result<ArchiveKind> classify_archive(const std::string& path) {
    ArchiveReader reader = TRY(open_archive(path, false));
    std::set<std::string> top;
    archive_entry* entry = nullptr;
    int entries = 0;
    std::string odd_member;  // the first FIFO, device or socket
    for (;;) {
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return archive_error(reader.get(), "not a readable tar archive", path);
        // A damaged header can leave an entry without a name (found by
        // archive_import_fuzz): std::string(nullptr) would abort.
        const char* raw_name = archive_entry_pathname(entry);
        if (raw_name == nullptr)
            return Error::message(fmt::format("{}: an archive entry has no name", path))
                .with_hint("the archive is corrupt");
        std::string name = raw_name;
        while (name.starts_with("./")) name.erase(0, 2);
        top.insert(name);
        ++entries;
        auto type = archive_entry_filetype(entry);
        if (odd_member.empty() && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
            odd_member = name.empty() ? "." : name;
        if (archive_read_data_skip(reader.get()) < ARCHIVE_WARN)
            return archive_error(reader.get(), "truncated or corrupt", path);
    }
    if (entries == 0)
        return Error::message(fmt::format("{}: the archive is empty", path));
    ArchiveKind kind = ArchiveKind::rootfs;
    if (top.contains("oci-layout") && top.contains("index.json"))
        kind = ArchiveKind::oci_layout;
    else if (top.contains("manifest.json"))
        kind = ArchiveKind::docker_save;
    // An image archive holds JSON files and layer tars (and links between
    // them); a FIFO in it would block the import, a device would be read.
    // A root file system tarball is a layer: its FIFOs and devices are content.
    if (kind != ArchiveKind::rootfs && !odd_member.empty())
        return Error::message(
                   fmt::format("{}: archive member {:.100} is not a file, directory or link", path,
                               odd_member))
            .with_hint("an image archive holds only files; the archive is corrupt or hostile");
    return kind;
}

Result<void> extract_archive(const std::string& path, const std::string& dir) {
    return unpack_layer(path, dir).with_context(path);
}

Result<Descriptor> ingest_blob(ImageStore& store, const ArchiveMember& source,
                               const Descriptor& expected, bool may_move) {
    TRY(digest_hex(expected.digest, "blob digest"));
    // Descriptors carry the blob's size (image-spec descriptor.md "size"),
    // checked before reading a byte of it.
    if (source.size != expected.size)
        return Error::message(fmt::format("blob {} is {} bytes, its descriptor says {}",
                                          expected.digest, source.size, expected.size))
            .with_hint("the archive is truncated or altered");
    Descriptor stored = expected;
    if (store.has_blob(expected.digest))
        return stored;
    auto temp = TRY(store.make_temp_dir());
    std::string staged = temp.path() + "/blob";
    // A link of the very file that was checked (linkat through its
    // /proc/self/fd path) when it is already in the store's file system,
    // else a copy; either way a regular file owned by root, 0644.
    if (!may_move ||
        ::linkat(AT_FDCWD, source.path.c_str(), AT_FDCWD, staged.c_str(), AT_SYMLINK_FOLLOW) < 0) {
        std::error_code error;
        fs::copy_file(source.path, staged, error);
        if (error)
            return Error::from_errno("copy", expected.digest, error.value());
    }
    if (::chown(staged.c_str(), 0, 0) < 0 && errno != EPERM)
        return Error::from_errno("chown", staged);
    if (::chmod(staged.c_str(), 0644) < 0)
        return Error::from_errno("chmod", staged);
    Descriptor put = TRY(store.put_blob_file(staged, expected.media_type, expected.digest));
    stored.size = put.size;
    return stored;
}

Result<json> parse_member_json(std::string_view member, std::string_view text) {
    return json_reader::parse(text).with_context(member);
}

Result<void> check_layers(ImageStore& store, const Manifest& manifest, const json& config) {
    // config.md "rootfs": REQUIRED, with the uncompressed digest of each layer.
    std::vector<std::string> diff_ids;
    auto root = member_root(config);
    TRY(json_reader::expect_object(root));
    auto rootfs = root.member("rootfs");
    if (!rootfs)
        return Error::message("image config: rootfs: required");
    TRY(json_reader::expect_object(*rootfs).with_context("image config"));
    TRY(json_reader::read_required(*rootfs, "diff_ids", diff_ids).with_context("image config"));
    if (diff_ids.size() != manifest.layers.size())
        return Error::message(fmt::format("the manifest has {} layers, the config {} diff ids",
                                          manifest.layers.size(), diff_ids.size()));
    for (size_t i = 0; i < diff_ids.size(); ++i) {
        const Descriptor& layer = manifest.layers[i];
        StreamInfo info = TRY(inspect_stream(store.blob_path(layer.digest)));
        if (info.diff_id != diff_ids[i])
            return Error::message(fmt::format("layer {} decompresses to {}, the config says {}",
                                              layer.digest, info.diff_id, diff_ids[i]))
                .with_hint("the archive is corrupt or was altered");
        TRY(store.unpacked_layer(layer));
    }
    return ok();
}

}  // namespace detail

namespace {

Result<std::vector<IndexEntry>> import_rootfs(ImageStore& store, const std::string& path,
                                              const std::string& name) {
    if (name.empty())
        return Error::message(
                   fmt::format("{} is a root file system tarball with no image name", path))
            .with_hint("give one: twinbox image import FILE NAME:TAG");
    Reference reference = TRY(parse_reference(name));
    auto temp = TRY(store.make_temp_dir());
    std::string staged = temp.path() + "/layer";
    StreamInfo info = TRY(inspect_stream(path));
    if (info.compression == Compression::other) {
        // bzip2, xz...: store the plain tar, which every OCI tool reads.
        info = TRY(inspect_stream(path, staged));
        info.compression = Compression::none;
    } else {
        std::error_code error;
        fs::copy_file(path, staged, error);
        if (error)
            return Error::from_errno("copy", path, error.value());
    }
    Descriptor layer = TRY(store.put_blob_file(staged, layer_media_type(info.compression)));
    TRY(store.unpacked_layer(layer).with_context(path));
    json config = {
        {"architecture", host_architecture()},
        {"os", "linux"},
        {"created", rfc3339_utc_seconds()},
        {"config", json::object()},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {info.diff_id}}}},
        {"history",
         {{{"created", rfc3339_utc_seconds()}, {"created_by", "twinbox image import"}}}}};
    Manifest manifest;
    manifest.config = TRY(store.put_blob(config.dump(), media_type::kConfig));
    manifest.layers = {layer};
    Descriptor stored = TRY(store.put_blob(manifest_to_json(manifest), media_type::kManifest));
    TRY(store.tag(reference, stored));
    return std::vector<IndexEntry>{{reference.to_string(), stored}};
}

}  // namespace

Result<std::vector<IndexEntry>> import_image(ImageStore& store, const std::string& path,
                                             const std::string& name) {
    if (!name.empty())
        TRY(parse_reference(name));
    auto writing = TRY(store.lock_for_writing());
    std::error_code error;
    if (fs::is_directory(path, error)) {
        if (!fs::exists(path + "/oci-layout") || !fs::exists(path + "/index.json"))
            return Error::message(
                       fmt::format("{} is a directory but not an OCI image layout", path))
                .with_hint("it needs oci-layout and index.json; pass a tarball to import a root");
        return detail::import_oci_layout(store, path, name, false);
    }
    if (!fs::is_regular_file(path, error))
        return Error::message(fmt::format("{}: no such file", path));
    auto kind = TRY(detail::classify_archive(path));
    if (kind == detail::ArchiveKind::rootfs)
        return import_rootfs(store, path, name);
    auto temp = TRY(store.make_temp_dir());
    TRY(detail::extract_archive(path, temp.path()));
    if (kind == detail::ArchiveKind::oci_layout)
        return detail::import_oci_layout(store, temp.path(), name, true);
    return detail::import_docker_save(store, temp.path(), name);
}

}  // namespace twinbox::image
