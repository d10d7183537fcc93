// VmConfig: everything `twinbox vm run` was asked for, in one plain struct
// that the command line fills and Machine::create() checks and builds from.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/exit_codes.h"
#include "vmm/arch/x86_64/boot_entry.h"
#include "vmm/virtio/options.h"

namespace twinbox {

enum class SerialOutput { stdio, file, none };
class ByteSink;

// Which console the guest gets: the 16550A UART (always present) or virtio-console too.
enum class ConsoleKind { serial, virtio };

// How a --kernel is booted: PVH when the image is an ELF vmlinux with the Xen
// PVH entry note (vmm/boot/pvh.h), the Linux 64-bit boot protocol for a
// bzImage (vmm/boot/bzimage.h), or forced either way (--boot).
enum class LinuxBootProtocol { automatic, pvh, bzimage };

struct VmConfig {
    // What to boot: exactly one of kernel, multiboot, flat.
    std::string kernel;  // Linux bzImage or PVH vmlinux (--kernel)
    LinuxBootProtocol boot_protocol = LinuxBootProtocol::automatic;  // --boot
    std::string initrd;                    // initramfs for the kernel (--initrd)
    std::string multiboot;                 // Multiboot v1 ELF kernel (--multiboot)
    std::vector<std::string> modules;      // multiboot modules: "FILE[ ARGS]" (--module)
    std::string flat;                      // flat binary (--flat)
    CpuMode flat_mode = CpuMode::real;     // --mode real|long
    std::optional<uint64_t> flat_address;  // --load-address
    std::string command_line;              // --cmdline

    uint32_t cpus = 1;
    uint64_t memory = 256ull << 20;

    std::vector<DiskConfig> disks;              // vda, vdb, ... in order
    std::vector<NetConfig> nets;                // eth0, eth1, ...
    ConsoleKind console = ConsoleKind::serial;  // --console serial|virtio
    // Whether twinbox's stdin goes to the guest's console (hvc0 with virtio,
    // else the UART), in raw mode when it is a terminal. Unset: when the
    // serial console is on stdio (`vm run`); `run --isolation vm` sets it for -i.
    std::optional<bool> console_input;
    // With console_input: stdin as the guest agent's 'I' frames and an empty
    // one at its end, not keystrokes (ConsoleInput in console.h): `run -i`
    // without -t, whose command gets a pipe and so sees end-of-file.
    bool console_input_frames = false;
    bool rng = true;  // virtio-rng (--no-rng to leave it out)
    // A second virtio-console for the guest agent's exec channel, right after
    // the console (the agent opens it as /dev/hvc1), served on agent.sock in
    // the VM's registry directory (vmm/agent/agent_channel.h).
    bool agent_channel = false;

    // Named blobs for the guest on fw_cfg ("opt/twinbox/run" for the guest agent).
    std::vector<std::pair<std::string, std::vector<uint8_t>>> fw_cfg_files;

    SerialOutput serial = SerialOutput::stdio;
    std::string serial_file;  // with SerialOutput::file
    // When set, the UART writes here instead (`twinbox vm step` shows the output per instruction).
    std::shared_ptr<ByteSink> serial_sink;
    std::string dump_acpi_directory;  // --dump-acpi DIR
    bool trace_exits = false;         // --trace-exits[=FILE]: one line per exit
    std::string trace_file;           // empty: stderr
    bool exit_stats = false;          // --exit-stats: a table of exits at the end
    std::string name;                 // --name: the VM's name in the registry (empty: random)
    // Each VMM thread installs its seccomp allow-list (vmm/sandbox/seccomp_filter.h).
    // Only for a machine run under sandbox::run_supervised(): the filtered process
    // leaves its registry entry and control socket for the parent to remove.
    bool seccomp = false;

    // When `twinbox vm run` started, for the boot-time marker.
    std::chrono::steady_clock::time_point start_time = std::chrono::steady_clock::now();
};

}  // namespace twinbox
