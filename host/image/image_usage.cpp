// image rm and the in-use set (image_usage.h).
#include "host/image/image_usage.h"

#include <fmt/core.h>

#include "container/engine/engine.h"

namespace twinbox::image {

using container::describe_status;
using container::engine_paths;
using container::list_containers;
using container::StateStore;

std::set<std::string> images_in_use() {
    StateStore states(engine_paths().state_root);
    std::set<std::string> used;
    for (const auto& view : list_containers(states)) {
        auto image = view.state.annotations.find("org.twinbox.image");
        if (image != view.state.annotations.end())
            used.insert(image->second);
    }
    return used;
}

Result<std::vector<std::string>> remove_image(ImageStore& store, const std::string& reference,
                                              bool force) {
    Image image = TRY(store.load(reference));
    if (!force) {
        StateStore states(engine_paths().state_root);
        for (const auto& view : list_containers(states)) {
            auto used = view.state.annotations.find("org.twinbox.image");
            if (used != view.state.annotations.end() && used->second == image.manifest_digest)
                return Error::message(fmt::format("image {} is used by container {} ({})",
                                                  reference, view.state.name,
                                                  describe_status(view)))
                    .with_hint("remove the container first ('twinbox rm'), or use -f");
        }
    }
    std::vector<std::string> lines;
    if (image.reference.empty()) {
        // By id: remove every name of it.
        for (const auto& entry : TRY(store.list()))
            if (entry.manifest.digest == image.manifest_digest) {
                TRY(store.untag(TRY(parse_reference(entry.reference))));
                lines.push_back("Untagged: " + entry.reference);
            }
    } else {
        TRY(store.untag(TRY(parse_reference(image.reference))));
        lines.push_back("Untagged: " + image.reference);
    }
    auto pruned = TRY(store.prune(images_in_use(), false));
    if (pruned.blobs > 0)
        lines.push_back(fmt::format("Deleted: {} ({} blobs, {} unpacked layers)",
                                    image.manifest_digest, pruned.blobs, pruned.layers));
    return lines;
}

}  // namespace twinbox::image
