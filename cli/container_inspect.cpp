// twinbox inspect: a container's state and configuration as JSON (docker
// inspect), with its namespaces, cgroup, mounts and processes while it runs;
// --pretty prints the same as a page of text (container/engine/inspect.h).
// A name that is no container but a running VM shows the VM instead (its
// control socket's "inspect": memory map, devices, vCPU threads, exits).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "container/engine/inspect.h"
#include "vmm/control/client.h"
#include "vmm/control/inspect_text.h"
#include "vmm/control/registry.h"

namespace twinbox::cli {

void register_container_inspect(CLI::App& app, int& exit_code) {
    auto references = std::make_shared<std::vector<std::string>>();
    auto pretty = std::make_shared<bool>(false);
    CLI::App* inspect = app.add_subcommand(
        "inspect", "Show a container's state, namespaces, cgroup, mounts and processes");
    inspect->add_option("container", *references, "container id or name, or a running VM's name")
        ->required();
    inspect->add_flag("--pretty", *pretty, "a readable page instead of JSON");
    inspect->callback([references, pretty, &exit_code] {
        auto store = container_store();
        nlohmann::json all = nlohmann::json::array();
        std::vector<nlohmann::json> vm_replies;
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = container::find_container(store, reference);
            if (found) {
                all.push_back(container::inspect_container(store, *found));
                continue;
            }
            auto registry = VmRegistry::open_default();
            if (!registry.find(reference)) {
                exit_code = report(found.error());
                continue;
            }
            auto reply = control_request(registry.socket_path(reference), "inspect");
            if (!reply) {
                exit_code =
                    report(std::move(reply).error().with_context("inspect VM " + reference));
                continue;
            }
            (*reply)["Kind"] = "vm";
            (*reply)["Name"] = reference;
            vm_replies.push_back(*reply);
        }
        if (*pretty) {
            for (const auto& document : all)
                fmt::print("{}\n", container::render_inspection(document));
            for (const auto& reply : vm_replies) fmt::print("{}\n", format_vm_inspect(reply));
        } else {
            for (auto& reply : vm_replies) all.push_back(reply);
            fmt::print("{}\n", all.dump(4));
        }
    });
}

}  // namespace twinbox::cli
