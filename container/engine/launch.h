// Bringing a prepared container to life, for `twinbox run` (a new one) and
// `twinbox start` (a stopped one again, with its storage): the storage
// directory, the network lease, create + start, and for a detached one the
// supervisor that waits for it and records how it ended (run.cpp draws it).
//
//   STORAGE/ID/upper, work    the overlay's writable layer: the container's
//                             root volume, kept from one start to the next
//   STORAGE/ID/merged         the overlay's mount point
//   STORAGE/ID/container.log  a detached container's output, appended to by
//                             every start (as Docker's json-file log)
//   STORAGE/ID/launch.json    what config.json does not hold: the image's
//                             layers (the overlay's lower dirs) and --init
#pragma once

#include <string>
#include <vector>

#include "common/file_lock.h"
#include "common/result.h"
#include "container/runtime/runtime.h"

namespace twinbox::container {

// Held from the check that a --name is free (or that a container is
// stopped) until its state is written, so that two `run --name same` or two
// `start` of one container cannot both go ahead (flock(2) on
// STATE_ROOT/.names.lock). A forked supervisor shares it (hand_over()).
Result<FileLock> lock_names(const std::string& state_root);

// A new container's storage is removed when it fails to start; a restarted
// one's is its root volume and is kept whatever happens.
enum class StorageOrigin { New, Kept };

// Create and start; on failure everything made here is undone, and the
// error's exit_status() is the one to report (126/127 when the program failed).
Result<CreatedContainer> create_and_start(const CreateOptions& options, StorageOrigin origin);

// Waits for the container's first process (our child), records its exit in
// the state (and with --rm removes the container); its exit status.
int wait_for_container(const StateStore& store, const std::string& id, pid_t pid, bool quiet);

// -d: forks the supervisor, which creates and starts the container with its
// output appended to container.log and then waits for it. Returns once the
// supervisor reported the container started, or with its error.
Result<void> launch_detached(const CreateOptions& options, StorageOrigin origin,
                             FileLock& name_lock);

struct LaunchRecord {
    std::vector<std::string> lower_dirs;  // topmost first
    bool reaping_init = false;
};
Result<LaunchRecord> load_launch_record(const std::string& storage_dir);

}  // namespace twinbox::container
