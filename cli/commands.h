// Each subcommand lives in its own file and registers itself on the parser.
// A subcommand's callback stores the process exit status in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace twinbox::cli {

void register_vm_run(CLI::App& vm, int& exit_code);
// Single-stepping a bare-metal guest (cli/vm_step.cpp, vmm/machine/stepper.h).
void register_vm_step(CLI::App& vm, int& exit_code);
// Running VMs through their control sockets (vmm/control): vm ls, pause,
// resume, stop, inspect, and `twinbox top` for VMs and containers.
void register_vm_ls(CLI::App& vm, int& exit_code);
void register_vm_control(CLI::App& vm, int& exit_code);
void register_vm_inspect(CLI::App& vm, int& exit_code);
// Running a command in a VM through its guest agent (cli/vm_exec.cpp, vmm/agent).
void register_vm_exec(CLI::App& vm, int& exit_code);
void register_top(CLI::App& app, int& exit_code);

// Containers and VMs alike (cli/container_*.cpp over workload/backend.h),
// Docker's words and exit statuses.
void register_container_run(CLI::App& app, int& exit_code);
void register_container_ps(CLI::App& app, int& exit_code);
void register_container_stop(CLI::App& app, int& exit_code);
void register_container_start(CLI::App& app, int& exit_code);
void register_container_kill(CLI::App& app, int& exit_code);
void register_container_rm(CLI::App& app, int& exit_code);
void register_container_exec(CLI::App& app, int& exit_code);
void register_container_logs(CLI::App& app, int& exit_code);
void register_container_wait(CLI::App& app, int& exit_code);
void register_container_inspect(CLI::App& app, int& exit_code);
void register_container_stats(CLI::App& app, int& exit_code);

// Images (cli/image*.cpp, cli/build.cpp; container/image).
void register_image_list(CLI::App& app, int& exit_code);
void register_image(CLI::App& app, int& exit_code);
void register_build(CLI::App& app, int& exit_code);

// Networks (cli/network_*.cpp; container/network).
void register_network(CLI::App& app, int& exit_code);
void register_network_create(CLI::App& network, int& exit_code);
void register_network_ls(CLI::App& network, int& exit_code);
void register_network_rm(CLI::App& network, int& exit_code);
void register_network_inspect(CLI::App& network, int& exit_code);

// EC2's verbs (cli/ec2*.cpp, cloud/).
void register_ec2(CLI::App& app, int& exit_code);

// The instance metadata service, `twinbox cloud imds` (cli/cloud_imds.cpp).
void register_cloud_imds(CLI::App& app, int& exit_code);
// twinbox stack (cli/stack.cpp); its Terraform-style -var is rewritten to --var before parsing.
void register_stack(CLI::App& app, int& exit_code);
void rewrite_stack_flags(int argc, char** argv);

// The classroom demo: the same probe in a container and a VM (cli/demo.cpp).
void register_demo(CLI::App& app, int& exit_code);

// The benchmark suite: native, container and VM side by side (cli/bench.cpp,
// bench/suite/run.py).
void register_bench(CLI::App& app, int& exit_code);

}  // namespace twinbox::cli
