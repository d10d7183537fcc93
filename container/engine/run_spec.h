// From Docker's `run` flags to an OCI spec, as Docker hands containerd a
// config.json: start from oci::default_spec() and apply each flag. Pure
// computation (apart from reading a seccomp profile file or the root's
// /etc/passwd for -u NAME), so the unit tests check every flag.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "container/oci/spec.h"

namespace twinbox::container {

// The flags only a container honours: they shape its view of the host's
// kernel, and a VM, which has a kernel of its own, ignores them
// (workload/run_request.h carries them as they are, the rest resolved).
struct ContainerOnlyFlags {
    bool read_only = false;             // --read-only
    bool privileged = false;            // --privileged
    bool init = false;                  // --init
    std::string memory_swap;            // --memory-swap 128m | -1
    std::optional<int64_t> cpu_shares;  // --cpu-shares: 2..262144, 0 = the default
    std::optional<int64_t> pids_limit;  // --pids-limit: 0 and -1 = unlimited (Docker)
    std::optional<int> oom_score_adj;   // --oom-score-adj
    std::vector<std::string> cap_add, cap_drop;
    std::vector<std::string> security_opt;  // seccomp=unconfined|FILE, no-new-privileges
    std::vector<std::string> ulimits;       // nofile=1024:2048
};

// Docker's `run` flags as parsed: the container-only ones and the shared ones.
struct RunFlags : ContainerOnlyFlags {
    std::string rootfs;  // --rootfs DIR, or (with an image) the layer for -u NAME
    // From an image (host/image/image_rootfs.h): its unpacked layers,
    // topmost first, as overlayfs lower directories, and its id.
    std::vector<std::string> image_layers;
    std::string image;
    std::vector<std::string> command;  // empty: sh
    bool interactive = false;          // -i
    bool tty = false;                  // -t
    bool detach = false;               // -d
    bool remove = false;               // --rm
    std::string name;                  // --name
    std::string workdir;               // -w
    std::string user;                  // -u UID[:GID] or NAME
    std::string hostname;              // --hostname
    std::string network = "none";      // --network none|host|bridge|NAME
    std::vector<std::string> publish;  // -p [HOST_IP:]HOST_PORT:PORT[/tcp|udp]
    std::string memory;                // -m 64m
    std::optional<double> cpus;        // --cpus 1.5
    std::vector<std::string> env;      // -e K=V | -e K (from our environment)
    std::vector<std::string> volumes;  // -v HOST:CONTAINER[:ro]
    std::vector<std::string> tmpfs;    // --tmpfs PATH[:OPTIONS]
};

// Builds the spec for container `id`; `rootfs` is the directory that will be the root.
Result<oci::Spec> spec_from_run_flags(const RunFlags& flags, const std::string& id,
                                      const std::string& rootfs);

// Docker's memory words: "512m", "1g", "1048576" (a bare number is bytes).
Result<int64_t> parse_memory(const std::string& text, const char* flag);

}  // namespace twinbox::container
