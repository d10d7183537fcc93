// twinbox-oci delete: remove a stopped (or, with --force, any) container.
#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

void register_delete(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("delete", "Delete a container");
    command->add_flag("-f,--force", *force, "kill it first if it is running");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([id, force, &exit_code] {
        auto store = state_store();
        // runc: deleting a container that does not exist succeeds with --force.
        if (*force && !store.exists(*id)) {
            exit_code = 0;
            return;
        }
        auto deleted = container::delete_container(store, *id, *force);
        exit_code = deleted ? 0 : fail(deleted.error());
    });
}

}  // namespace twinbox::oci_cli
