// twinbox vm step: run a bare-metal guest one instruction at a time.
#include <fmt/core.h>

#include <cstdlib>
#include <memory>

#include "cli/commands.h"
#include "cli/cpu_mode_flag.h"
#include "cli/report.h"
#include "common/log.h"
#include "common/size.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/stepper.h"

namespace twinbox::cli {

namespace {

struct VmStepOptions {
    std::string flat;
    std::string mode = "real";
    std::string load_address;
    std::string memory = "64M";
    std::string count = "50";
    std::string break_address;
    std::string break_by = "auto";
    std::string max_steps = "1000000";
    std::string timeout = "10";
    int verbose = 0;
};

constexpr const char* kExamples = R"(Examples:
  twinbox vm step --flat build/guest/examples/hello-real.bin --count 12
  twinbox vm step --flat build/guest/examples/hello-real.bin --break 0x7c11 --count 3
  twinbox vm step --flat build/guest/examples/hello-long.bin --mode long --count 200

Each line: step number, linear address (segment base + IP), the instruction's bytes, its
disassembly in the vCPU's current mode, and the registers it changed (old->new). Lines
starting with '|' are the VM exits the instruction caused and the serial output it wrote.
Exit status: 0 after --count instructions (or when the guest halted for good); the guest's
own status when it powered off while stepped (as in 'twinbox vm run'); 128+N on signal N;
125 when twinbox failed or --break was not reached.)";

Result<uint64_t> parse_number(const std::string& text, const char* option) {
    char* end = nullptr;
    errno = 0;
    uint64_t value = std::strtoull(text.c_str(), &end, 0);
    if (text.empty() || text[0] == '-' || end == text.c_str() || *end != '\0' || errno == ERANGE)
        return Error::message(fmt::format("{} {} is not a number (decimal or 0x hex)", option,
                                          text.empty() ? "''" : text));
    return value;
}

Result<std::pair<VmConfig, StepOptions>> make_config(const VmStepOptions& options) {
    VmConfig config;
    config.flat = options.flat;
    config.flat_mode = TRY(parse_cpu_mode(options.mode));
    if (!options.load_address.empty())
        config.flat_address = TRY(parse_number(options.load_address, "--load-address"));
    config.memory = TRY(parse_size(options.memory).with_context("--memory"));
    // One vCPU and no virtio devices: the stepper is the only thread that runs the guest.
    config.cpus = 1;
    config.rng = false;

    StepOptions step;
    step.count = TRY(parse_number(options.count, "--count"));
    if (step.count == 0)
        return Error::message("--count 0: give at least 1 instruction to show");
    if (!options.break_address.empty())
        step.break_address = TRY(parse_number(options.break_address, "--break"));
    if (options.break_by == "auto")
        step.break_method = BreakMethod::automatic;
    else if (options.break_by == "hardware")
        step.break_method = BreakMethod::hardware;
    else if (options.break_by == "step")
        step.break_method = BreakMethod::step;
    else
        return Error::message(
            fmt::format("--break-by {} is not one of auto, hardware, step", options.break_by));
    step.max_steps = TRY(parse_number(options.max_steps, "--max-steps"));
    if (step.max_steps == 0)
        return Error::message("--max-steps must be at least 1");
    uint64_t timeout = TRY(parse_number(options.timeout, "--timeout"));
    if (timeout == 0 || timeout > 86400)
        return Error::message(
            fmt::format("--timeout {} is not between 1 and 86400 seconds", options.timeout));
    step.timeout = std::chrono::seconds(timeout);
    return std::pair{config, step};
}

int run(const VmStepOptions& options) {
    log::set_level(options.verbose >= 1 ? log::Level::info : log::Level::warn);
    auto configs = make_config(options);
    if (!configs) {
        return report(configs.error());
    }
    auto& [config, step] = *configs;
    auto serial = std::make_shared<CapturedOutput>();
    config.serial_sink = serial;
    auto machine = Machine::create(config);
    if (!machine) {
        return report(machine.error());
    }
    fmt::print("twinbox vm step: {} in {} mode, up to {} instructions{}\n", config.flat,
               options.mode, step.count,
               step.break_address ? fmt::format(" from {:#x}", *step.break_address) : "");
    std::fflush(stdout);
    Stepper stepper(**machine, serial, stdout);
    int status = report_or_status(stepper.run(step));
    std::fflush(stdout);
    return status;
}

}  // namespace

void register_vm_step(CLI::App& vm, int& exit_code) {
    auto options = std::make_shared<VmStepOptions>();
    CLI::App* command = vm.add_subcommand(
        "step", "Run a bare-metal guest one instruction at a time, showing what each changed");
    command->footer(kExamples);
    command->add_option("--flat", options->flat, "flat binary to step (as for vm run --flat)")
        ->required();
    command->add_option("--mode", options->mode, "CPU mode: real (at 0x7c00) or long (at 1 MiB)")
        ->default_val("real");
    command->add_option("--load-address", options->load_address, "guest address for --flat");
    command->add_option("--memory,-m", options->memory, "guest RAM")->default_val("64M");
    command->add_option("--count,-n", options->count, "instructions to show")->default_val("50");
    command->add_option("--break", options->break_address,
                        "run to this linear address (segment base + IP) first, then step");
    command
        ->add_option(
            "--break-by", options->break_by,
            "how to reach --break: hardware (DR0 breakpoint), step (single steps), auto (hardware on bare metal, step when this host is itself a VM)")
        ->default_val("auto");
    command
        ->add_option("--max-steps", options->max_steps,
                     "give up on --break after this many instructions (--break-by step)")
        ->default_val("1000000");
    command
        ->add_option("--timeout", options->timeout,
                     "seconds to wait for one instruction, and for reaching --break")
        ->default_val("10");
    command->add_flag("-v,--verbose", options->verbose, "say more (backend, progress)");
    command->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace twinbox::cli
