// Paths resolved inside a root directory, never through a host path string.
//
// An image, a Dockerfile's build context and an image archive are written by
// someone else: any directory in them may be a symbolic link to "/etc" or
// "../../..". twinbox runs as root, so following such a link while writing a
// layer, creating a mount point or reading an archive member would touch the
// host. Every path that comes from an image or an archive is therefore
// resolved here, one component at a time, relative to an open descriptor of
// its root (DESIGN.md "Resolve every path inside its root"):
//
//   Symlinks::in_root  symbolic links are followed, but an absolute target
//                      starts again at the root and ".." stops at the root
//                      (openat2(2) RESOLVE_IN_ROOT; runc's securejoin does the
//                      same for mount destinations). A container sees the
//                      same file there as the host does beneath the root.
//   Symlinks::refuse   any symbolic link on the way is an error (ELOOP)
//                      (openat2(2) RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH).
//
// Existing paths are opened with openat2(2) where the kernel has it (5.6+);
// on ENOSYS, and whenever something must be created, the walk below does the
// same with openat(O_PATH | O_NOFOLLOW), readlinkat(2) and mkdirat(2) on the
// descriptor of each directory, so no step ever names a host path.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace twinbox::container {

enum class Symlinks { in_root, refuse };

// An O_PATH | O_DIRECTORY descriptor of `path`, the root of later lookups.
Result<UniqueFd> open_root(const std::string& path);

// An O_PATH descriptor of what `path` names beneath `root` ("/" or "" is the
// root itself; a leading "/" is allowed). The last component is followed too
// when it is a symbolic link (Symlinks::in_root).
Result<UniqueFd> open_in_root(int root, std::string_view path, Symlinks symlinks);

// mkdir -p beneath `root`: creates each missing directory with `mode`, and
// returns an O_PATH descriptor of the last one. A component that exists but
// is not a directory is an error (ENOTDIR).
Result<UniqueFd> make_directories_in_root(int root, std::string_view path, mode_t mode,
                                          Symlinks symlinks);

// The directory that will hold `path` (created like make_directories_in_root)
// and the last component's name, for the *at() call that creates or replaces
// it. The name is never "", "." or ".."; the root itself has no parent (EINVAL).
struct InRootParent {
    UniqueFd directory;  // O_PATH
    std::string name;
};
Result<InRootParent> parent_in_root(int root, std::string_view path, mode_t mode,
                                    Symlinks symlinks);

// An empty regular file at `path` beneath `root` (parents created with
// 0755), or what is already there; returns an O_PATH descriptor of it.
Result<UniqueFd> make_file_in_root(int root, std::string_view path, mode_t mode, Symlinks symlinks);

// "/proc/self/fd/N": a path that names exactly the object behind `fd`, for
// calls that take only a path (mount(2), reopening an O_PATH descriptor).
std::string fd_path(int fd);

// Reopens an O_PATH descriptor with real access `flags` (O_RDONLY...).
Result<UniqueFd> reopen(int fd, int flags);

}  // namespace twinbox::container
