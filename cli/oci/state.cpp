// twinbox-oci state: the container's state as JSON (runtime.md "State").
#include <fmt/core.h>

#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

void register_state(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("state", "Print a container's state as JSON");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([id, &exit_code] {
        auto store = state_store();
        auto state = store.load(*id);
        if (!state) {
            exit_code = fail(state.error());
            return;
        }
        fmt::print("{}\n", container::state_json(*state, store.status(*state)));
        exit_code = 0;
    });
}

}  // namespace twinbox::oci_cli
