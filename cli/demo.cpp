// twinbox demo: the same probe in a container and in a VM, and a table of
// what each saw and cost (cli/demo_probe.h). Each environment is a separate
// `twinbox` process (this binary, /proc/self/exe), started exactly as a user
// would start it, so the demo shows nothing the CLI cannot do.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <memory>

#include "cli/commands.h"
#include "cli/demo_probe.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "vmm/machine/default_guest.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {

namespace {

struct DemoOptions {
    std::string rootfs = TWINBOX_GUEST_DIR "/rootfs";  // the busybox root built by guest/
    std::string memory = "256M";
    uint32_t cpus = 1;
    int timeout_seconds = 300;
    bool show_output = false;
};

std::string self_path() {
    char path[4096];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
    return length > 0 ? std::string(path, static_cast<size_t>(length)) : "twinbox";
}

DemoRun run_one(const std::string& name, const std::vector<std::string>& argv,
                const DemoOptions& options) {
    DemoRun run;
    run.name = name;
    log::info("demo: {}", fmt::join(argv, " "));
    auto captured = run_captured(argv, std::chrono::seconds(options.timeout_seconds));
    if (!captured) {
        run.error = captured.error().to_string();
        return run;
    }
    if (options.show_output)
        fmt::print("--- {} (stdout) ---\n{}--- {} (stderr) ---\n{}\n", name, captured->out, name,
                   captured->err);
    run.elapsed = captured->elapsed;
    run.exit_status = captured->exit_status;
    run.facts = parse_demo_facts(captured->out);
    run.vm_exits = parse_exit_total(captured->err);
    if (captured->timed_out) {
        run.error = fmt::format("did not finish in {} s (--timeout)", options.timeout_seconds);
    } else if (run.facts.empty()) {
        // Name the failure with the last line the environment printed.
        std::string last = captured->err;
        while (!last.empty() && last.back() == '\n') last.pop_back();
        if (auto newline = last.rfind('\n'); newline != std::string::npos)
            last = last.substr(newline + 1);
        run.error = fmt::format("exited with status {} and printed no facts{}{}",
                                captured->exit_status, last.empty() ? "" : ": ", last);
    }
    return run;
}

int demo(const DemoOptions& options) {
    std::string twinbox = self_path();
    std::string probe = demo_probe_script();

    std::vector<std::string> container = {
        twinbox, "run", "--rm", "--rootfs", options.rootfs, "--hostname", "twinbox-container",
        "sh",    "-c",  probe};

    // The default guest's command line, plus the probe as init's workload
    // (guest/initramfs/init runs TWINBOX_RUN with sh -c and powers off).
    std::string cmdline = std::string(kDefaultLinuxCommandLine) + " TWINBOX_RUN=\"" + probe + "\"";
    std::vector<std::string> vm = {
        twinbox,     "vm",           "run",    "--exit-stats",
        "--memory",  options.memory, "--cpus", std::to_string(options.cpus),
        "--cmdline", cmdline};

    fmt::print("Running the same probe in a container and in a virtual machine...\n");
    std::fflush(stdout);
    std::vector<DemoRun> runs = {run_one("container", container, options),
                                 run_one("vm", vm, options)};
    fmt::print("\n{}", render_demo(runs));
    fmt::print(
        "\nThe container shares the host's kernel: the same kernel version, the host's CPU flags\n"
        "and memory; namespaces give it its own PID 1, process list, hostname and network. The VM\n"
        "runs its own kernel on virtual hardware: its CPU says 'hypervisor', it has the memory it\n"
        "was given, and every I/O it does costs exits to the VMM. (On a host that is itself a VM,\n"
        "the container sees the 'hypervisor' flag too: it is the host's.)\n");
    for (const auto& run : runs)
        if (!run.error.empty())
            return exit_code::kTwinboxError;
    return 0;
}

}  // namespace

void register_demo(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<DemoOptions>();
    CLI::App* demo_command = app.add_subcommand(
        "demo", "Run the same probe in a container and in a VM and compare what each sees");
    demo_command->add_option("--rootfs", options->rootfs,
                             "the container's root (default: the busybox root built by guest/)");
    demo_command->add_option("--memory", options->memory, "the VM's memory (default 256M)");
    demo_command->add_option("--cpus", options->cpus, "the VM's vCPUs (default 1)")
        ->check(CLI::Range(1, 64));
    demo_command
        ->add_option("--timeout", options->timeout_seconds,
                     "seconds each environment may take (default 300)")
        ->check(CLI::Range(1, 3600));
    demo_command->add_flag("--show-output", options->show_output,
                           "print everything each environment printed");
    demo_command->callback([options, &exit_code] { exit_code = demo(*options); });
}

}  // namespace twinbox::cli
