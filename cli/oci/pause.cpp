// twinbox-oci pause / resume: freeze and thaw every process of a container
// (the freezer cgroup: v1 freezer.state, v2 cgroup.freeze).
#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

void register_pause(CLI::App& app, int& exit_code) {
    for (bool pause : {true, false}) {
        auto id = std::make_shared<std::string>();
        CLI::App* command = app.add_subcommand(
            pause ? "pause" : "resume",
            pause ? "Freeze every process of a container" : "Thaw a paused container");
        command->add_option("container-id", *id, "container id")->required();
        command->callback([id, pause, &exit_code] {
            auto done = container::pause_container(state_store(), *id, pause);
            exit_code = done ? 0 : fail(done.error());
        });
    }
}

}  // namespace twinbox::oci_cli
