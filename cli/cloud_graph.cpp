// twinbox cloud graph [--vpc-id ID]: each VPC (or the one named) drawn in
// the terminal (cloud/vpc_graph.h).
#include <fmt/core.h>

#include <memory>

#include "cli/cloud_command.h"
#include "cli/commands.h"
#include "cli/ec2_common.h"
#include "cloud/instance_store.h"
#include "cloud/vpc_graph.h"

namespace twinbox::cli {

void register_cloud_graph(CLI::App& app, int& exit_code) {
    CLI::App* cloud = cloud_command(app);
    auto vpc_id = std::make_shared<std::string>();
    CLI::App* graph = cloud->add_subcommand(
        "graph", "Draw VPCs: gateways, subnets, route tables, NAT gateways, instances");
    graph->add_option("--vpc-id", *vpc_id, "Only this VPC");
    graph->callback([vpc_id, &exit_code] {
        exit_code = with_store("Graph", [&](const cloud::StateStore& store) -> Result<int> {
            cloud::VpcState state = TRY(cloud::read_vpc_state(store));
            auto instances = TRY(cloud::read_instances(store));
            bool any = false;
            for (const auto& vpc : std::vector<cloud::VpcRecord>(state.vpcs)) {
                if (!vpc_id->empty() && vpc.vpc_id != *vpc_id)
                    continue;
                fmt::print("{}\n", cloud::render_vpc_graph(state, instances, vpc.vpc_id));
                any = true;
            }
            if (!any && !vpc_id->empty())
                return Error::message("no VPC " + *vpc_id);
            return 0;
        });
    });
}

}  // namespace twinbox::cli
