// `twinbox start`: a stopped container again (docker start), with the spec
// it was created from (its config.json: command, environment, user, limits,
// network, ports, volumes, name and id) and its storage: the overlay's upper
// directory is its root volume, so what it wrote before it stopped is there.
//
// As moby's container start: the same container object is started again, a
// new process with its exit status cleared and StartedAt renewed, its log
// appended to; a running container is left alone. The runtime's state of the
// old run (state.json, config.json) is replaced by a new create, as moby
// deletes the old runc container before creating the new task.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/file.h"
#include "container/engine/engine.h"
#include "container/engine/launch.h"

namespace twinbox::container {

namespace {

// What a new create needs, rebuilt from the stopped container's records.
Result<CreateOptions> restart_options(const StateStore& store, const ContainerState& state,
                                      const std::string& config) {
    if (state.storage_dir.empty())
        return Error::message(
                   fmt::format(
                       "container {} was not made by twinbox run: it has no storage to start from",
                       state.name))
            .with_hint("start containers of twinbox-oci with twinbox-oci create/start");
    auto record = load_launch_record(state.storage_dir);
    if (!record)
        return Error::message(
                   fmt::format("container {} cannot be started: its launch record is missing or "
                               "damaged ({})",
                               state.name, record.error().to_string()))
            .with_hint("remove it (twinbox rm) and run a new one");
    for (const auto& layer : record->lower_dirs)
        if (std::error_code error; !std::filesystem::is_directory(layer, error))
            return Error::message(
                       fmt::format(
                           "container {} cannot be started: a layer of its image is gone ({})",
                           state.name, layer))
                .with_hint("the image was removed; remove the container and run a new one");
    CreateOptions options;
    options.id = state.id;
    options.spec = TRY(oci::parse_spec(config).with_context(
        fmt::format("container {}'s config.json", state.name)));
    options.rootfs = state.rootfs;
    options.layers = {record->lower_dirs, state.storage_dir + "/upper",
                      state.storage_dir + "/work"};
    options.state_root = store.root();
    options.reaping_init = record->reaping_init;
    options.extras.name = state.name;
    options.extras.command = state.command;
    options.extras.storage_dir = state.storage_dir;
    return options;
}

// Puts the stopped container's records back after a failed start, so that
// it is as it was: still listed, startable and removable.
void restore(const StateStore& store, const ContainerState& state, const std::string& config) {
    auto lock = lock_names(store.root());  // the supervisor that had it has given up
    (void)store.reserve(state.id);
    (void)store.save(state);
    std::string path = store.directory(state.id) + "/config.json";
    (void)write_whole_file(path, config.data(), config.size(), 0600);
}

}  // namespace

Result<bool> start_stopped_container(const StateStore& store, const std::string& id) {
    // The lock `run --name` takes: two starts of one container cannot both
    // see it stopped, and a new container cannot take its name meanwhile.
    auto lock = TRY(lock_names(store.root()));
    auto state = TRY(store.load(id));
    Status status = store.status(state);
    if (status == Status::Running)
        return false;  // docker start of a running container: nothing to do
    if (status != Status::Stopped)
        return Error::message(fmt::format("cannot start container {}: it is {}", state.name,
                                          status_name(status)))
            .with_hint(status == Status::Paused ? "resume it instead" : "wait until it is up");
    // The last supervisor may still be recording the exit.
    for (int attempt = 0;
         attempt < 200 && state.supervisor_pid > 0 && process_start_time(state.supervisor_pid) != 0;
         ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    state = TRY(store.load(id));
    std::string config =
        TRY(read_text_file(store.directory(id) + "/config.json", "config.json", kMaxStateBytes));
    auto options = TRY(restart_options(store, state, config));
    TRY(store.remove(id));
    if (auto started = launch_detached(options, StorageOrigin::Kept, lock); !started) {
        restore(store, state, config);
        return std::move(started).error();
    }
    return true;
}

}  // namespace twinbox::container
