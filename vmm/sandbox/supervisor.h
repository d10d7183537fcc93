// run_supervised(): the process split that lets every VMM thread be filtered.
//
// A seccomp filter cannot be taken back, and the end of a VM needs calls no
// VMM thread should keep (removing the registry entry and the control socket,
// releasing network leases, deleting scratch files). So the VMM runs in a
// child process whose threads all install their filters (seccomp_filter.h),
// and the parent, which shares no memory with the guest-facing code, waits
// for it, forwards SIGINT/SIGTERM/SIGHUP, restores the terminal, removes the
// VM's registry entry, and then the caller tears the rest down. This is the
// shape of Firecracker's jailer (the jailer and the orchestrator clean up;
// the filtered VMM only runs the guest).
#pragma once

#include <functional>

#include "common/result.h"

namespace twinbox::sandbox {

// Runs `vmm` in a child process and returns its exit status: the status it
// returned, or 128+N for SIGINT/SIGTERM/SIGHUP/SIGKILL; an error when the
// kernel killed it for a forbidden call (SIGSYS, status 125) or another
// signal ended it (status 128+N). The child dies with the parent
// (PR_SET_PDEATHSIG).
Result<int> run_supervised(const std::function<int()>& vmm);

}  // namespace twinbox::sandbox
