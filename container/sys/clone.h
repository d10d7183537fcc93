// Starting a process in new namespaces.
//
// clone3(2) with no stack behaves like fork(2): the child gets a copy-on-write
// copy of the parent's memory and returns 0 from the call, so the code that
// sets up the container can be ordinary C++ that runs in the child. The flags
// (CLONE_NEWPID, CLONE_NEWNS...) put the child in new namespaces as it is
// born; a new PID namespace makes it PID 1 there (pid_namespaces(7)).
//
// The child must never return into the parent's code (it would run the
// parent's cleanup twice): it ends with execve(2) or _exit(2). See
// sync_socket.h for how it reports an error before dying.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "common/result.h"

namespace twinbox::container {

// clone3(flags | exit signal SIGCHLD). Returns the child's PID in the parent
// and 0 in the child. Falls back to clone(2) where clone3 is missing (ENOSYS).
Result<pid_t> clone_process(uint64_t namespace_flags);

}  // namespace twinbox::container
