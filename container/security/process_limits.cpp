// rlimits, oom_score_adj, no_new_privs and the user of the container's process.
#include "container/security/process_limits.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>

namespace twinbox::container {

namespace {

struct RlimitName {
    std::string_view name;  // without "RLIMIT_", lower case (Docker's --ulimit words)
    int resource;
};

constexpr RlimitName kRlimits[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

std::optional<uint64_t> parse_number(std::string_view text) {
    if (text == "unlimited" || text == "-1")
        return RLIM_INFINITY;
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

}  // namespace

std::optional<int> parse_rlimit_name(std::string_view name) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("rlimit_"))
        lower = lower.substr(7);
    for (const auto& entry : kRlimits)
        if (entry.name == lower)
            return entry.resource;
    return std::nullopt;
}

Result<oci::Rlimit> parse_ulimit(std::string_view text) {
    auto equals = text.find('=');
    if (equals == std::string_view::npos)
        return Error::message(
            fmt::format("--ulimit {}: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048", text));
    std::string_view name = text.substr(0, equals);
    std::string_view values = text.substr(equals + 1);
    if (!parse_rlimit_name(name))
        return Error::message(
            fmt::format("--ulimit {}: unknown limit {} (see setrlimit(2))", text, name));
    auto colon = values.find(':');
    auto soft = parse_number(values.substr(0, colon));
    auto hard = colon == std::string_view::npos ? soft : parse_number(values.substr(colon + 1));
    if (!soft || !hard)
        return Error::message(fmt::format("--ulimit {}: {} is not a number", text, values));
    if (*soft > *hard)
        return Error::message(
            fmt::format("--ulimit {}: the soft limit is above the hard limit", text));
    std::string upper = "RLIMIT_";
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return oci::Rlimit{upper, *hard, *soft};
}

Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits) {
    for (const auto& limit : rlimits) {
        auto resource = parse_rlimit_name(limit.type);
        if (!resource)
            return Error::message(fmt::format("unknown rlimit {}", limit.type));
        struct rlimit value {
            limit.soft, limit.hard
        };
        if (::setrlimit(*resource, &value) < 0)
            return Error::from_errno("setrlimit", limit.type);
    }
    return ok();
}

Result<void> apply_oom_score_adj(int value) {
    int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return Error::from_errno("open", "/proc/self/oom_score_adj");
    std::string text = std::to_string(value);
    ssize_t written = ::write(fd, text.data(), text.size());
    int saved = errno;
    ::close(fd);
    if (written < 0) {
        auto error = Error::from_errno("write", fmt::format("oom_score_adj {}", value), saved);
        if (saved == EACCES || saved == EPERM)
            return std::move(error).with_hint("lowering oom_score_adj needs CAP_SYS_RESOURCE");
        return error;
    }
    return ok();
}

Result<void> set_no_new_privileges(Syscalls& sys) {
    // After this, execve(2) can never grant more privileges (setuid bits and
    // file capabilities are ignored); it is also what lets an unprivileged
    // process load a seccomp filter.
    return sys.prctl(PR_SET_NO_NEW_PRIVS, 1, 0).with_context("no_new_privileges");
}

Result<void> switch_user(Syscalls& sys, const oci::User& user) {
    TRY(sys.prctl(PR_SET_KEEPCAPS, 1, 0));
    TRY(sys.setgroups(user.additional_gids));
    TRY(sys.setresgid(user.gid));
    TRY(sys.setresuid(user.uid));
    // The workload's umask is the spec's, else 0022 (runc's and Docker's
    // default) - never whatever the user who ran twinbox happened to have.
    ::umask(user.umask.value_or(0022));
    return ok();
}

}  // namespace twinbox::container
