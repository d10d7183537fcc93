// twinbox-oci create: set the container up; its process waits for `start`
// (runtime.md "create"). Exits as soon as the container is "created".
#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

void register_create(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<BundleOptions>();
    auto id = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand("create", "Create a container from a bundle");
    add_bundle_options(*command, *options);
    command->add_option("container-id", *id, "the new container's id")->required();
    command->callback([options, id, &exit_code] {
        auto create = load_bundle(*id, *options);
        if (!create) {
            exit_code = fail(create.error());
            return;
        }
        auto created = container::create_container(*create);
        exit_code = created ? 0 : fail(created.error());
    });
}

}  // namespace twinbox::oci_cli
