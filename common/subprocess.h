// Running another program to the end and collecting what it printed: for
// `twinbox demo` (a container and a VM, each its own twinbox process) and
// for tools that drive baselines. A deadline bounds the run: a program that
// does not finish in time is killed (SIGTERM, then SIGKILL) and reported.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace twinbox {

struct Captured {
    int exit_status = 0;  // the status, or 128 + the signal that ended it
    std::string out, err;
    std::chrono::milliseconds elapsed{0};
    bool timed_out = false;
};

// Runs argv[0] (a path; no PATH search) with stdin on /dev/null. Output past
// `max_output` bytes per stream is dropped, so a chatty program cannot
// exhaust memory. Fails only when the program cannot be started.
Result<Captured> run_captured(const std::vector<std::string>& argv,
                              std::chrono::milliseconds deadline, size_t max_output = 4 << 20);

}  // namespace twinbox
