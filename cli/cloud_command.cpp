#include "cli/cloud_command.h"

namespace twinbox::cli {

CLI::App* cloud_command(CLI::App& app) {
    auto found =
        app.get_subcommands([](CLI::App* command) { return command->get_name() == "cloud"; });
    if (!found.empty())
        return found.front();
    CLI::App* cloud = app.add_subcommand("cloud", "The cloud's services (docs/cloud.md)");
    cloud->require_subcommand(1);
    return cloud;
}

}  // namespace twinbox::cli
