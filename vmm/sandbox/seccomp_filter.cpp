// Building and loading the per-thread filters of seccomp_filter.h with
// libseccomp, and the SIGSYS reporter that turns a trapped call into one line.
#include "vmm/sandbox/seccomp_filter.h"

#include <fmt/core.h>
#include <seccomp.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "common/exit_codes.h"
#include "common/lazy/lazy.h"

namespace twinbox::sandbox {

namespace {

struct ContextDeleter {
    void operator()(void* context) const { seccomp_release(context); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

Result<Context> build(ThreadRole role) {
    // SCMP_ACT_TRAP: the call does not run; the kernel sends SIGSYS with the
    // call number in si_syscall (seccomp(2), SECCOMP_RET_TRAP).
    Context context(seccomp_init(SCMP_ACT_TRAP));
    if (!context)
        return Error::message("seccomp_init failed (is libseccomp usable?)");
    for (const SyscallRule& rule : rules_for(role)) {
        int number = seccomp_syscall_resolve_name(rule.name);
        if (number == __NR_SCMP_ERROR)
            return Error::message(fmt::format("seccomp: unknown system call {}", rule.name));
        int result;
        if (rule.argument) {
            scmp_arg_cmp compare{*rule.argument, SCMP_CMP_MASKED_EQ, rule.mask, rule.value};
            result = seccomp_rule_add_array(context.get(), SCMP_ACT_ALLOW, number, 1, &compare);
        } else {
            result = seccomp_rule_add_array(context.get(), SCMP_ACT_ALLOW, number, 0, nullptr);
        }
        if (result < 0)
            return Error::from_errno("seccomp_rule_add",
                                     fmt::format("{} filter, {}", role_name(role), rule.name),
                                     -result);
    }
    return context;
}

// --- The SIGSYS reporter ------------------------------------------------------
// The handler may only use async-signal-safe calls (signal-safety(7)), and only
// calls every filter allows (write, exit_group). So names are looked up from a
// table filled before the first filter is loaded, and the line is assembled by hand.

constexpr size_t kNameCount = 512;  // x86-64 system call numbers are below this
std::array<char[28], kNameCount> g_names{};
thread_local ThreadRole t_role = ThreadRole::console;
thread_local bool t_filtered = false;

void append(char* line, size_t& used, size_t capacity, const char* text) {
    while (*text != '\0' && used + 1 < capacity) line[used++] = *text++;
}

void append_number(char* line, size_t& used, size_t capacity, long value) {
    char digits[24];
    size_t count = 0;
    unsigned long magnitude = value < 0 ? 0ul - static_cast<unsigned long>(value) : value;
    do {
        digits[count++] = static_cast<char>('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0 && count < sizeof(digits));
    if (value < 0 && used + 1 < capacity)
        line[used++] = '-';
    while (count > 0 && used + 1 < capacity) line[used++] = digits[--count];
}

void report_sigsys(int, siginfo_t* info, void*) {
    char line[256];
    size_t used = 0;
    int number = info->si_syscall;
    append(line, used, sizeof line, "twinbox: the VMM's ");
    append(line, used, sizeof line, t_filtered ? role_name(t_role).data() : "unknown");
    append(line, used, sizeof line, " thread made system call ");
    append_number(line, used, sizeof line, number);
    if (number >= 0 && static_cast<size_t>(number) < kNameCount && g_names[number][0] != '\0') {
        append(line, used, sizeof line, " (");
        append(line, used, sizeof line, g_names[number]);
        append(line, used, sizeof line, ")");
    }
    append(
        line, used, sizeof line,
        ", which its seccomp sandbox forbids; VM stopped (--no-seccomp turns the sandbox off for debugging)\n");
    [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, line, used);
    ::_exit(exit_code::kTwinboxError);
}

Result<void> install_reporter_once() {
    static std::once_flag once;
    static int error = 0;
    std::call_once(once, [] {
        for (size_t number = 0; number < kNameCount; ++number) {
            char* name =
                seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(number));
            if (name != nullptr) {
                std::snprintf(g_names[number], sizeof g_names[number], "%s", name);
                std::free(name);
            }
        }
        struct sigaction action {};
        action.sa_sigaction = report_sigsys;
        action.sa_flags = SA_SIGINFO;
        sigemptyset(&action.sa_mask);
        if (::sigaction(SIGSYS, &action, nullptr) < 0)
            error = errno;
    });
    if (error != 0)
        return Error::from_errno("sigaction(SIGSYS)", "the seccomp reporter", error);
    return ok();
}

}  // namespace

Result<std::vector<uint8_t>> export_filter(ThreadRole role) {
    Context context = TRY(build(role));
    // seccomp_export_bpf writes to an fd: a pipe would block on large filters, so
    // go through an anonymous temporary file.
    std::FILE* file = std::tmpfile();
    if (file == nullptr)
        return Error::from_errno("tmpfile", "exporting the seccomp filter");
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(file, std::fclose);
    int result = seccomp_export_bpf(context.get(), ::fileno(file));
    if (result < 0)
        return Error::from_errno("seccomp_export_bpf", std::string(role_name(role)), -result);
    std::vector<uint8_t> program;
    long size = ::lseek(::fileno(file), 0, SEEK_END);
    if (size < 0)
        return Error::from_errno("lseek", "exporting the seccomp filter");
    program.resize(static_cast<size_t>(size));
    if (::pread(::fileno(file), program.data(), program.size(), 0) != size)
        return Error::from_errno("pread", "exporting the seccomp filter");
    return program;
}

Result<void> install_thread_filter(ThreadRole role) {
    TRY(install_reporter_once());
    Context context = TRY(build(role));
    // The allow-list has no openat or mmap for the dynamic loader: functions
    // of the lazily loaded libraries this VMM uses already (liburing,
    // capstone) are bound now, so no first call happens under the filter.
    twinbox_lazy_bind_loaded();
    t_role = role;
    t_filtered = true;
    int result = seccomp_load(context.get());
    if (result < 0) {
        t_filtered = false;
        return Error::from_errno("seccomp_load", fmt::format("{} thread", role_name(role)), -result)
            .with_hint("run with --no-seccomp on a kernel without seccomp filters");
    }
    return ok();
}

}  // namespace twinbox::sandbox
