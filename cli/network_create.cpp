// twinbox network create NAME [--subnet CIDR]: a bridge network (docker network create).
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "host/network/network.h"

namespace twinbox::cli {

void register_network_create(CLI::App& network, int& exit_code) {
    struct Options {
        std::string name, subnet;
    };
    auto options = std::make_shared<Options>();
    CLI::App* create = network.add_subcommand("create", "Create a bridge network with a subnet");
    create->add_option("name", options->name, "network name (1-12 characters)")->required();
    create->add_option("--subnet", options->subnet,
                       "IPv4 subnet in CIDR form, e.g. 10.90.0.0/24 (default: a free /24)");
    create->callback([options, &exit_code] {
        auto created = network::create_network(options->name, options->subnet);
        if (!created) {
            exit_code = report(created.error());
            return;
        }
        fmt::print("{}\n", created->name);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
