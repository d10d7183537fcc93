// twinbox-oci spec: write a default config.json (runc spec).
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/oci/oci_cli.h"
#include "common/file.h"

namespace twinbox::oci_cli {

void register_spec(CLI::App& app, int& exit_code) {
    auto bundle = std::make_shared<std::string>(".");
    auto rootless = std::make_shared<bool>(false);
    CLI::App* command =
        app.add_subcommand("spec", "Write a default config.json into the bundle directory");
    command->add_option("-b,--bundle", *bundle, "directory to write config.json into (default: .)");
    command->add_flag("--rootless", *rootless, "not supported");
    command->callback([bundle, rootless, &exit_code] {
        if (*rootless) {
            exit_code = fail(Error::message("--rootless is not supported by twinbox-oci"));
            return;
        }
        std::string path = *bundle + "/config.json";
        if (::access(path.c_str(), F_OK) == 0) {
            exit_code = fail(Error::message(fmt::format("{} exists; remove it first", path)));
            return;
        }
        std::string text = oci::to_json(oci::default_spec()) + "\n";
        auto written = write_whole_file(path, text.data(), text.size());
        exit_code = written ? 0 : fail(written.error());
    });
}

}  // namespace twinbox::oci_cli
