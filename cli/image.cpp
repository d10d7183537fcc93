// twinbox image import|save|rm|inspect|prune (docker image ...).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/image/image_usage.h"
#include "host/image/store.h"
#include "host/image/transfer.h"

namespace twinbox::cli {

namespace {

using namespace image;

struct ImageArgs {
    std::string file, name, output;
    std::vector<std::string> references;
    bool force = false, build_cache = false;
};

// Opens the store and runs `body`; any error is one line and 125.
template <typename Body>
int with_store(Body body) {
    auto store = ImageStore::open();
    if (!store)
        return report(store.error());
    auto done = body(*store);
    if (!done)
        return report(done.error());
    return 0;
}

void add_import(CLI::App& image, int& exit_code, std::shared_ptr<ImageArgs> args) {
    CLI::App* command = image.add_subcommand(
        "import", "Import a root file system tarball, a docker save archive or an OCI layout");
    command->add_option("FILE", args->file, "tarball (plain, gzip, zstd...) or OCI layout dir")
        ->required();
    command->add_option("NAME", args->name, "NAME[:TAG] (required for a root file system)");
    command->callback([args, &exit_code] {
        exit_code = with_store([&](ImageStore& store) -> Result<void> {
            for (const auto& entry : TRY(import_image(store, args->file, args->name)))
                fmt::print("Loaded image: {} ({})\n", entry.reference, entry.manifest.digest);
            return ok();
        });
    });
}

void add_save(CLI::App& image, int& exit_code, std::shared_ptr<ImageArgs> args) {
    CLI::App* command = image.add_subcommand("save", "Write images to an OCI archive (tar)");
    command->add_option("-o,--output", args->output, "the archive to write")->required();
    command->add_option("IMAGE", args->references, "NAME[:TAG] ...")->required();
    command->callback([args, &exit_code] {
        exit_code = with_store(
            [&](ImageStore& store) { return save_images(store, args->references, args->output); });
    });
}

void add_rm(CLI::App& image, int& exit_code, std::shared_ptr<ImageArgs> args) {
    CLI::App* command = image.add_subcommand("rm", "Remove images (not ones containers use)");
    command->add_option("IMAGE", args->references, "NAME[:TAG] or image id")->required();
    command->add_flag("-f,--force", args->force, "remove even if a container uses it");
    command->callback([args, &exit_code] {
        exit_code = with_store([&](ImageStore& store) -> Result<void> {
            for (const auto& reference : args->references)
                for (const auto& line : TRY(remove_image(store, reference, args->force)))
                    fmt::print("{}\n", line);
            return ok();
        });
    });
}

void add_inspect(CLI::App& image, int& exit_code, std::shared_ptr<ImageArgs> args) {
    CLI::App* command = image.add_subcommand("inspect", "Show an image's manifest and config");
    command->add_option("IMAGE", args->references, "NAME[:TAG] or image id")->required();
    command->callback([args, &exit_code] {
        exit_code = with_store([&](ImageStore& store) -> Result<void> {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& reference : args->references) {
                Image image = TRY(store.load(reference));
                // Read strictly by the store already; only whole sections are copied here.
                auto config = nlohmann::json::parse(image.config_text, nullptr, false);
                auto section = [&](const char* key, nlohmann::json fallback) {
                    auto found = config.is_object() ? config.find(key) : config.end();
                    return found != config.end() ? *found : fallback;
                };
                nlohmann::json layers = nlohmann::json::array();
                for (const auto& layer : image.manifest.layers) layers.push_back(to_json(layer));
                out.push_back({{"Id", image.manifest_digest},
                               {"RepoTags", image.reference.empty()
                                                ? nlohmann::json::array()
                                                : nlohmann::json::array({image.reference})},
                               {"Created", image.created},
                               {"Architecture", image.architecture},
                               {"Os", image.os},
                               {"Config", section("config", nlohmann::json::object())},
                               {"RootFS", section("rootfs", nlohmann::json::object())},
                               {"ConfigDigest", image.manifest.config.digest},
                               {"Layers", layers},
                               {"History", section("history", nlohmann::json::array())}});
            }
            fmt::print("{}\n", out.dump(4));
            return ok();
        });
    });
}

void add_prune(CLI::App& image, int& exit_code, std::shared_ptr<ImageArgs> args) {
    CLI::App* command = image.add_subcommand("prune", "Delete blobs and layers no image needs");
    command->add_flag("--build-cache", args->build_cache, "drop the build cache first");
    command->callback([args, &exit_code] {
        exit_code = with_store([&](ImageStore& store) -> Result<void> {
            auto result = TRY(store.prune(images_in_use(), args->build_cache));
            fmt::print(
                "Deleted {} blobs, {} unpacked layers, {} cache records; reclaimed {} bytes\n",
                result.blobs, result.layers, result.cache_entries, result.bytes);
            return ok();
        });
    });
}

}  // namespace

void register_image(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<ImageArgs>();
    CLI::App* image =
        app.add_subcommand("image", "Manage images (import, save, rm, inspect, prune)");
    image->require_subcommand(1);
    add_import(*image, exit_code, args);
    add_save(*image, exit_code, args);
    add_rm(*image, exit_code, args);
    add_inspect(*image, exit_code, args);
    add_prune(*image, exit_code, args);
}

}  // namespace twinbox::cli
