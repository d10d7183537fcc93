// twinbox bench: the benchmark suite (docs/benchmarking.md). The
// harness is Python (bench/suite/run.py, stdlib only); this file only
// parses the options and replaces itself with
//   python3 SUITE/run.py --twinbox <this binary> --workload <bench/workload> ...
// so that every environment is started exactly as a user would start it.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/report.h"
#include "common/log.h"
#include "vmm/machine/vm_config.h"
#include "workload/vm_backend.h"

namespace twinbox::cli {

namespace {

struct BenchOptions {
    bool quick = false;
    std::string suite;
    std::string out;
    int runs = 0;
    int timeout = 0;
    std::vector<std::string> environments;
    std::string where;  // auto, here or testhost (run.py decides what auto means)
    std::string report_dir;
    std::vector<std::string> compare_dirs;
};

std::string self_path() {
    char path[4096];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
    return length > 0 ? std::string(path, static_cast<size_t>(length)) : "twinbox";
}

// Replaces this process with the harness; returns only when exec failed.
int exec_harness(std::vector<std::string> arguments) {
    // Debian's python3 first: an interpreter under a user's home (pyenv) may
    // be slow to start or absent inside the test host.
    std::string python = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    std::vector<std::string> argv = {python, TWINBOX_BENCH_SUITE "/run.py"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    std::vector<char*> pointers;
    for (auto& argument : argv) pointers.push_back(argument.data());
    pointers.push_back(nullptr);
    ::execvp(pointers[0], pointers.data());
    log::error("cannot run the benchmark harness {}: {} - install python3", argv[1],
               std::strerror(errno));
    return exit_code::kTwinboxError;
}

int bench(const BenchOptions& options, bool report, bool compare) {
    if (report)
        return exec_harness({"report", options.report_dir});
    if (compare)
        return exec_harness({"compare", options.compare_dirs.at(0), options.compare_dirs.at(1)});
    std::vector<std::string> arguments = {"run", "--twinbox", self_path(), "--workload",
                                          TWINBOX_BENCH_WORKLOAD};
    if (options.quick)
        arguments.push_back("--quick");
    if (!options.suite.empty())
        arguments.insert(arguments.end(), {"--suite", options.suite});
    if (!options.out.empty())
        arguments.insert(arguments.end(), {"--out", options.out});
    if (options.runs > 0)
        arguments.insert(arguments.end(), {"--runs", std::to_string(options.runs)});
    if (options.timeout > 0)
        arguments.insert(arguments.end(), {"--timeout", std::to_string(options.timeout)});
    for (const auto& environment : options.environments)
        arguments.insert(arguments.end(), {"--env", environment});
    if (!options.where.empty())
        arguments.insert(arguments.end(), {"--where", options.where});
    // The nested test host the harness re-executes itself in when this host's
    // /dev/kvm cannot boot Linux (PVM or none): --where, docs/benchmarking.md.
    arguments.insert(arguments.end(),
                     {"--testhost", TWINBOX_BENCH_SUITE "/../../tests/testhost/testhost.sh"});
    return exec_harness(arguments);
}

}  // namespace

void register_bench(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<BenchOptions>();
    CLI::App* command = app.add_subcommand(
        "bench", "Benchmark native, container and VM side by side (docs/benchmarking.md)");
    command->add_flag("--quick", options->quick, "short runs for a live class (a few minutes)");
    command->add_option(
        "--suite", options->suite,
        "a named suite: quick, full, cpu, memory, syscall, startup, io, or workloads separated by commas");
    command->add_option("--out", options->out, "results directory (default bench-results/DATE)");
    command->add_option("--runs", options->runs, "measured runs per workload and environment")
        ->check(CLI::Range(1, 1000));
    command->add_option("--timeout", options->timeout, "seconds one run may take")
        ->check(CLI::Range(1, 3600));
    command->add_option(
        "--env", options->environments,
        "only these environments: native, twinbox-container, twinbox-vm, crun, runc, qemu-microvm, libvirt-qemu, libvirt-lxc");
    command
        ->add_option(
            "--where", options->where,
            "auto (default: inside the nested test host when /dev/kvm cannot boot Linux), here, or testhost")
        ->check(CLI::IsMember({"auto", "here", "testhost"}));
    // Hidden: what `twinbox run --isolation vm` would boot, as files, so the
    // QEMU and libvirt baselines boot the very same guest (workload/vm_backend.h).
    auto vm_flags = std::make_shared<container::RunFlags>();
    auto vm_out = std::make_shared<std::string>();
    CLI::App* vm_config = command->add_subcommand(
        "vm-config", "Write the kernel, command line, disks and agent config of a VM run");
    vm_config->group("");
    vm_config->prefix_command();
    vm_config->add_option("--out", *vm_out, "directory for vm.json and the fw_cfg blobs")
        ->required();
    vm_config->add_option("-m,--memory", vm_flags->memory, "guest memory, e.g. 1g");
    vm_config->add_option("--cpus", vm_flags->cpus, "vCPUs");
    vm_config->callback([vm_flags, vm_out, vm_config, &exit_code] {
        std::vector<std::string> rest = vm_config->remaining();
        if (rest.empty()) {
            log::error("twinbox bench vm-config needs an IMAGE [COMMAND...]");
            exit_code = exit_code::kTwinboxError;
            return;
        }
        vm_flags->command.assign(rest.begin() + 1, rest.end());
        auto request =
            workload::build_run_request_for_image(*vm_flags, workload::Isolation::vm, rest.front());
        if (!request) {
            exit_code = report(request.error());
            return;
        }
        auto written = workload::write_vm_config(*request, *vm_out);
        exit_code = written ? 0 : report(written.error());
    });
    CLI::App* report =
        command->add_subcommand("report", "Render report.md and plots from a results.json");
    report->add_option("DIR", options->report_dir, "a results directory")->required();
    CLI::App* compare =
        command->add_subcommand("compare", "Show what changed between two result sets");
    compare->add_option("DIRS", options->compare_dirs, "the old and the new results directory")
        ->required()
        ->expected(2);
    command->callback([options, report, compare, vm_config, &exit_code] {
        if (vm_config->parsed())
            return;
        exit_code = bench(*options, report->parsed(), compare->parsed());
    });
}

}  // namespace twinbox::cli
