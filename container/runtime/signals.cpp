// Signal names and numbers (signal(7), "Standard signals" and "Real-time signals").
#include "container/runtime/signals.h"

#include <fmt/core.h>
#include <signal.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace twinbox::container {

namespace {

struct SignalName {
    std::string_view name;
    int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

std::optional<int> parse_int(std::string_view text) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

}  // namespace

Result<int> parse_signal(std::string_view text) {
    auto invalid = [&] {
        return Error::message(
            fmt::format("{} is not a signal name or number (see signal(7))", text));
    };
    if (auto number = parse_int(text)) {
        if (*number <= 0 || *number > SIGRTMAX)
            return invalid();
        return *number;
    }
    std::string name;
    for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG"))
        name = name.substr(3);
    for (const auto& entry : kSignals)
        if (entry.name == name)
            return entry.number;
    // Real-time signals: RTMIN, RTMIN+N, RTMAX, RTMAX-N.
    if (name.starts_with("RTMIN") || name.starts_with("RTMAX")) {
        bool minimum = name.starts_with("RTMIN");
        int base = minimum ? SIGRTMIN : SIGRTMAX;
        std::string_view rest = std::string_view(name).substr(5);
        if (rest.empty())
            return base;
        auto offset = parse_int(rest.substr(1));
        if (!offset || rest[0] != (minimum ? '+' : '-'))
            return invalid();
        int number = minimum ? base + *offset : base - *offset;
        if (number < SIGRTMIN || number > SIGRTMAX)
            return invalid();
        return number;
    }
    return invalid();
}

std::string signal_name(int signal) {
    for (const auto& entry : kSignals)
        if (entry.number == signal)
            return fmt::format("SIG{}", entry.name);
    return fmt::format("signal {}", signal);
}

}  // namespace twinbox::container
