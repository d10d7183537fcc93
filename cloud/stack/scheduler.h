// Running a set of tasks with dependencies on a small pool of threads: a task
// starts once every task it needs has finished, independent ones run at the
// same time (at most `workers`). After a failure no new task starts; those
// running finish, and the first error is returned.
#pragma once

#include <functional>
#include <vector>

#include "common/result.h"

namespace twinbox::cloud::stack {

// needs[i]: the tasks that must finish before task i (indexes below needs.size()).
Result<void> run_tasks(const std::vector<std::vector<size_t>>& needs,
                       const std::function<Result<void>(size_t)>& run, unsigned workers = 4);

}  // namespace twinbox::cloud::stack
