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
#include "workload/backend.h"

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
        nlohmann::json all = nlohmann::json::array();
        std::vector<nlohmann::json> vm_replies, vm_documents;
        exit_code = 0;
        for (const auto& reference : *references) {
            auto found = workload::find_workload(reference);
            auto document = found ? found->backend->inspect(found->info)
                                  : Result<nlohmann::json>(found.error());
            if (!document) {
                exit_code = report(document.error());
                continue;
            }
            if (found->info.isolation == workload::Isolation::container) {
                all.push_back(std::move(*document));
            } else if (found->info.id.empty()) {
                // A VM of `vm run` or a foreground run: the VMM's own view.
                nlohmann::json reply = document->value("Vm", nlohmann::json::object());
                reply["Kind"] = "vm";
                reply["Name"] = reference;
                vm_replies.push_back(reply);
            } else {
                vm_documents.push_back(std::move(*document));
            }
        }
        if (*pretty) {
            for (const auto& document : all)
                fmt::print("{}\n", container::render_inspection(document));
            for (const auto& reply : vm_replies) fmt::print("{}\n", format_vm_inspect(reply));
            for (const auto& document : vm_documents) {
                fmt::print("{}\n", document.dump(4));
                if (document.contains("Vm"))
                    fmt::print("{}\n", format_vm_inspect(document["Vm"]));
            }
        } else {
            for (auto& reply : vm_replies) all.push_back(reply);
            for (auto& document : vm_documents) all.push_back(document);
            fmt::print("{}\n", all.dump(4));
        }
    });
}

}  // namespace twinbox::cli
