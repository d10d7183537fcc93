// twinbox cloud imds: the instance metadata service (cloud/imds/imds.h).
//   twinbox cloud imds                serve in the foreground on
//                                     169.254.169.254:80 until SIGTERM
//   twinbox cloud imds --start [--network N]
//                                     make sure it runs as a daemon, reachable
//                                     from network N (default: bridge)
//   twinbox cloud imds --stop         stop it when no instance needs it
//   twinbox cloud imds --stop --force stop it anyway
//   twinbox cloud imds --status       its pid, bridges and log
// Hidden from --help: run-instances and terminate-instances start and stop
// it; this is for the daemon itself, for tests and by hand.
#include <fmt/core.h>

#include "cli/cloud_command.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cloud/imds/imds.h"
#include "cloud/imds/imds_server.h"
#include "common/log.h"

namespace twinbox::cli {

namespace {

struct ImdsOptions {
    bool start = false;
    std::string network = "bridge";
    bool stop = false;
    bool force = false;
    bool status = false;
    std::string listen = fmt::format("{}:{}", cloud::kImdsAddress, cloud::kImdsPort);
    int ready_fd = -1;
};

Result<cloud::ImdsServeOptions> parse_listen(const ImdsOptions& options) {
    size_t colon = options.listen.rfind(':');
    cloud::ImdsServeOptions serve;
    serve.ready_fd = options.ready_fd;
    if (colon == std::string::npos)
        return Error::message(fmt::format("--listen {}: expected ADDRESS:PORT", options.listen));
    serve.address = options.listen.substr(0, colon);
    char* end = nullptr;
    long port = std::strtol(options.listen.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return Error::message(fmt::format("--listen {}: bad port", options.listen));
    serve.port = static_cast<int>(port);
    return serve;
}

Result<int> run_imds(const ImdsOptions& options) {
    if (options.status) {
        auto status = TRY(cloud::imds_status());
        std::string bridges;
        for (const auto& bridge : status.bridges) bridges += (bridges.empty() ? "" : ",") + bridge;
        fmt::print("pid: {}\nbridges: {}\nlog: {}\n",
                   status.pid ? std::to_string(*status.pid) : "none",
                   bridges.empty() ? "none" : bridges, status.log_path);
        return 0;
    }
    if (options.start) {
        TRY(cloud::ensure_imds_running(options.network));
        return 0;
    }
    if (options.stop) {
        TRY(options.force ? cloud::stop_imds() : cloud::stop_imds_if_idle());
        return 0;
    }
    // The server's log (imds.log when a daemon) says when it starts and stops.
    if (!log::enabled(log::Level::info))
        log::set_level(log::Level::info);
    TRY(cloud::serve_imds(TRY(parse_listen(options))));
    return 0;
}

}  // namespace

void register_cloud_imds(CLI::App& app, int& exit_code) {
    CLI::App* cloud = cloud_command(app);
    auto options = std::make_shared<ImdsOptions>();
    CLI::App* imds =
        cloud->add_subcommand("imds", "The instance metadata service (169.254.169.254)");
    imds->group("");  // hidden: started and stopped by the instances verbs
    imds->add_flag("--start", options->start, "Start it as a daemon unless it runs");
    imds->add_option("--network", options->network, "With --start: the network to reach it from");
    imds->add_flag("--stop", options->stop, "Stop the service when no instance needs it");
    imds->add_flag("--force", options->force, "With --stop: stop it even if instances run");
    imds->add_flag("--status", options->status, "Print its pid, bridges and log");
    imds->add_option("--listen", options->listen, "ADDRESS:PORT to serve on (never 0.0.0.0)");
    imds->add_option("--ready-fd", options->ready_fd, "Descriptor to report readiness on")
        ->group("");
    imds->callback([options, &exit_code] { exit_code = report_or_status(run_imds(*options)); });
}

}  // namespace twinbox::cli
