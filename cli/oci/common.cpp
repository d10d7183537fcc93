// Global options, error reporting and bundle loading shared by the twinbox-oci commands.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/oci/oci_cli.h"
#include "cli/report.h"
#include "common/file.h"
#include "common/log.h"

namespace twinbox::oci_cli {

GlobalOptions& globals() {
    static GlobalOptions options;
    return options;
}

container::StateStore state_store() {
    return container::StateStore(globals().root);
}

int fail(const Error& error) {
    std::string text = error.to_string();
    (void)cli::report(error);  // runc's status for its own failures is 1, not the error's
    const auto& options = globals();
    if (!options.log.empty()) {
        std::string line = options.log_format == "json"
                               ? nlohmann::json{{"level", "error"},
                                                {"msg", text},
                                                {"time", container::rfc3339_now()}}
                                         .dump() +
                                     "\n"
                               : fmt::format("time=\"{}\" level=error msg=\"{}\"\n",
                                             container::rfc3339_now(), text);
        int fd = ::open(options.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            (void)!::write(fd, line.data(), line.size());
            ::close(fd);
        }
    }
    return 1;
}

void add_bundle_options(CLI::App& command, BundleOptions& options) {
    command.add_option("-b,--bundle", options.bundle,
                       "bundle directory holding config.json (default: .)");
    command.add_option("--pid-file", options.pid_file, "write the container's PID to this file");
    command.add_option("--console-socket", options.console_socket,
                       "AF_UNIX socket that receives the pty master (process.terminal)");
    command.add_flag("--no-pivot", options.no_pivot, "accepted; twinbox falls back by itself");
    command.add_flag("--no-new-keyring", options.no_new_keyring,
                     "accepted (twinbox never makes a keyring)");
    command.add_option("--preserve-fds", options.preserve_fds, "accepted; only 0 is supported");
}

Result<container::CreateOptions> load_bundle(const std::string& id, const BundleOptions& options) {
    if (globals().systemd_cgroup)
        return Error::message(
                   "--systemd-cgroup is not supported: twinbox manages cgroupfs directly")
            .with_hint("configure containerd's runc options with SystemdCgroup = false");
    if (options.preserve_fds != 0)
        return Error::message("--preserve-fds is not supported by twinbox-oci");
    TRY(container::validate_container_id(id));
    std::error_code error;
    std::string bundle =
        std::filesystem::absolute(options.bundle, error).lexically_normal().string();
    if (bundle.size() > 1 && bundle.back() == '/')
        bundle.pop_back();
    auto bytes = TRY(read_whole_file(bundle + "/config.json", "config.json", 16 << 20)
                         .with_context(fmt::format("bundle {}", bundle)));
    container::CreateOptions create;
    create.spec = TRY(oci::parse_spec(std::string(bytes.begin(), bytes.end()))
                          .with_context(bundle + "/config.json"));
    create.id = id;
    create.bundle = bundle;
    std::string root = create.spec.root.path;
    create.rootfs = std::filesystem::path(root).is_absolute() ? root : bundle + "/" + root;
    create.rootfs = std::filesystem::path(create.rootfs).lexically_normal().string();
    if (create.rootfs.size() > 1 && create.rootfs.back() == '/')
        create.rootfs.pop_back();
    create.state_root = globals().root;
    create.pid_file =
        options.pid_file.empty() ? "" : std::filesystem::absolute(options.pid_file, error).string();
    create.console_socket = options.console_socket;
    return create;
}

}  // namespace twinbox::oci_cli
