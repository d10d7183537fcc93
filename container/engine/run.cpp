// `twinbox run`: create + start + wait, in the foreground or (-d) in a
// small supervisor process that outlives the command.
//
//   twinbox run            twinbox run -d
//   -----------            --------------
//   twinbox                twinbox --fork--> supervisor (setsid, output -> console.log)
//     | create+start         |                 | create+start
//     | relay / wait         | <-- ready ------|  (or its error, over a SyncSocket)
//     | record exit          | prints the id   | waits, records the exit status
//     v exit with its status v exit 0          v --rm: removes the container
//
// The steps both share with `twinbox start` are in launch.cpp.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/file_lock.h"
#include "common/unique_fd.h"
#include "container/engine/engine.h"
#include "container/engine/launch.h"
#include "container/engine/network_attach.h"
#include "container/engine/terminal.h"

namespace twinbox::container {

namespace {

std::string random_id() {
    std::random_device random;
    return fmt::format("{:08x}{:04x}", random(), random() & 0xffff);
}

Result<CreateOptions> prepare(const RunFlags& flags, const EnginePaths& paths,
                              const std::string& id) {
    if (!flags.name.empty()) {
        TRY(validate_container_id(flags.name).with_context("--name"));
        StateStore store(paths.state_root);
        for (const auto& view : list_containers(store))
            if (view.state.name == flags.name)
                return Error::message(fmt::format("the container name {} is already in use by {}",
                                                  flags.name, view.state.id))
                    .with_hint("remove that container or choose another --name");
    }
    if (flags.rootfs.empty())
        return Error::message("no root file system: give --rootfs DIR");
    std::error_code error;
    std::string lower = std::filesystem::absolute(flags.rootfs, error).lexically_normal().string();
    if (lower.size() > 1 && lower.back() == '/')
        lower.pop_back();
    if (!std::filesystem::is_directory(lower, error))
        return Error::message(fmt::format("--rootfs {} is not a directory", flags.rootfs));
    CreateOptions options;
    options.id = id;
    options.spec = TRY(spec_from_run_flags(flags, id, lower));
    std::string storage = paths.storage_root + "/" + id;
    options.rootfs = storage + "/merged";
    options.spec.root.path = options.rootfs;
    options.layers = {
        flags.image_layers.empty() ? std::vector<std::string>{lower} : flags.image_layers,
        storage + "/upper", storage + "/work"};
    if (!flags.image.empty())
        options.spec.annotations["org.twinbox.image"] = flags.image;  // for `image rm`
    options.state_root = paths.state_root;
    options.reaping_init = flags.init;
    options.extras.name = flags.name.empty() ? id : flags.name;
    options.extras.command = options.spec.process->args;
    options.extras.storage_dir = storage;
    options.extras.auto_remove = flags.remove;
    add_network_mounts(options);
    return options;
}

Result<int> run_foreground(const RunFlags& flags, const CreateOptions& options,
                           FileLock& name_lock) {
    StateStore store(options.state_root);
    if (!flags.interactive && !flags.tty) {
        // Docker gives a container without -i an empty stdin.
        UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ::dup2(null.get(), STDIN_FILENO);
    }
    auto created = create_and_start(options, StorageOrigin::New);
    name_lock.release();
    if (!created)
        return std::move(created).error();
    if (created->console_master) {
        std::optional<RawTerminal> raw;
        // Raw mode on our terminal: the container's pty already did the line
        // discipline's work (echo, \n -> \r\n); ours must not do it twice.
        int terminal = ::isatty(STDIN_FILENO)    ? STDIN_FILENO
                       : ::isatty(STDOUT_FILENO) ? STDOUT_FILENO
                                                 : -1;
        if (terminal >= 0)
            if (auto entered = RawTerminal::enter(terminal))
                raw.emplace(std::move(*entered));
        relay_terminal(created->console_master.get(), flags.interactive ? STDIN_FILENO : -1,
                       STDOUT_FILENO);
    }
    return wait_for_container(store, options.id, created->state.pid, false);
}

}  // namespace

Result<int> run_container(const RunFlags& flags) {
    auto paths = engine_paths();
    std::string id = random_id();
    FileLock name_lock;
    if (!flags.name.empty())
        name_lock = TRY(lock_names(paths.state_root).with_context("--name"));
    auto options = TRY(prepare(flags, paths, id));
    if (flags.detach) {
        TRY(launch_detached(options, StorageOrigin::New, name_lock));
        fmt::print("{}\n", options.id);
        return 0;
    }
    return run_foreground(flags, options, name_lock);
}

}  // namespace twinbox::container
