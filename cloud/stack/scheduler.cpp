// The bounded worker pool (scheduler.h).
#include "cloud/stack/scheduler.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace twinbox::cloud::stack {

Result<void> run_tasks(const std::vector<std::vector<size_t>>& needs,
                       const std::function<Result<void>(size_t)>& run, unsigned workers) {
    const size_t n = needs.size();
    std::mutex mutex;
    std::condition_variable wake;
    std::vector<int> state(n, 0);  // 0 waiting, 1 running, 2 done
    size_t running = 0, done = 0;
    std::optional<Error> failure;

    // The next task whose needs are all done, or n.
    auto next_ready = [&] {
        for (size_t i = 0; i < n; ++i) {
            if (state[i] != 0)
                continue;
            bool ready = true;
            for (size_t need : needs[i]) ready = ready && state[need] == 2;
            if (ready)
                return i;
        }
        return n;
    };
    auto worker = [&] {
        std::unique_lock lock(mutex);
        for (;;) {
            size_t task = n;
            wake.wait(lock, [&] {
                task = failure ? n : next_ready();
                return task < n || failure || done + running == n || running == 0;
            });
            if (task == n) {
                // Nothing can start: all done, a failure, or the rest waits on
                // running tasks (then wait again) or on a cycle (give up).
                if (failure || done + running == n || running == 0)
                    return;
                continue;
            }
            state[task] = 1;
            ++running;
            lock.unlock();
            Result<void> result = run(task);
            lock.lock();
            --running;
            state[task] = 2;
            ++done;
            if (!result && !failure)
                failure = std::move(result).error();
            wake.notify_all();
        }
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < std::max(1u, workers); ++i) threads.emplace_back(worker);
    for (auto& thread : threads) thread.join();
    if (failure)
        return std::move(*failure);
    if (done != n)
        return Error::message("tasks left that wait on each other (a dependency cycle)");
    return ok();
}

}  // namespace twinbox::cloud::stack
