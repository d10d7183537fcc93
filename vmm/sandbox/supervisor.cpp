// The parent side of the VMM sandbox; see supervisor.h.
#include "vmm/sandbox/supervisor.h"

#include <fmt/core.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "common/exit_codes.h"
#include "common/log.h"
#include "vmm/control/registry.h"

namespace twinbox::sandbox {

namespace {

[[noreturn]] void run_child(pid_t parent, const sigset_t& mask, const std::function<int()>& vmm) {
    // If twinbox is SIGKILLed, the VM goes with it (and the check after the
    // prctl covers a parent that died before it).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(exit_code::kTwinboxError);
    // SIGINT/SIGTERM/SIGHUP stay blocked: Machine::run() reads them from a
    // signalfd, so one that arrives while the VM is built is served, not lost.
    sigset_t child_mask = mask;
    sigdelset(&child_mask, SIGCHLD);
    ::pthread_sigmask(SIG_SETMASK, &child_mask, nullptr);
    int status = vmm();
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(status);  // never the parent's destructors or atexit handlers
}

Result<int> describe(int wait_status) {
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    int signal = WTERMSIG(wait_status);
    if (signal == SIGSYS)
        return Error::message(
                   "the VMM was killed by its seccomp sandbox (SIGSYS): a thread made a forbidden system call")
            .with_hint("--no-seccomp turns the sandbox off for debugging");
    // The signals a user sends to stop the VM are an ordinary end; another is news.
    if (signal != SIGINT && signal != SIGTERM && signal != SIGHUP && signal != SIGKILL)
        return Error::message(
                   fmt::format("the VMM died of signal {} ({})", signal, strsignal(signal)))
            .with_exit_status(exit_code::for_signal(signal));
    return exit_code::for_signal(signal);
}

}  // namespace

Result<int> run_supervised(const std::function<int()>& vmm) {
    sigset_t handled;
    sigemptyset(&handled);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&handled, signal);
    sigset_t previous;
    ::pthread_sigmask(SIG_BLOCK, &handled, &previous);
    std::optional<termios> terminal;
    if (termios saved{}; ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0)
        terminal = saved;

    std::fflush(stdout);
    std::fflush(stderr);
    pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child < 0) {
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        return Error::from_errno("fork", "starting the sandboxed VMM");
    }
    if (child == 0) {
        sigset_t mask = previous;
        for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, signal);
        run_child(parent, mask, vmm);
    }

    int wait_status = 0;
    for (;;) {
        siginfo_t info{};
        int signal = ::sigwaitinfo(&handled, &info);
        if (signal < 0)
            continue;  // EINTR from a signal outside the set
        if (signal != SIGCHLD) {
            ::kill(child, signal);  // the VMM stops the guest and exits 128+N
            continue;
        }
        pid_t done = ::waitpid(child, &wait_status, WNOHANG);
        if (done == child)
            break;
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (terminal)
        ::tcsetattr(STDIN_FILENO, TCSANOW, &*terminal);  // after a VMM that died in raw mode
    // The filtered VMM leaves its registry entry (and control socket) behind;
    // listing removes entries whose process has gone.
    [[maybe_unused]] auto live = VmRegistry::open_default().list();
    return describe(wait_status);
}

}  // namespace twinbox::sandbox
