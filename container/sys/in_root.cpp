// Resolving paths beneath a root descriptor (in_root.h): openat2(2) when
// the kernel has it, otherwise (and to create) a walk of openat(2) calls.
#include "container/sys/in_root.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <deque>
#include <vector>

namespace twinbox::container {

namespace {

// The kernel's limit on symbolic links in one lookup (MAXSYMLINKS, 40 since
// Linux 4.2); a loop ends here with ELOOP as it does in the kernel.
constexpr int kMaxSymlinks = 40;

enum class Create { nothing, directories, directories_and_file };

struct WalkOptions {
    Create create = Create::nothing;
    Symlinks symlinks = Symlinks::in_root;
    mode_t directory_mode = 0755;
    mode_t file_mode = 0644;
};

void push_components(std::deque<std::string>& todo, std::string_view path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos)
            slash = path.size();
        if (slash > start)
            parts.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
}

Error walk_error(std::string_view call, std::string_view path, std::string_view name, int err) {
    return Error::from_errno(fmt::format("{}({})", call, name),
                             fmt::format("{} beneath the root", path.empty() ? "/" : path), err);
}

// Creates `name` in `directory` as the walk's options ask; EEXIST is fine
// (someone else made it first: the next open looks at what is there).
Result<void> create_component(int directory, const std::string& name, bool last,
                              const WalkOptions& options, std::string_view path) {
    if (options.create == Create::nothing)
        return walk_error("openat", path, name, ENOENT);
    if (last && options.create == Create::directories_and_file) {
        int fd = ::openat(directory, name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, options.file_mode);
        if (fd < 0 && errno != EEXIST)
            return walk_error("openat(O_CREAT)", path, name, errno);
        if (fd >= 0)
            ::close(fd);
        return ok();
    }
    if (::mkdirat(directory, name.c_str(), options.directory_mode) < 0 && errno != EEXIST)
        return walk_error("mkdirat", path, name, errno);
    return ok();
}

Result<std::string> read_link(int fd, std::string_view path, const std::string& name) {
    std::vector<char> target(PATH_MAX + 1);
    ssize_t length = ::readlinkat(fd, "", target.data(), target.size());
    if (length < 0)
        return walk_error("readlinkat", path, name, errno);
    if (static_cast<size_t>(length) >= target.size())
        return walk_error("readlinkat", path, name, ENAMETOOLONG);
    return std::string(target.data(), static_cast<size_t>(length));
}

// The fd-relative walk: `stack` holds the descriptors of the directories
// from the root down to the current one, so ".." pops one and can never go
// above the root, and an absolute symbolic link empties it.
Result<UniqueFd> walk(int root, std::string_view path, const WalkOptions& options) {
    std::deque<std::string> todo;
    push_components(todo, path);
    std::vector<UniqueFd> stack;
    int links = 0;
    while (!todo.empty()) {
        std::string name = std::move(todo.front());
        todo.pop_front();
        if (name == ".")
            continue;
        if (name == "..") {
            if (!stack.empty())
                stack.pop_back();
            continue;
        }
        int directory = stack.empty() ? root : stack.back().get();
        bool last = todo.empty();
        UniqueFd next(::openat(directory, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!next && errno == ENOENT) {
            TRY(create_component(directory, name, last, options, path));
            next.reset(::openat(directory, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!next)
            return walk_error("openat", path, name, errno);
        struct stat status {};
        if (::fstat(next.get(), &status) < 0)
            return walk_error("fstat", path, name, errno);
        if (S_ISLNK(status.st_mode)) {
            if (options.symlinks == Symlinks::refuse || ++links > kMaxSymlinks)
                return walk_error("openat(O_NOFOLLOW)", path, name, ELOOP);
            std::string target = TRY(read_link(next.get(), path, name));
            if (target.starts_with("/"))
                stack.clear();
            push_components(todo, target);
            continue;
        }
        if (!last && !S_ISDIR(status.st_mode))
            return walk_error("openat", path, name, ENOTDIR);
        stack.push_back(std::move(next));
    }
    if (!stack.empty())
        return std::move(stack.back());
    UniqueFd self(::openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!self)
        return walk_error("openat", path, ".", errno);
    return self;
}

// openat2(2) with the same meaning as the walk. An empty descriptor with
// errno ENOSYS (kernel before 5.6) or EAGAIN (a rename raced with
// RESOLVE_IN_ROOT) sends the caller to the walk.
UniqueFd try_openat2(int root, std::string_view path, Symlinks symlinks) {
    size_t first = path.find_first_not_of('/');
    std::string relative(first == std::string_view::npos ? "." : path.substr(first));
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = symlinks == Symlinks::in_root ? RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
                                                : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    return UniqueFd(
        static_cast<int>(::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof(how))));
}

}  // namespace

Result<UniqueFd> open_root(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        return Error::from_errno("open(O_PATH)", path);
    return fd;
}

Result<UniqueFd> open_in_root(int root, std::string_view path, Symlinks symlinks) {
    UniqueFd fd = try_openat2(root, path, symlinks);
    if (fd)
        return fd;
    if (errno != ENOSYS && errno != EAGAIN && errno != EXDEV && errno != ENAMETOOLONG)
        return Error::from_errno("openat2", fmt::format("{} beneath the root", path));
    // EXDEV: RESOLVE_BENEATH met ".." above the root, which the walk clamps;
    // ENAMETOOLONG: longer than PATH_MAX, which the walk takes a name at a time.
    return walk(root, path, {Create::nothing, symlinks});
}

Result<UniqueFd> make_directories_in_root(int root, std::string_view path, mode_t mode,
                                          Symlinks symlinks) {
    UniqueFd fd = TRY(walk(root, path, {Create::directories, symlinks, mode}));
    struct stat status {};
    if (::fstat(fd.get(), &status) < 0)
        return Error::from_errno("fstat", path);
    if (!S_ISDIR(status.st_mode))
        return walk_error("mkdirat", path, path, ENOTDIR);
    return fd;
}

Result<InRootParent> parent_in_root(int root, std::string_view path, mode_t mode,
                                    Symlinks symlinks) {
    std::string_view trimmed = path;
    while (trimmed.ends_with("/")) trimmed.remove_suffix(1);
    size_t slash = trimmed.rfind('/');
    std::string name(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
    if (name.empty() || name == "." || name == "..")
        return Error::from_errno("parent", fmt::format("{}: no last component", path), EINVAL);
    std::string_view parent = slash == std::string_view::npos ? "" : trimmed.substr(0, slash);
    return InRootParent{TRY(make_directories_in_root(root, parent, mode, symlinks)),
                        std::move(name)};
}

Result<UniqueFd> make_file_in_root(int root, std::string_view path, mode_t mode,
                                   Symlinks symlinks) {
    return walk(root, path, {Create::directories_and_file, symlinks, 0755, mode});
}

std::string fd_path(int fd) {
    return fmt::format("/proc/self/fd/{}", fd);
}

Result<UniqueFd> reopen(int fd, int flags) {
    UniqueFd opened(::open(fd_path(fd).c_str(), flags | O_CLOEXEC));
    if (!opened)
        return Error::from_errno("open", fd_path(fd));
    return opened;
}

}  // namespace twinbox::container
