// `twinbox demo`: what a container and a VM each see and cost, side by side.
//
// The same small shell probe runs as the workload of both (busybox sh in the
// container's root and in the VM's initramfs). It prints one
// "twinbox-demo:KEY=VALUE" line per fact, so the facts can be picked out of
// whatever else the console shows (a VM's serial console also carries kernel
// messages). This file holds the probe and the pure parsing and rendering;
// cli/demo.cpp runs the two environments.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace twinbox::cli {

// The probe, one line of sh with no double quotes, so it can travel on a
// kernel command line as TWINBOX_RUN="...".
std::string demo_probe_script();

struct DemoRun {
    std::string name;                          // "container", "vm"
    std::map<std::string, std::string> facts;  // KERNEL, PID1, PROCESSES, ...
    std::chrono::milliseconds elapsed{0};      // launch to exit, as the host saw it
    int exit_status = 0;
    std::optional<uint64_t> vm_exits;  // the VMM's count of exits to user space
    std::string error;                 // why this environment could not run
};

// The facts in `output`: every "twinbox-demo:KEY=VALUE" line (a carriage
// return before the newline, as a serial console sends, is dropped).
std::map<std::string, std::string> parse_demo_facts(const std::string& output);

// The total from `twinbox vm run --exit-stats` ("exits to twinbox: N ...").
std::optional<uint64_t> parse_exit_total(const std::string& stats_output);

// The side-by-side table, one row per fact, one column per run.
std::string render_demo(const std::vector<DemoRun>& runs);

}  // namespace twinbox::cli
