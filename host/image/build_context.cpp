// .dockerignore matching and COPY: resolving, checksumming and copying the
// sources (build_context.h).
#include "host/image/build_context.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

#include "common/unique_fd.h"
#include "container/sys/in_root.h"
#include "host/image/digest.h"

namespace twinbox::image {

using container::InRootParent;
using container::make_directories_in_root;
using container::open_root;
using container::reopen;
using container::Symlinks;

namespace fs = std::filesystem;

DockerIgnore DockerIgnore::from_text(const std::string& text) {
    DockerIgnore ignore;
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        bool exception = line[0] == '!';
        std::string pattern = fs::path(exception ? line.substr(1) : line).lexically_normal();
        while (pattern.starts_with("/")) pattern.erase(0, 1);
        while (pattern.size() > 1 && pattern.ends_with("/")) pattern.pop_back();
        if (!pattern.empty() && pattern != ".")
            ignore.m_patterns.emplace_back(pattern, exception);
    }
    return ignore;
}

Result<DockerIgnore> DockerIgnore::load(const std::string& context) {
    std::ifstream in(context + "/.dockerignore");
    if (!in)
        return DockerIgnore{};
    std::stringstream text;
    text << in.rdbuf();
    return from_text(text.str());
}

bool DockerIgnore::ignored(const std::string& relative) const {
    bool result = false;
    for (const auto& [pattern, exception] : m_patterns) {
        // A pattern matches the path or any directory above it ("build" hides build/x).
        bool matched = false;
        std::string prefix;
        for (size_t at = 0; !matched && at != std::string::npos;) {
            size_t slash = relative.find('/', at);
            prefix = relative.substr(0, slash);
            if (pattern.find("**") != std::string::npos)
                matched = ::fnmatch(pattern.c_str(), prefix.c_str(), 0) == 0;
            else
                matched = ::fnmatch(pattern.c_str(), prefix.c_str(), FNM_PATHNAME) == 0;
            at = slash == std::string::npos ? slash : slash + 1;
        }
        if (matched)
            result = !exception;
    }
    return result;
}

namespace {

Error outside(const std::string& source) {
    return Error::message(fmt::format("COPY {}: the source is outside the build context", source))
        .with_hint("COPY takes files from the directory given to 'twinbox build'");
}

// Visits `source` and everything below it that .dockerignore keeps, in name order.
Result<void> walk(
    const CopySource& source, const DockerIgnore& ignore,
    const std::function<Result<void>(const std::string& below, const std::string& path,
                                     const struct stat&)>& visit) {
    std::function<Result<void>(const std::string&, const std::string&)> one =
        [&](const std::string& below, const std::string& path) -> Result<void> {
        struct stat status {};
        if (::lstat(path.c_str(), &status) < 0)
            return Error::from_errno("lstat", path);
        std::string relative = source.relative + (below.empty() ? "" : "/" + below);
        bool ignored = !below.empty() && ignore.ignored(relative);
        if (ignored && !S_ISDIR(status.st_mode))
            return ok();
        // An ignored directory is not copied, but a "!" exception may keep
        // something inside it, so it is still walked.
        if (!ignored)
            TRY(visit(below, path, status));
        if (!S_ISDIR(status.st_mode))
            return ok();
        std::vector<std::string> names;
        std::error_code error;
        for (const auto& item : fs::directory_iterator(path, error))
            names.push_back(item.path().filename().string());
        if (error)
            return Error::from_errno("readdir", path, error.value());
        std::sort(names.begin(), names.end());
        for (const auto& name : names)
            TRY(one(below.empty() ? name : below + "/" + name, path + "/" + name));
        return ok();
    };
    return one("", source.path);
}

}  // namespace

Result<std::vector<CopySource>> resolve_copy_sources(const std::string& context,
                                                     const std::vector<std::string>& sources,
                                                     const DockerIgnore& ignore) {
    std::error_code error;
    fs::path root = fs::canonical(context, error);
    if (error)
        return Error::from_errno("realpath", context, error.value());
    std::vector<CopySource> resolved;
    for (const auto& source : sources) {
        // "data/" and "./data" are "data": no trailing separator in what .dockerignore sees.
        std::string cleaned = (root / fs::path(source).relative_path()).lexically_normal().string();
        while (cleaned.size() > 1 && cleaned.ends_with("/")) cleaned.pop_back();
        fs::path joined = cleaned;
        std::string relative = joined.lexically_relative(root).string();
        if (relative.starts_with(".."))
            return outside(source);
        std::vector<std::string> matches;
        if (source.find_first_of("*?[") != std::string::npos) {
            glob_t found{};
            if (::glob(joined.c_str(), 0, nullptr, &found) == 0)
                for (size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
            ::globfree(&found);
        } else if (fs::exists(fs::symlink_status(joined))) {
            matches.push_back(joined.string());
        }
        size_t before = resolved.size();
        for (const auto& match : matches) {
            // Symbolic links inside the context must not lead out of it.
            fs::path real = fs::weakly_canonical(match, error);
            if (error || real.lexically_relative(root).string().starts_with(".."))
                return outside(source);
            std::string rel = fs::path(match).lexically_relative(root).string();
            if (rel == ".")
                rel = "";
            if (!rel.empty() && ignore.ignored(rel))
                continue;
            resolved.push_back({real.string(), rel, fs::is_directory(real)});
        }
        if (resolved.size() == before)
            return Error::message(fmt::format("COPY {}: no such file in the build context", source))
                .with_hint("check the path (relative to the build directory) and .dockerignore");
    }
    return resolved;
}

Result<std::string> checksum_sources(const std::vector<CopySource>& sources,
                                     const DockerIgnore& ignore) {
    Sha256 hash;
    for (const auto& source : sources) {
        hash.update(fmt::format("source {}\n", source.relative));
        TRY(walk(source, ignore,
                 [&](const std::string& below, const std::string& path,
                     const struct stat& status) -> Result<void> {
                     hash.update(fmt::format("{} {:o}\n", below, status.st_mode));
                     if (S_ISREG(status.st_mode))
                         hash.update(TRY(digest_of_file(path)) + "\n");
                     else if (S_ISLNK(status.st_mode))
                         hash.update(fs::read_symlink(path).string() + "\n");
                     return ok();
                 }));
    }
    return "sha256:" + hash.hex();
}

namespace {

// The entry at `name` in `directory`, unless it is a directory, is removed
// so that the copy replaces it: an earlier entry of this COPY may be a
// symbolic link, and writing through it would write wherever it points
// (BuildKit's copy removes a file or link it is about to replace, too).
Result<void> remove_non_directory(const InRootParent& parent, const std::string& to) {
    struct stat status {};
    if (::fstatat(parent.directory.get(), parent.name.c_str(), &status, AT_SYMLINK_NOFOLLOW) < 0)
        return ok();
    if (!S_ISDIR(status.st_mode) && ::unlinkat(parent.directory.get(), parent.name.c_str(), 0) < 0)
        return Error::from_errno("unlinkat", to);
    return ok();
}

Result<void> copy_bytes(int in, int out, const std::string& from) {
    std::vector<char> buffer(1 << 16);
    for (;;) {
        ssize_t got = ::read(in, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return Error::from_errno("read", from);
        if (got == 0)
            return ok();
        for (ssize_t done = 0; done < got;) {
            ssize_t put = ::write(out, buffer.data() + done, static_cast<size_t>(got - done));
            if (put < 0 && errno == EINTR)
                continue;
            if (put < 0)
                return Error::from_errno("write", from);
            done += put;
        }
    }
}

// Owner, mode and time of a copied file or directory, on its descriptor.
Result<void> set_attributes(int fd, const struct stat& status, const CopyTarget& target,
                            const std::string& to) {
    // chown first: it clears the set-user-ID bits that the mode may set.
    if (::fchown(fd, target.uid, target.gid) < 0)
        return Error::from_errno("fchown", to);
    if (::fchmod(fd, target.mode ? *target.mode : (status.st_mode & 07777)) < 0)
        return Error::from_errno("fchmod", to);
    timespec times[2] = {status.st_mtim, status.st_mtim};
    if (::futimens(fd, times) < 0)
        return Error::from_errno("futimens", to);
    return ok();
}

Result<void> copy_file_entry(int root, const std::string& from, const std::string& to,
                             const struct stat& status, const CopyTarget& target) {
    // The source is opened without following a link and must still be the
    // regular file that the walk saw (no FIFO to block on, no swapped link).
    UniqueFd in(::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat opened {};
    if (!in || ::fstat(in.get(), &opened) < 0)
        return Error::from_errno("open", from);
    if (!S_ISREG(opened.st_mode))
        return Error::message(fmt::format("COPY: {} changed while it was copied", from));
    InRootParent parent = TRY(parent_in_root(root, to, 0755, Symlinks::in_root));
    TRY(remove_non_directory(parent, to));
    UniqueFd out(::openat(parent.directory.get(), parent.name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out)
        return Error::from_errno("openat(O_CREAT)", to);
    TRY(copy_bytes(in.get(), out.get(), from));
    return set_attributes(out.get(), status, target, to);
}

Result<void> copy_symlink_entry(int root, const std::string& from, const std::string& to,
                                const CopyTarget& target) {
    std::error_code error;
    std::string link = fs::read_symlink(from, error).string();
    if (error)
        return Error::from_errno("readlink", from, error.value());
    InRootParent parent = TRY(parent_in_root(root, to, 0755, Symlinks::in_root));
    TRY(remove_non_directory(parent, to));
    if (::symlinkat(link.c_str(), parent.directory.get(), parent.name.c_str()) < 0)
        return Error::from_errno("symlinkat", to);
    if (::fchownat(parent.directory.get(), parent.name.c_str(), target.uid, target.gid,
                   AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_errno("fchownat", to);
    return ok();
}

// `to` is a path in the image ("/app/x"), written beneath the layer's root
// descriptor: nothing in it, and no link copied before it, leads out.
Result<void> copy_entry(int root, const std::string& from, const std::string& to,
                        const struct stat& status, const CopyTarget& target) {
    if (S_ISREG(status.st_mode))
        return copy_file_entry(root, from, to, status, target);
    if (S_ISLNK(status.st_mode))
        return copy_symlink_entry(root, from, to, target);
    if (!S_ISDIR(status.st_mode))
        return ok();  // sockets, fifos, devices: Docker skips them too
    UniqueFd directory = TRY(make_directories_in_root(root, to, 0755, Symlinks::in_root));
    UniqueFd opened = TRY(reopen(directory.get(), O_RDONLY | O_DIRECTORY));
    return set_attributes(opened.get(), status, target, to);
}

}  // namespace

Result<void> copy_sources(const std::vector<CopySource>& sources, const DockerIgnore& ignore,
                          const CopyTarget& target) {
    UniqueFd root = TRY(open_root(target.root));
    const std::string& dest = target.destination;
    for (const auto& source : sources) {
        // A directory's contents go into dest; a file goes to dest, or into it.
        std::string base = dest;
        if (!source.directory && target.into_directory)
            base = dest + "/" + fs::path(source.path).filename().string();
        TRY(walk(source, ignore,
                 [&](const std::string& below, const std::string& path,
                     const struct stat& status) -> Result<void> {
                     return copy_entry(root.get(), path, below.empty() ? base : base + "/" + below,
                                       status, target)
                         .with_context(fmt::format("COPY {}", source.relative));
                 }));
    }
    return ok();
}

}  // namespace twinbox::image
