// twinbox-oci start: run the program of a created container (runtime.md "start").
#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

void register_start(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("start", "Start a created container");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([id, &exit_code] {
        auto started = container::start_container(state_store(), *id);
        exit_code = started ? 0 : fail(started.error());
    });
}

}  // namespace twinbox::oci_cli
