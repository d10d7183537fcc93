// twinbox ec2 stop-instances | start-instances | reboot-instances |
// terminate-instances | get-console-output (cloud/instances.h).
#include <fmt/core.h>

#include <memory>

#include "cli/ec2_common.h"
#include "cloud/instances.h"

namespace twinbox::cli {
namespace {

struct StateArgs {
    std::vector<std::string> ids;
    bool force = false;
    Ec2Output output;
};

using StateVerb = Result<nlohmann::json> (*)(const cloud::StateStore&,
                                             const std::vector<std::string>&, const StateArgs&);

// One of the verbs that print {"<Key>": [InstanceStateChange...]}.
void register_state_verb(CLI::App& ec2, int& exit_code, const char* name, const char* operation,
                         const char* key, const char* help, StateVerb run, bool has_force) {
    auto args = std::make_shared<StateArgs>();
    CLI::App* verb = ec2.add_subcommand(name, help);
    verb->add_option("--instance-ids", args->ids, "Instance ids (i-...)")->required();
    if (has_force)
        verb->add_flag("--force", args->force, "No graceful shutdown: stop at once");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code, operation, key, run] {
        exit_code = with_store(operation, [&](const cloud::StateStore& store) -> Result<int> {
            auto changes = TRY(run(store, args->ids, *args));
            return print_result({{key, changes}}, args->output);
        });
    });
}

void register_reboot(CLI::App& ec2, int& exit_code) {
    auto ids = std::make_shared<std::vector<std::string>>();
    CLI::App* verb = ec2.add_subcommand(
        "reboot-instances", "Reboot instances (their workload stopped and started, disk kept)");
    verb->add_option("--instance-ids", *ids, "Instance ids (i-...)")->required();
    verb->callback([ids, &exit_code] {
        exit_code =
            with_store("RebootInstances", [&](const cloud::StateStore& store) -> Result<int> {
                TRY(cloud::reboot_instances(store, *ids));
                return 0;
            });
    });
}

struct ConsoleArgs {
    std::string id;
    bool latest = false;
    Ec2Output output;
};

void register_console(CLI::App& ec2, int& exit_code) {
    auto args = std::make_shared<ConsoleArgs>();
    CLI::App* verb = ec2.add_subcommand(
        "get-console-output",
        "The instance's console: a VM's serial console, a container's stdout and stderr");
    verb->add_option("--instance-id", args->id, "The instance (i-...)")->required();
    verb->add_flag("--latest", args->latest, "The most recent output (always given here)");
    add_output_flags(*verb, args->output);
    verb->callback([args, &exit_code] {
        exit_code =
            with_store("GetConsoleOutput", [&](const cloud::StateStore& store) -> Result<int> {
                auto console = TRY(cloud::get_console_output(store, args->id));
                // EC2 sends the output base64-encoded; the AWS CLI prints it decoded.
                return print_result({{"InstanceId", console.instance_id},
                                     {"Timestamp", console.timestamp},
                                     {"Output", console.output}},
                                    args->output);
            });
    });
}

}  // namespace

void register_ec2_instance_states(CLI::App& ec2, int& exit_code) {
    register_state_verb(
        ec2, exit_code, "stop-instances", "StopInstances", "StoppingInstances",
        "Stop instances (shut down, root volume kept)",
        [](const cloud::StateStore& store, const std::vector<std::string>& ids,
           const StateArgs& args) { return cloud::stop_instances(store, ids, args.force); },
        true);
    register_state_verb(
        ec2, exit_code, "start-instances", "StartInstances", "StartingInstances",
        "Start stopped instances again",
        [](const cloud::StateStore& store, const std::vector<std::string>& ids, const StateArgs&) {
            return cloud::start_instances(store, ids);
        },
        false);
    register_state_verb(
        ec2, exit_code, "terminate-instances", "TerminateInstances", "TerminatingInstances",
        "Terminate instances: the workload and all it holds are removed",
        [](const cloud::StateStore& store, const std::vector<std::string>& ids, const StateArgs&) {
            return cloud::terminate_instances(store, ids);
        },
        false);
    register_reboot(ec2, exit_code);
    register_console(ec2, exit_code);
}

}  // namespace twinbox::cli
