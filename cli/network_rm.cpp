// twinbox network rm NAME...: a network without members, its bridge and rules.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/network/network.h"

namespace twinbox::cli {

void register_network_rm(CLI::App& network, int& exit_code) {
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* remove = network.add_subcommand("rm", "Remove networks that have no members");
    remove->alias("remove");
    remove->add_option("name", *names, "network name")->required();
    remove->callback([names, &exit_code] {
        exit_code = 0;
        for (const auto& name : *names) {
            if (auto removed = network::remove_network(name); !removed)
                exit_code = report(removed.error());
            else
                fmt::print("{}\n", name);
        }
    });
}

}  // namespace twinbox::cli
