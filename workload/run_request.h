// One `twinbox run`, whatever the isolation: the flags and the image's
// config resolved ONCE into a RunRequest, so that a container and a VM given
// the same flags run the same process (argv, environment, user, working
// directory) and a drift between them cannot make the comparison unfair.
//
//   flags (container::RunFlags) ─┐
//   image config (ENTRYPOINT, ...)├─▶ build_run_request() ─▶ RunRequest ─▶ Backend
//   the image's /etc/passwd ─────┘    (the rules, once)                   (backend.h)
//
// The rules (Docker's, docs/running.md):
//   command  ENTRYPOINT + (the CMD given, or else the image's CMD); none: sh
//   env      PATH (kDefaultPath unless the image or -e sets it), TERM=xterm
//            with -t, the image's Env, then -e in order; -e K=V sets, -e K
//            passes our own value (or nothing), -e =X and -e "" are refused
//   user     -u (or the image's User) resolved against the image's
//            /etc/passwd and /etc/group (host/image/image_user.h)
//   workdir  -w (or the image's WorkingDir) must be absolute; "" is /
//   -m       parsed once; each backend checks its own minimum
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "container/engine/run_spec.h"
#include "container/engine/volume_spec.h"
#include "host/image/image_rootfs.h"
#include "host/image/image_user.h"

namespace twinbox::workload {

enum class Isolation { container, vm };
const char* isolation_name(Isolation isolation);
// "container" or "vm"; anything else is an error naming the choices.
Result<Isolation> parse_isolation(const std::string& text);

using Volume = container::VolumeSpec;  // -v HOST:TARGET[:ro|rw], checked

struct Limits {
    std::string memory_text;              // -m as given ("" = none)
    std::optional<int64_t> memory_bytes;  // -m parsed (-1 = unlimited)
    std::optional<double> cpus;           // --cpus
};

struct RunRequest {
    Isolation isolation = Isolation::container;
    // What runs: an image (reference, id, layers BOTTOM FIRST), or a root
    // directory (--rootfs, containers only).
    std::string image_reference, image_id;
    std::vector<std::string> image_layers;
    std::string rootfs;

    std::vector<std::string> command;  // argv, never empty
    std::vector<std::string> env;      // KEY=VALUE, each KEY once, PATH first
    std::string user;                  // -u or the image's User, as given ("" = root)
    image::UserIds ids;                // `user` resolved
    std::string workdir;               // absolute; "" = the image's or /
    std::string hostname;              // --hostname ("" = the backend's default)
    Limits limits;
    std::vector<Volume> volumes;
    std::vector<std::string> tmpfs;    // --tmpfs PATH[:OPTIONS]
    std::string network = "none";      // --network none|host|bridge|NAME
    std::vector<std::string> publish;  // -p, checked by the backend that sets them up
    bool tty = false, interactive = false, detach = false, remove = false;
    std::string name;       // --name ("" = the id)
    std::string vm_kernel;  // --vm-kernel (VMs only)
    // Flags only a container honours (capabilities, seccomp, --read-only,
    // --init, ulimits, pids, cpu shares, swap, OOM score): a VM has its own
    // kernel and says so in one line (vm_backend.h, ignored_vm_flags).
    container::ContainerOnlyFlags container_only;
};

// Builds the request from the parsed flags (flags.command is CMD, without the
// image) and the image, if any (nullptr: flags.rootfs is the root).
Result<RunRequest> build_run_request(const container::RunFlags& flags, Isolation isolation,
                                     const image::PreparedImage* image);

// The image `reference` from the store (host/image/image_rootfs.h,
// prepare_image), then build_run_request.
Result<RunRequest> build_run_request_for_image(const container::RunFlags& flags,
                                               Isolation isolation, const std::string& reference);

// The -e rule alone: `image_env` then `given`, resolved (see above).
Result<std::vector<std::string>> resolve_env(const std::vector<std::string>& image_env,
                                             const std::vector<std::string>& given, bool tty);

}  // namespace twinbox::workload
