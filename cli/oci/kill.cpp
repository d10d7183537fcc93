// twinbox-oci kill: send a signal (name or number; default SIGTERM) to the
// container's process, or with --all to every process in its cgroup.
#include "cli/oci/oci_cli.h"
#include "container/runtime/signals.h"

namespace twinbox::oci_cli {

void register_kill(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    auto signal_text = std::make_shared<std::string>("SIGTERM");
    auto all = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("kill", "Send a signal to a container");
    command->add_flag("-a,--all", *all, "signal every process of the container");
    command->add_option("container-id", *id, "container id")->required();
    command->add_option("signal", *signal_text, "signal name or number (default SIGTERM)");
    command->callback([id, signal_text, all, &exit_code] {
        auto signal = container::parse_signal(*signal_text);
        if (!signal) {
            exit_code = fail(signal.error());
            return;
        }
        auto killed = container::kill_container(state_store(), *id, *signal, *all);
        exit_code = killed ? 0 : fail(killed.error());
    });
}

}  // namespace twinbox::oci_cli
