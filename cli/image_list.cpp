// twinbox images: the store's images (docker images).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/image/store.h"

namespace twinbox::cli {

namespace {

std::string human_size(int64_t bytes) {
    if (bytes >= (1 << 20))
        return fmt::format("{:.1f}MB", static_cast<double>(bytes) / 1e6);
    return fmt::format("{:.1f}kB", static_cast<double>(bytes) / 1e3);
}

}  // namespace

void register_image_list(CLI::App& app, int& exit_code) {
    auto quiet = std::make_shared<bool>(false);
    CLI::App* images = app.add_subcommand("images", "List images");
    images->add_flag("-q,--quiet", *quiet, "print only image ids");
    images->callback([quiet, &exit_code] {
        using namespace image;
        auto store = ImageStore::open();
        if (!store) {
            exit_code = report(store.error());
            return;
        }
        auto entries = store->list();
        if (!entries) {
            exit_code = report(entries.error());
            return;
        }
        std::vector<std::vector<std::string>> rows;
        rows.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
        for (const auto& entry : *entries) {
            std::string id = entry.manifest.digest.substr(7, 12);
            if (*quiet) {
                fmt::print("{}\n", id);
                continue;
            }
            auto colon = entry.reference.rfind(':');
            std::string repository = entry.reference.substr(0, colon);
            std::string tag = entry.reference.substr(colon + 1);
            auto image = store->load_manifest(entry.manifest.digest);
            if (!image) {
                rows.push_back({repository, tag, id, "", "damaged: " + image.error().to_string()});
                continue;
            }
            int64_t size = image->manifest.config.size;
            for (const auto& layer : image->manifest.layers) size += layer.size;
            const std::string& created = image->created;
            rows.push_back({repository, tag, id, created.substr(0, 19), human_size(size)});
        }
        if (!*quiet)
            print_table(rows);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
