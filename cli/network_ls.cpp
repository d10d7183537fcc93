// twinbox network ls: the networks, their subnets and bridges (docker network ls).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/network/network.h"

namespace twinbox::cli {

void register_network_ls(CLI::App& network, int& exit_code) {
    CLI::App* list = network.add_subcommand("ls", "List networks");
    list->alias("list");
    list->callback([&exit_code] {
        auto networks = network::list_networks();
        if (!networks) {
            exit_code = report(networks.error());
            return;
        }
        fmt::print("{:<14}{:<20}{:<16}{}\n", "NAME", "SUBNET", "GATEWAY", "BRIDGE");
        for (const auto& entry : *networks)
            fmt::print("{:<14}{:<20}{:<16}{}\n", entry.name, entry.subnet.to_string(),
                       entry.subnet.gateway().to_string(), entry.bridge);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
