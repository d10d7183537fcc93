// `--init`: a tiny PID 1 in the spirit of tini and docker-init.
//
// PID 1 has two duties other processes do not (pid_namespaces(7)): orphans
// are re-parented to it, so it must wait(2) for them or they stay zombies;
// and the kernel delivers it only the signals it has a handler for, so a
// program that never expected to be PID 1 ignores `docker stop`'s SIGTERM.
// This init forks the program, forwards every signal it receives to it,
// reaps whatever exits, and when the program exits, exits with its status.
#include <fmt/core.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/runtime/init_process.h"
#include "container/sys/sync_socket.h"

namespace twinbox::container {

void run_reaping_init(const std::string& path, char* const argv[], char* const envp[],
                      int sync_fd) {
    // Block every signal first, so none arrives between fork and sigwaitinfo.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    pid_t child = ::fork();
    if (child < 0)
        fail_and_exit(sync_fd, Error::from_errno("fork", "--init"));
    if (child == 0) {
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::setpgid(0, 0);
        ::execve(path.c_str(), argv, envp);
        int saved = errno;
        fail_and_exit(sync_fd, Error::from_errno("execve", path, saved)
                                   .with_exit_status(saved == ENOENT ? exit_code::kNotFound
                                                                     : exit_code::kNotExecutable));
    }
    // This process never calls execve, so its close-on-exec descriptors
    // (the sync socket, a supervisor's report socket...) would stay open for
    // the container's whole life, and whoever waits for them to close
    // would wait that long: close everything but stdin, stdout and stderr.
    (void)sync_fd;
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    for (;;) {
        siginfo_t info{};
        int signal = ::sigwaitinfo(&all, &info);
        if (signal < 0)
            continue;
        if (signal != SIGCHLD) {
            // To the program's process group, so its own children hear it too.
            ::kill(-child, signal);
            ::kill(child, signal);
            continue;
        }
        int status = 0;
        pid_t done;
        while ((done = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (done == child)
                ::_exit(WIFEXITED(status) ? WEXITSTATUS(status)
                                          : exit_code::kSignalBase + WTERMSIG(status));
        }
    }
}

}  // namespace twinbox::container
