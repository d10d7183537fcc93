// twinbox vm inspect NAME: a running VM's memory map, devices, virtio slots,
// vCPU threads and exit counts, from its control socket ({"cmd":"inspect"}).
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "common/log.h"
#include "vmm/control/client.h"
#include "vmm/control/inspect_text.h"
#include "vmm/control/registry.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {

namespace {

Result<nlohmann::json> inspect(const std::string& name) {
    auto registry = VmRegistry::open_default();
    TRY(registry.find(name));
    return control_request(registry.socket_path(name), "inspect")
        .with_context(fmt::format("inspect VM {}", name));
}

}  // namespace

void register_vm_inspect(CLI::App& vm, int& exit_code) {
    auto name = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    CLI::App* command = vm.add_subcommand(
        "inspect", "Show a running VM's memory map, devices, vCPU threads and exit counts");
    command->add_option("name", *name, "the VM's name (see 'twinbox vm ls')")->required();
    command->add_flag("--json", *as_json, "print the control socket's JSON reply");
    command->callback([name, as_json, &exit_code] {
        auto reply = inspect(*name);
        if (!reply) {
            exit_code = report(reply.error());
            return;
        }
        if (*as_json)
            fmt::print("{}\n", reply->dump(2));
        else
            fmt::print("{}", format_vm_inspect(*reply));
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
