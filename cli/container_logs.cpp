// twinbox logs: the output of a detached container or VM (docker logs).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "workload/backend.h"

namespace twinbox::cli {

void register_container_logs(CLI::App& app, int& exit_code) {
    auto reference = std::make_shared<std::string>();
    auto follow = std::make_shared<bool>(false);
    CLI::App* logs =
        app.add_subcommand("logs", "Show the output of a container or VM started with -d");
    logs->add_flag("-f,--follow", *follow, "keep printing new output until the container stops");
    logs->add_option("container", *reference, "container id or name")->required();
    logs->callback([reference, follow, &exit_code] {
        auto found = workload::find_workload(*reference);
        auto log_path =
            found ? found->backend->log_path(found->info) : Result<std::string>(found.error());
        if (!log_path) {
            exit_code = report(log_path.error());
            return;
        }
        const std::string& path = *log_path;
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            exit_code = report(Error::from_errno("open", path)
                                   .with_hint("only containers and VMs run with -d have logs"));
            return;
        }
        char buffer[65536];
        for (;;) {
            ssize_t got = ::read(fd, buffer, sizeof(buffer));
            if (got > 0) {
                if (::write(STDOUT_FILENO, buffer, static_cast<size_t>(got)) < 0)
                    break;
                continue;
            }
            if (!*follow)
                break;
            auto now = found->backend->find(found->info.id);
            if (!now || !now->running)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::close(fd);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
