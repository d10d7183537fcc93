// twinbox network inspect NAME...: subnet, bridge, members with their
// addresses and published ports, as JSON (docker network inspect).
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/network/network.h"

namespace twinbox::cli {

void register_network_inspect(CLI::App& network, int& exit_code) {
    auto names = std::make_shared<std::vector<std::string>>();
    CLI::App* inspect =
        network.add_subcommand("inspect", "Show a network's members, addresses and ports");
    inspect->add_option("name", *names, "network name")->required();
    inspect->callback([names, &exit_code] {
        nlohmann::json all = nlohmann::json::array();
        exit_code = 0;
        for (const auto& name : *names) {
            auto document = network::inspect_network(name);
            if (!document) {
                exit_code = report(document.error());
                continue;
            }
            all.push_back(*document);
        }
        fmt::print("{}\n", all.dump(4));
    });
}

void register_network(CLI::App& app, int& exit_code) {
    CLI::App* network = app.add_subcommand("network", "Manage networks (bridges with a subnet)");
    network->require_subcommand(1);
    register_network_create(*network, exit_code);
    register_network_ls(*network, exit_code);
    register_network_rm(*network, exit_code);
    register_network_inspect(*network, exit_code);
}

}  // namespace twinbox::cli
