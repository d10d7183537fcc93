// RUN steps in a twinbox container: the same create/start/wait that
// `twinbox run` does (container/engine/run.cpp), with the overlay's upper
// directory kept, since it becomes the layer.
#include "host/image/build_step_run.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "common/unique_fd.h"
#include "container/engine/paths.h"
#include "container/engine/run_spec.h"
#include "container/runtime/runtime.h"

namespace twinbox::image {

using container::create_container;
using container::CreateOptions;
using container::engine_paths;
using container::exit_status_of;
using container::force_cleanup;
using container::RunFlags;
using container::spec_from_run_flags;
using container::start_container;
using container::StateStore;
using container::wait_for_exec;

std::string layer_with(const std::vector<std::string>& lower_dirs, const std::string& relative) {
    for (const auto& dir : lower_dirs) {
        struct stat status {};
        if (::lstat((dir + "/" + relative).c_str(), &status) == 0)
            return S_ISCHR(status.st_mode) ? std::string() : dir;  // a whiteout hides it
    }
    return {};
}

namespace {

// Stdin is /dev/null while the step runs, as for `docker build`.
class NullStdin {
public:
    NullStdin() : m_saved(::dup(STDIN_FILENO)) {
        UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        ::dup2(null.get(), STDIN_FILENO);
    }
    ~NullStdin() {
        if (m_saved >= 0) {
            ::dup2(m_saved, STDIN_FILENO);
            ::close(m_saved);
        }
    }

private:
    int m_saved;
};

}  // namespace

Result<int> run_build_command(const BuildRun& run) {
    std::random_device random;
    std::string id = fmt::format("build-{:08x}{:04x}", random(), random() & 0xffff);
    RunFlags flags;
    flags.command = run.argv;
    flags.env = run.env;
    flags.workdir = run.working_dir.empty() ? "/" : run.working_dir;
    flags.user = run.user;
    flags.network = "none";
    std::string passwd_root = layer_with(run.lower_dirs, "etc/passwd");
    CreateOptions options;
    options.id = id;
    options.spec =
        TRY(spec_from_run_flags(flags, id, passwd_root.empty() ? run.mount_point : passwd_root)
                .with_context("RUN"));
    options.rootfs = run.mount_point;
    options.spec.root.path = run.mount_point;
    options.layers = {run.lower_dirs, run.upper_dir, run.work_dir};
    options.state_root = engine_paths().state_root;
    options.extras.name = id;
    options.extras.command = options.spec.process->args;
    NullStdin null_stdin;
    StateStore store(options.state_root);
    auto created = create_container(options);
    if (!created)
        return std::move(created).error().with_context("starting the RUN container");
    auto cleanup = [&] {
        if (auto state = store.load(id))
            (void)force_cleanup(store, *state);
    };
    if (auto started = start_container(store, id); !started) {
        auto last_words = wait_for_exec(created->sync.get());
        cleanup();
        ::waitpid(created->state.pid, nullptr, 0);
        return last_words ? std::move(started).error() : std::move(last_words).error();
    }
    if (auto executed = wait_for_exec(created->sync.get()); !executed) {
        cleanup();
        ::waitpid(created->state.pid, nullptr, 0);
        return std::move(executed).error();
    }
    int status = 0;
    while (::waitpid(created->state.pid, &status, 0) < 0 && errno == EINTR) {
    }
    cleanup();
    return exit_status_of(status);
}

}  // namespace twinbox::image
