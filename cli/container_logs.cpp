// twinbox logs: the output of a detached container (docker logs).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/container_common.h"

namespace twinbox::cli {

void register_container_logs(CLI::App& app, int& exit_code) {
    auto reference = std::make_shared<std::string>();
    auto follow = std::make_shared<bool>(false);
    CLI::App* logs = app.add_subcommand("logs", "Show the output of a container started with -d");
    logs->add_flag("-f,--follow", *follow, "keep printing new output until the container stops");
    logs->add_option("container", *reference, "container id or name")->required();
    logs->callback([reference, follow, &exit_code] {
        auto store = container_store();
        auto found = container::find_container(store, *reference);
        if (!found) {
            exit_code = report(found.error());
            return;
        }
        std::string path = found->state.storage_dir + "/container.log";
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            exit_code = report(
                Error::from_errno("open", path).with_hint("only containers run with -d have logs"));
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
            auto state = store.load(found->state.id);
            if (!state || store.status(*state) == container::Status::Stopped)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::close(fd);
        exit_code = 0;
    });
}

}  // namespace twinbox::cli
