// twinbox run: a command in a new container (docker run's flags).
#include <fmt/core.h>
#include <unistd.h>

#include <memory>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "cli/report.h"
#include "common/log.h"
#include "workload/backend.h"

namespace twinbox::cli {

namespace {

constexpr const char* kExamples = R"(Examples:
  twinbox run --rootfs build/guest/rootfs echo hello        (the busybox root built by guest/)
  twinbox run -it busybox sh                                 (the built-in busybox:latest image)
  twinbox run myapp:1.0                                      (an image's ENTRYPOINT and CMD)
  twinbox run -it                                            (no image: the build's busybox root, sh)
  twinbox run -d --name web -m 64m --cpus 0.5 sh -c 'while true; do date; sleep 1; done'
  twinbox run --rm --cap-drop MKNOD --read-only -v /tmp/data:/data:ro sh -c 'ls /data'
  twinbox run --security-opt seccomp=unconfined --pids-limit 64 --init sh
  twinbox run -d --network bridge -p 8080:80 busybox httpd -f -p 80  (host port 8080 -> 80)

Exit status: the command's own; 125 when twinbox failed; 126 when the command cannot be
executed; 127 when it is not found; 128+N when signal N killed it (137 for SIGKILL or OOM).)";

struct RunCommand {
    container::RunFlags flags;
    std::string isolation = "container";
    std::string vm_kernel;  // --vm-kernel, for --isolation vm
};

// Builds the one RunRequest (workload/run_request.h) and hands it to the
// backend of the chosen isolation: all the CLI decides is which.
int run_workload(RunCommand& command, std::vector<std::string> rest) {
    auto isolation = workload::parse_isolation(command.isolation);
    if (!isolation)
        return report(isolation.error());
    if (*isolation == workload::Isolation::container && !command.vm_kernel.empty())
        return report(Error::message("--vm-kernel needs --isolation vm"));
    container::RunFlags& flags = command.flags;
    Result<workload::RunRequest> request = Error::message("");
    if (flags.rootfs.empty() && !rest.empty()) {
        // Docker's grammar: twinbox run [OPTIONS] IMAGE [COMMAND] [ARG...]
        std::string reference = rest.front();
        flags.command.assign(rest.begin() + 1, rest.end());
        request = workload::build_run_request_for_image(flags, *isolation, reference);
    } else if (*isolation == workload::Isolation::vm) {
        return report(Error::message("--isolation vm needs an IMAGE to run"));
    } else {
        flags.command = std::move(rest);
        if (flags.rootfs.empty() && ::access(TWINBOX_GUEST_DIR "/rootfs/bin/sh", X_OK) == 0)
            flags.rootfs = TWINBOX_GUEST_DIR "/rootfs";
        if (flags.rootfs.empty())
            return report(
                Error::message(
                    "no --rootfs given and no default root file system at " TWINBOX_GUEST_DIR
                    "/rootfs")
                    .with_hint("build it with 'make guest-rootfs' or pass --rootfs DIR"));
        request = workload::build_run_request(flags, *isolation, nullptr);
    }
    if (!request)
        return report(request.error());
    request->vm_kernel = command.vm_kernel;
    auto backend = workload::make_backend(*isolation);
    if (auto ignored = backend->ignored_flags(*request); !ignored.empty())
        log::warn("{}", ignored);
    return report_or_status(backend->run(*request));
}

}  // namespace

void register_container_run(CLI::App& app, int& exit_code) {
    auto command = std::make_shared<RunCommand>();
    container::RunFlags& flags = command->flags;
    CLI::App* run = app.add_subcommand("run", "Run a command in a new container");
    run->footer(kExamples);
    // Everything after the first positional argument is the container's
    // command, even if it looks like a flag: twinbox run sh -c 'ls -l'.
    run->prefix_command();
    run->add_option("--rootfs", flags.rootfs,
                    "directory to use as the root (default: the busybox root built by guest/)");
    run->add_option("--isolation", command->isolation,
                    "container (the default) or vm: the same image in its own microVM");
    run->add_option(
        "--vm-kernel", command->vm_kernel,
        "with --isolation vm: the guest kernel (default: the build's minimal kernel if built, else the newest /boot/vmlinuz-*)");
    run->add_flag("-i,--interactive", flags.interactive, "keep stdin open");
    run->add_flag("-t,--tty", flags.tty, "allocate a terminal");
    run->add_flag("-d,--detach", flags.detach, "run in the background and print the container id");
    run->add_flag("--rm", flags.remove, "remove the container when it exits");
    run->add_option("--name", flags.name, "name the container");
    run->add_option("-e,--env", flags.env, "set an environment variable KEY=VALUE (or pass KEY)")
        ->allow_extra_args(false);
    run->add_option("-w,--workdir", flags.workdir, "working directory inside the container");
    run->add_option("-u,--user", flags.user, "UID[:GID] or NAME[:GROUP]");
    run->add_option("--hostname", flags.hostname, "host name inside the container");
    run->add_option("-v,--volume", flags.volumes, "bind mount HOST:CONTAINER[:ro]")
        ->allow_extra_args(false);
    run->add_option("--tmpfs", flags.tmpfs, "tmpfs mount PATH[:OPTIONS]")->allow_extra_args(false);
    run->add_option("-m,--memory", flags.memory, "memory limit, e.g. 64m (minimum 256k)");
    run->add_option("--memory-swap", flags.memory_swap, "memory+swap limit (-1: unlimited)");
    run->add_option("--cpus", flags.cpus, "CPUs the container may use, e.g. 1.5");
    run->add_option("--cpu-shares", flags.cpu_shares, "relative CPU weight (default 1024)");
    run->add_option("--pids-limit", flags.pids_limit, "most processes at once (-1: unlimited)");
    run->add_option("--cap-add", flags.cap_add, "add a capability (e.g. NET_ADMIN, ALL)")
        ->allow_extra_args(false);
    run->add_option("--cap-drop", flags.cap_drop, "drop a capability (e.g. MKNOD, ALL)")
        ->allow_extra_args(false);
    run->add_option("--security-opt", flags.security_opt,
                    "seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges")
        ->allow_extra_args(false);
    run->add_flag("--read-only", flags.read_only, "mount the root read-only");
    run->add_flag("--privileged", flags.privileged, "all capabilities, no seccomp, all devices");
    run->add_option("--ulimit", flags.ulimits, "resource limit NAME=SOFT[:HARD], e.g. nofile=1024")
        ->allow_extra_args(false);
    run->add_option("--oom-score-adj", flags.oom_score_adj,
                    "-1000..1000, the OOM killer's preference");
    run->add_flag("--init", flags.init,
                  "run a tiny init as PID 1 that reaps zombies and forwards signals");
    run->add_option(
           "--network,--net", flags.network,
           "none (a private loopback; the default), host, bridge (the default network twinbox0) or a network's name")
        ->default_val("none");
    run->add_option("-p,--publish", flags.publish,
                    "publish a port: [HOST_IP:]HOST_PORT:PORT[/tcp|udp] (with a bridge network)")
        ->allow_extra_args(false);
    run->callback([command, run, &exit_code] {
        // With prefix_command(), an unknown option ends the options and
        // would be taken for the image: name it instead (Docker: "unknown flag").
        if (auto rest = run->remaining();
            !rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-') {
            exit_code = report(Error::message(fmt::format("run: unknown flag {}", rest.front()))
                                   .with_hint("see 'twinbox run --help'"));
            return;
        }
        exit_code = run_workload(*command, run->remaining());
    });
}

}  // namespace twinbox::cli
