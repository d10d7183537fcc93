// twinbox vm run: boot a guest in a KVM virtual machine.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "cli/cpu_mode_flag.h"
#include "cli/report.h"
#include "common/log.h"
#include "common/size.h"
#include "vmm/control/registry.h"
#include "vmm/kvm/backend.h"
#include "vmm/machine/default_guest.h"
#include "vmm/machine/device_options.h"
#include "vmm/machine/libvirt_xml.h"
#include "vmm/machine/machine.h"
#include "vmm/sandbox/supervisor.h"
#include "workload/vm_network.h"

namespace twinbox::cli {

namespace {

struct VmRunOptions {
    VmConfig config;
    std::string memory = "256M";
    std::string mode = "real";
    std::string boot = "auto";
    std::string load_address;
    std::string serial = "stdio";
    std::vector<std::string> disks;
    std::vector<std::string> nets;
    std::string console = "serial";
    bool no_rng = false;
    bool no_seccomp = false;
    bool print_libvirt_xml = false;
    bool cmdline_given = false;
    int verbose = 0;
};

constexpr const char* kExamples = R"(Examples:
  twinbox vm run                                   boot the default guest (Linux + busybox) to a shell
  twinbox vm run --kernel /boot/vmlinuz-VERSION --initrd build/guest/initramfs.cpio.gz \
                 --cpus 2 --memory 512M --cmdline 'console=ttyS0 quiet TWINBOX_RUN="uname -a"'
  twinbox vm run --kernel build/guest/vmlinux-twinbox --initrd build/guest/initramfs.cpio.gz -v
                                                   PVH boot of an uncompressed vmlinux (-v names the protocol)
  twinbox vm run --multiboot build/guest/examples/hello-multiboot.elf --cmdline exit=21
  twinbox vm run --disk build/guest/disk.ext4 --cmdline 'console=ttyS0 root=/dev/vda'
                                                   boot from an ext4 disk (virtio-blk)
  twinbox vm run --net tap=tap0 --console virtio   a virtio-net card on tap0, the shell on hvc0
  twinbox vm run --net bridge                      on the network twinbox0 with an address (ip=),
                                                   next to containers run with --network bridge
  twinbox vm run --flat build/guest/examples/hello-real.bin --mode real
  twinbox vm run --flat build/guest/examples/hello-long.bin --mode long
  twinbox vm run --name demo --flat build/guest/examples/tick-real.bin --serial none &
  twinbox top                                      watch its exits per second live

Console: guest serial output on stdout, keystrokes to the guest; Ctrl-A x quits.
Exit status: 0 guest poweroff or reboot (or Ctrl-A x); (v << 1) | 1 when the guest writes v
to the isa-debug-exit port 0xf4; 128+N when signal N stopped twinbox (SIGTERM: 143);
125 when twinbox failed (bad flag, bad image, KVM error), with one line on stderr.)";

Result<void> finish_config(VmRunOptions& options) {
    VmConfig& config = options.config;
    config.memory = TRY(parse_size(options.memory).with_context("--memory"));
    config.flat_mode = TRY(parse_cpu_mode(options.mode));
    if (options.boot == "auto")
        config.boot_protocol = LinuxBootProtocol::automatic;
    else if (options.boot == "pvh")
        config.boot_protocol = LinuxBootProtocol::pvh;
    else if (options.boot == "linux")
        config.boot_protocol = LinuxBootProtocol::bzimage;
    else
        return Error::message(
            fmt::format("--boot {} is not one of auto, pvh, linux", options.boot));
    if (!options.load_address.empty()) {
        char* end = nullptr;
        uint64_t address = std::strtoull(options.load_address.c_str(), &end, 0);
        if (end == options.load_address.c_str() || *end != '\0')
            return Error::message(
                fmt::format("--load-address {} is not a number", options.load_address));
        config.flat_address = address;
    }
    if (options.serial == "stdio")
        config.serial = SerialOutput::stdio;
    else if (options.serial == "none")
        config.serial = SerialOutput::none;
    else if (options.serial.starts_with("file:") && options.serial.size() > 5) {
        config.serial = SerialOutput::file;
        config.serial_file = options.serial.substr(5);
    } else
        return Error::message(
            fmt::format("--serial {} is not one of stdio, file:PATH, none", options.serial));

    for (const std::string& disk : options.disks)
        config.disks.push_back(TRY(parse_disk_option(disk)));
    for (const std::string& net : options.nets) config.nets.push_back(TRY(parse_net_option(net)));
    if (options.console == "serial")
        config.console = ConsoleKind::serial;
    else if (options.console == "virtio")
        config.console = ConsoleKind::virtio;
    else
        return Error::message(
            fmt::format("--console {} is not one of serial, virtio", options.console));
    config.rng = !options.no_rng;
    if (!config.name.empty())
        TRY(validate_vm_name(config.name).with_context("--name"));

    bool nothing_to_boot = config.kernel.empty() && config.multiboot.empty() && config.flat.empty();
    if (nothing_to_boot) {
        auto guest = TRY(find_default_guest({TWINBOX_GUEST_DIR, TWINBOX_INSTALL_GUEST_DIR}));
        config.kernel = guest.kernel;
        if (config.initrd.empty())
            config.initrd = guest.initrd;
        if (!options.cmdline_given)
            config.command_line = guest.command_line;
    } else if (!config.kernel.empty() && !options.cmdline_given) {
        config.command_line = kDefaultLinuxCommandLine;
    }
    // The last console= is /dev/console, where init's shell and messages go.
    if (config.console == ConsoleKind::virtio && !options.cmdline_given && !config.kernel.empty())
        config.command_line += " console=hvc0";
    return ok();
}

int run(VmRunOptions& options) {
    log::set_level(options.verbose >= 2   ? log::Level::debug
                   : options.verbose == 1 ? log::Level::info
                                          : log::Level::warn);
    if (auto finished = finish_config(options); !finished) {
        return report(finished.error());
    }
    if (options.print_libvirt_xml) {
        // The same guest as libvirt domain XML, for virsh define; nothing is run.
        auto xml = libvirt_domain_xml(options.config, {options.config.name, "kvm"});
        if (!xml) {
            return report(xml.error());
        }
        std::fputs(xml->c_str(), stdout);
        return std::fflush(stdout) == 0 ? 0 : exit_code::kTwinboxError;
    }
    // --net bridge[=NAME] on a twinbox network: address leases, released when the VM ends.
    auto networks = workload::attach_vm_networks(options.config);
    if (!networks) {
        return report(networks.error());
    }
    auto boot = [&options] {
        auto machine = Machine::create(options.config);
        if (!machine) {
            return report(machine.error());
        }
        log::info("booting {} with {} vCPU(s) and {} MiB on {}",
                  !options.config.kernel.empty()      ? options.config.kernel
                  : !options.config.multiboot.empty() ? options.config.multiboot
                                                      : options.config.flat,
                  options.config.cpus, options.config.memory >> 20,
                  backend_name((*machine)->backend()));
        return (*machine)->run();
    };
    if (options.no_seccomp) {
        log::info("seccomp sandbox: off (--no-seccomp)");
        return boot();
    }
    // docs/vmm.md "The VMM sandbox": one allow-list per VMM thread, in a child
    // process whose parent cleans up after it.
    options.config.seccomp = true;
    log::info("seccomp sandbox: on (an allow-list per VMM thread; --no-seccomp turns it off)");
    return report_or_status(sandbox::run_supervised(boot));
}

}  // namespace

void register_vm_run(CLI::App& vm, int& exit_code) {
    auto options = std::make_shared<VmRunOptions>();
    CLI::App* command = vm.add_subcommand(
        "run", "Boot a guest: a Linux kernel, a multiboot kernel or a flat binary");
    command->footer(kExamples);
    VmConfig& config = options->config;
    command->add_option("--kernel", config.kernel,
                        "Linux kernel to boot: a bzImage, or a vmlinux with the PVH note "
                        "(default: the default guest)");
    command
        ->add_option("--boot", options->boot,
                     "boot protocol for --kernel: auto (PVH for a vmlinux with the PVH note, "
                     "else bzImage), pvh or linux")
        ->default_val("auto");
    command->add_option("--initrd", config.initrd, "initramfs for --kernel");
    command
        ->add_option("--cmdline", config.command_line,
                     "kernel command line (multiboot: its arguments)")
        ->each([options](const std::string&) { options->cmdline_given = true; });
    command->add_option("--multiboot", config.multiboot, "Multiboot v1 ELF kernel to boot");
    command->add_option("--module", config.modules, "multiboot module: 'FILE[ ARGS]' (repeatable)");
    command->add_option("--flat", config.flat, "flat binary to load and enter directly");
    command->add_option("--mode", options->mode,
                        "CPU mode for --flat: real (at 0x7c00) or long (at 1 MiB)");
    command->add_option("--load-address", options->load_address, "guest address for --flat");
    command->add_option("--cpus", config.cpus, "number of vCPUs")->default_val(1);
    command
        ->add_option("--memory,-m", options->memory,
                     "guest RAM, e.g. 512M or 2G (bare number: MiB)")
        ->default_val("256M");
    command->add_option("--serial", options->serial, "console: stdio, file:PATH or none")
        ->default_val("stdio");
    command->add_option("--disk", options->disks,
                        "raw disk image for virtio-blk: FILE[,ro] (repeatable; vda, vdb, ...)");
    command->add_option("--net", options->nets,
                        "virtio-net card: tap[=NAME] or bridge=NAME, with ,mac=MAC (repeatable)");
    command
        ->add_option("--console", options->console,
                     "guest console: serial (ttyS0) or virtio (hvc0, faster)")
        ->default_val("serial");
    command
        ->add_option(
            "--trace-exits", config.trace_file,
            "print every VM exit (vCPU, reason, RIP, instruction, port/MMIO, time) to stderr or FILE")
        ->expected(0, 1);
    command->add_flag("--exit-stats", config.exit_stats,
                      "print a table of VM exits by reason and device when the VM ends");
    command->add_flag("--no-rng", options->no_rng, "leave out the virtio-rng entropy device");
    command->add_flag(
        "--no-seccomp", options->no_seccomp,
        "run the VMM without its seccomp sandbox (for debugging: gdb, strace, a device model under development)");
    command->add_flag("--print-libvirt-xml", options->print_libvirt_xml,
                      "print this guest as libvirt domain XML (for virsh define) and exit");
    command->add_option(
        "--name", config.name,
        "name of the VM for 'twinbox vm ls|pause|resume|stop|inspect' and 'twinbox top' (default: a random id)");
    command->add_option("--dump-acpi", config.dump_acpi_directory,
                        "write the ACPI tables to DIR (for iasl -d)");
    command->add_flag(
        "-v,--verbose", options->verbose,
        "say more (-v: backend and progress, -vv: also unclaimed port and MMIO accesses)");
    command->callback([options, command, &exit_code] {
        // --trace-exits with or without =FILE (CLI11 runs no callback for a bare flag).
        options->config.trace_exits = command->count("--trace-exits") > 0;
        exit_code = run(*options);
    });
}

}  // namespace twinbox::cli
