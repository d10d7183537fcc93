// twinbox-oci run: create + start, then wait and exit with the container's
// status (or, with --detach, return once it runs).
#include <signal.h>
#include <sys/wait.h>

#include "cli/oci/oci_cli.h"

namespace twinbox::oci_cli {

namespace {
pid_t g_container = 0;
void forward(int signal) {
    if (g_container > 0)
        ::kill(g_container, signal);
}
}  // namespace

void register_run(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<BundleOptions>();
    auto id = std::make_shared<std::string>();
    auto detach = std::make_shared<bool>(false);
    CLI::App* command = app.add_subcommand("run", "Create and start a container, and wait for it");
    add_bundle_options(*command, *options);
    command->add_flag("-d,--detach", *detach, "return once the container runs");
    command->add_option("container-id", *id, "the new container's id")->required();
    command->callback([options, id, detach, &exit_code] {
        auto create = load_bundle(*id, *options);
        if (!create) {
            exit_code = fail(create.error());
            return;
        }
        auto created = container::create_container(*create);
        if (!created) {
            exit_code = fail(created.error());
            return;
        }
        auto store = state_store();
        g_container = created->state.pid;
        for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
            ::signal(signal, forward);
        if (auto started = container::start_container(store, *id); !started) {
            // If the first process died, its own last words are the better message.
            auto last_words = container::wait_for_exec(created->sync.get());
            exit_code = fail(last_words ? started.error() : last_words.error());
            (void)container::delete_container(store, *id, true);
            return;
        }
        if (auto executed = container::wait_for_exec(created->sync.get()); !executed) {
            exit_code = fail(executed.error());
            ::waitpid(created->state.pid, nullptr, 0);
            (void)container::delete_container(store, *id, true);
            return;
        }
        if (*detach) {
            exit_code = 0;
            return;
        }
        int status = 0;
        while (::waitpid(created->state.pid, &status, 0) < 0 && errno == EINTR) {
        }
        exit_code = container::exit_status_of(status);
        if (auto deleted = container::delete_container(store, *id, true); !deleted)
            fail(deleted.error());
    });
}

}  // namespace twinbox::oci_cli
