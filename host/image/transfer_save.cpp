// `twinbox image save`: an OCI image layout as a tar (image-layout.md),
// plus Docker's manifest.json pointing at the same blobs, written to a
// temporary file and renamed, so a failed save leaves no partial archive.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "common/unique_fd.h"
#include "host/image/archive_handle.h"
#include "host/image/transfer.h"

namespace twinbox::image {

using nlohmann::json;

namespace {

Result<void> add_bytes(archive* writer, const std::string& name, const std::string& bytes,
                       const std::string& out) {
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
    if (archive_write_header(writer, entry.get()) < ARCHIVE_WARN ||
        archive_write_data(writer, bytes.data(), bytes.size()) < 0)
        return archive_error(writer, "cannot write " + name, out);
    return ok();
}

Result<void> add_file(archive* writer, const std::string& name, const std::string& path,
                      const std::string& out) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat status {};
    if (!fd || ::fstat(fd.get(), &status) < 0)
        return Error::from_errno("open", path);
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), status.st_size);
    if (archive_write_header(writer, entry.get()) < ARCHIVE_WARN)
        return archive_error(writer, "cannot write " + name, out);
    std::vector<char> buffer(1 << 16);
    ssize_t got;
    while ((got = ::read(fd.get(), buffer.data(), buffer.size())) > 0)
        if (archive_write_data(writer, buffer.data(), static_cast<size_t>(got)) != got)
            return archive_error(writer, "cannot write " + name, out);
    if (got < 0)
        return Error::from_errno("read", path);
    return ok();
}

Result<void> write_archive(ImageStore& store, const std::vector<Image>& images,
                           const std::string& out) {
    ArchiveWriter writer(archive_write_new());
    archive_write_set_format_pax_restricted(writer.get());
    if (archive_write_open_filename(writer.get(), out.c_str()) != ARCHIVE_OK)
        return archive_error(writer.get(), "cannot create", out);
    TRY(add_bytes(writer.get(), "oci-layout", R"({"imageLayoutVersion":"1.0.0"})", out));
    json manifests = json::array(), docker = json::array();
    std::set<std::string> written;
    for (const auto& image : images) {
        Descriptor manifest{media_type::kManifest, image.manifest_digest,
                            image.manifest_size,   {},
                            host_architecture(),   "linux"};
        manifest.annotations["io.containerd.image.name"] = image.reference;
        manifest.annotations["org.opencontainers.image.ref.name"] =
            image.reference.substr(image.reference.rfind(':') + 1);
        manifests.push_back(to_json(manifest));
        std::vector<std::string> blobs = {image.manifest_digest, image.manifest.config.digest};
        json layers = json::array();
        for (const auto& layer : image.manifest.layers) {
            blobs.push_back(layer.digest);
            layers.push_back("blobs/sha256/" + layer.digest.substr(7));
        }
        docker.push_back({{"Config", "blobs/sha256/" + image.manifest.config.digest.substr(7)},
                          {"RepoTags", {image.reference}},
                          {"Layers", layers}});
        for (const auto& digest : blobs)
            if (written.insert(digest).second)
                TRY(add_file(writer.get(), "blobs/sha256/" + digest.substr(7),
                             store.blob_path(digest), out));
    }
    json index = {
        {"schemaVersion", 2}, {"mediaType", media_type::kIndex}, {"manifests", manifests}};
    TRY(add_bytes(writer.get(), "index.json", index.dump(), out));
    TRY(add_bytes(writer.get(), "manifest.json", docker.dump(), out));
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
        return archive_error(writer.get(), "cannot finish", out);
    return ok();
}

}  // namespace

Result<void> save_images(ImageStore& store, const std::vector<std::string>& references,
                         const std::string& out) {
    std::vector<Image> images;
    for (const auto& reference : references) {
        Image image = TRY(store.load(reference));
        if (image.reference.empty())
            image.reference = TRY(parse_reference(reference)).to_string();
        images.push_back(std::move(image));
    }
    std::string temp = out + ".tmp." + std::to_string(::getpid());
    auto written = write_archive(store, images, temp);
    if (!written || ::rename(temp.c_str(), out.c_str()) < 0) {
        Error error = written ? Error::from_errno("rename", out) : std::move(written).error();
        ::unlink(temp.c_str());
        return error;
    }
    return ok();
}

}  // namespace twinbox::image
