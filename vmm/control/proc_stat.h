// Reading /proc/PID/stat and /proc/PID/task/TID/stat (proc(5)): how much CPU
// a thread used and when a process started. `twinbox top` turns the vCPU
// threads' CPU time into "vCPU %", and the VM registry uses the start time to
// tell a live VMM from a dead one whose PID was reused.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twinbox {

struct ProcStat {
    char state = '?';           // field 3: R, S, D, Z (zombie), ...
    uint64_t user_ticks = 0;    // field 14 utime, in clock ticks (sysconf(_SC_CLK_TCK))
    uint64_t system_ticks = 0;  // field 15 stime
    uint64_t start_ticks = 0;   // field 22 starttime, clock ticks since boot
};

// Parses the text of a stat file. The command name (field 2) may hold spaces
// and parentheses, so fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);
std::optional<ProcStat> read_proc_stat(const std::string& path);

// utime + stime of a thread of this process, in seconds; nullopt if it has gone.
std::optional<double> thread_cpu_seconds(pid_t tid);

// The same from an open /proc/.../stat file (pread at offset 0: no open(2),
// which the control thread's seccomp filter forbids).
std::optional<double> thread_cpu_seconds_from(int stat_fd);

// The start time of a live process (not a zombie), or 0 if there is none.
uint64_t live_process_start(pid_t pid);

}  // namespace twinbox
