// Reading a container's namespaces, mounts and processes from /proc (see introspect.h).
#include "container/engine/introspect.h"

#include <dirent.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fstream>
#include <sstream>

namespace twinbox::container {

namespace {

// Reads a small /proc file as text; /proc files report size 0, so read to EOF.
Result<std::string> read_proc_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error::from_errno("open", path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Result<std::string> read_link(const std::string& path) {
    char target[PATH_MAX];
    ssize_t length = ::readlink(path.c_str(), target, sizeof(target) - 1);
    if (length < 0)
        return Error::from_errno("readlink", path);
    return std::string(target, static_cast<size_t>(length));
}

// mountinfo escapes space, tab, newline and backslash as \ooo (octal).
std::string unescape_octal(const std::string& field) {
    auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 4 <= field.size() && is_octal(field[i + 1]) &&
            is_octal(field[i + 2]) && is_octal(field[i + 3])) {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                     (field[i + 3] - '0'));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

// The innermost PID from the "NSpid:" line of /proc/PID/status (0 if absent).
pid_t innermost_pid(pid_t pid) {
    auto status = read_proc_file(fmt::format("/proc/{}/status", pid));
    if (!status)
        return 0;
    std::istringstream lines(*status);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("NSpid:", 0) != 0)
            continue;
        std::istringstream fields(line.substr(6));
        pid_t value = 0, last = 0;
        while (fields >> value) last = value;
        return last;
    }
    return 0;
}

std::string command_line(pid_t pid) {
    auto text = read_proc_file(fmt::format("/proc/{}/cmdline", pid));
    if (!text || text->empty()) {
        // Kernel threads and zombies have no command line; show the name in brackets, as ps does.
        auto comm = read_proc_file(fmt::format("/proc/{}/comm", pid));
        std::string name = comm ? *comm : "?";
        if (!name.empty() && name.back() == '\n')
            name.pop_back();
        return "[" + name + "]";
    }
    std::string joined = *text;
    while (!joined.empty() && joined.back() == '\0') joined.pop_back();
    std::replace(joined.begin(), joined.end(), '\0', ' ');
    return joined;
}

// The children of every thread of `pid` (/proc/PID/task/TID/children, Linux 3.5+).
std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> children;
    std::string task_dir = fmt::format("/proc/{}/task", pid);
    DIR* dir = ::opendir(task_dir.c_str());
    if (dir == nullptr)
        return children;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.')
            continue;
        auto text = read_proc_file(task_dir + "/" + entry->d_name + "/children");
        if (!text)
            continue;
        std::istringstream fields(*text);
        pid_t child = 0;
        while (fields >> child) children.push_back(child);
    }
    ::closedir(dir);
    std::sort(children.begin(), children.end());
    return children;
}

void walk(pid_t pid, pid_t parent, int depth, std::vector<ProcessView>& out) {
    // A bound on depth and count: a container can fork faster than we read,
    // and a PID reused mid-walk must not send us around a cycle.
    if (depth > 64 || out.size() > 4096)
        return;
    out.push_back({pid, innermost_pid(pid), parent, depth, command_line(pid)});
    for (pid_t child : children_of(pid)) walk(child, pid, depth + 1, out);
}

}  // namespace

const std::vector<std::string>& namespace_types() {
    static const std::vector<std::string> types = {"cgroup", "ipc",  "mnt",  "net",
                                                   "pid",    "time", "user", "uts"};
    return types;
}

Result<uint64_t> parse_namespace_link(const std::string& link) {
    auto open = link.find(":[");
    if (open == std::string::npos || link.empty() || link.back() != ']')
        return Error::message(fmt::format("unexpected namespace link \"{}\"", link));
    std::string digits = link.substr(open + 2, link.size() - open - 3);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit))
        return Error::message(fmt::format("unexpected namespace link \"{}\"", link));
    return std::stoull(digits);
}

Result<std::vector<NamespaceView>> read_namespaces(pid_t pid, pid_t host_pid) {
    if (host_pid == 0)
        host_pid = ::getpid();
    std::vector<NamespaceView> views;
    for (const auto& type : namespace_types()) {
        auto mine = read_link(fmt::format("/proc/{}/ns/{}", pid, type));
        if (!mine) {
            if (mine.error().code() == ENOENT &&
                ::access(fmt::format("/proc/{}", pid).c_str(), F_OK) == 0)
                continue;  // the kernel has no such namespace type
            return std::move(mine).error().with_context("reading the container's namespaces");
        }
        auto host = read_link(fmt::format("/proc/{}/ns/{}", host_pid, type));
        if (!host)
            return std::move(host).error().with_context("reading the host's namespaces");
        auto inode = parse_namespace_link(*mine);
        auto host_inode = parse_namespace_link(*host);
        if (!inode)
            return inode.release_error();
        if (!host_inode)
            return host_inode.release_error();
        views.push_back({type, *inode, *host_inode});
    }
    return views;
}

Result<std::vector<MountView>> parse_mountinfo(const std::string& text) {
    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    // (1)(2) (3)   (4)   (5)      (6)      (7)    (8) (9)   (10)         (11)
    std::vector<MountView> mounts;
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (line.empty())
            continue;
        std::istringstream fields(line);
        std::vector<std::string> words;
        for (std::string word; fields >> word;) words.push_back(word);
        auto separator = std::find(words.begin(), words.end(), "-");
        size_t before = static_cast<size_t>(separator - words.begin());
        if (separator == words.end() || before < 6 || words.end() - separator < 3)
            return Error::message(fmt::format("mountinfo line {}: unexpected format", number));
        mounts.push_back(
            {unescape_octal(words[4]), separator[1], unescape_octal(separator[2]), words[5]});
    }
    return mounts;
}

Result<std::vector<MountView>> read_mounts(pid_t pid) {
    auto text = read_proc_file(fmt::format("/proc/{}/mountinfo", pid));
    if (!text)
        return text.release_error();
    return parse_mountinfo(*text);
}

Result<std::vector<ProcessView>> read_process_tree(pid_t pid) {
    if (::access(fmt::format("/proc/{}", pid).c_str(), F_OK) != 0)
        return Error::from_errno("access", fmt::format("/proc/{}", pid));
    std::vector<ProcessView> processes;
    walk(pid, 0, 0, processes);
    return processes;
}

}  // namespace twinbox::container
