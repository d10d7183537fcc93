// A forked supervisor (a detached container's or VM's) outlives the command
// that forked it, and fork(2) copies every descriptor, O_CLOEXEC or not: the
// command's locks (flock(2) belongs to the open file description, so a copy
// keeps it locked), a server's listening socket (`twinbox cloud serve`
// starting an instance), state files. close_inherited_fds() is the first
// thing such a child does, keeping only stdio and what it names.
#pragma once

#include <initializer_list>

namespace twinbox {

// Closes every descriptor from 3 up except those in `keep`
// (close_range(2), or one close per entry of /proc/self/fd where the
// kernel lacks it).
void close_inherited_fds(std::initializer_list<int> keep = {});

}  // namespace twinbox
