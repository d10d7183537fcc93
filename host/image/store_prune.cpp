// `twinbox image prune`: mark every blob reachable from the index, the
// images of containers and the build cache, then sweep the rest, with the
// gc lock held exclusively so no import or build is adding blobs meanwhile.
#include <dirent.h>
#include <sys/stat.h>

#include <filesystem>

#include "host/image/digest.h"
#include "host/image/store.h"

namespace twinbox::image {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(dir, error))
        names.push_back(item.path().filename().string());
    return names;
}

}  // namespace

Result<ImageStore::PruneResult> ImageStore::prune(const std::set<std::string>& in_use,
                                                  bool drop_cache) {
    auto gc = TRY(FileLock::acquire(m_root + "/gc.lock", FileLock::Mode::Exclusive));
    PruneResult result;
    // Half-written files of imports and builds that died: nobody is writing now.
    for (const auto& name : names_in(m_root + "/tmp")) {
        std::error_code ignored;
        fs::remove_all(m_root + "/tmp/" + name, ignored);
    }
    std::set<std::string> manifests = in_use;
    for (const auto& entry : TRY(list())) manifests.insert(entry.manifest.digest);
    std::set<std::string> keep_blobs, keep_layers;
    for (const auto& digest : manifests) {
        auto image = load_manifest(digest);
        if (!image)
            continue;  // already gone: nothing of it to keep
        keep_blobs.insert(digest);
        keep_blobs.insert(image->manifest.config.digest);
        for (const auto& layer : image->manifest.layers) {
            keep_blobs.insert(layer.digest);
            keep_layers.insert(layer.digest.substr(7));
        }
    }
    for (const auto& key : names_in(m_root + "/cache")) {
        auto record = cache_lookup(key);
        if (drop_cache || !record) {
            std::error_code ignored;
            if (fs::remove(m_root + "/cache/" + key, ignored))
                ++result.cache_entries;
            continue;
        }
        keep_blobs.insert(record->first.digest);
    }
    for (const auto& hex : names_in(m_root + "/blobs/sha256")) {
        if (keep_blobs.contains("sha256:" + hex))
            continue;
        std::string path = m_root + "/blobs/sha256/" + hex;
        struct stat status {};
        if (::stat(path.c_str(), &status) == 0)
            result.bytes += static_cast<uint64_t>(status.st_size);
        std::error_code ignored;
        if (fs::remove(path, ignored))
            ++result.blobs;
    }
    for (const auto& hex : names_in(m_root + "/layers")) {
        if (keep_layers.contains(hex))
            continue;
        std::error_code ignored;
        if (fs::remove_all(m_root + "/layers/" + hex, ignored) > 0)
            ++result.layers;
    }
    return result;
}

}  // namespace twinbox::image
