// The exit statuses every twinbox command uses, in one place.
//
// They follow Docker's (docker run --help, "Exit Status") and the shell's
// (POSIX XCU 2.8.2 "Exit Status for Commands": 126 found but not executable,
// 127 not found, more than 128 for a signal): a workload's own status passes
// through unchanged, so the same workload gives the same status under both
// isolations and under `docker run`.
#pragma once

#include <sys/wait.h>

namespace twinbox::exit_code {

inline constexpr int kGuestPoweredOff = 0;  // `vm run`: guest poweroff, reboot, or Ctrl-A x
inline constexpr int kTwinboxError = 125;   // twinbox failed before the workload ran (or around it)
inline constexpr int kNotExecutable = 126;  // the program exists but cannot be executed
inline constexpr int kNotFound = 127;       // no such program
inline constexpr int kSignalBase = 128;     // 128 + N: signal N ended the workload (SIGKILL: 137)

constexpr int for_signal(int signal) {
    return kSignalBase + signal;
}

// A waitpid(2) status as the shell reports it: the exit status, or 128 + N.
inline int of_wait_status(int wait_status) {
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return for_signal(WTERMSIG(wait_status));
    return kTwinboxError;
}

}  // namespace twinbox::exit_code
