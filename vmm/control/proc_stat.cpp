#include "vmm/control/proc_stat.h"

#include <fmt/core.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace twinbox {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    auto close = text.rfind(')');
    if (close == std::string_view::npos)
        return std::nullopt;
    // Fields from 3 (state) on, separated by single spaces.
    std::vector<std::string_view> fields;
    size_t position = close + 1;
    while (position < text.size()) {
        while (position < text.size() && (text[position] == ' ' || text[position] == '\n'))
            ++position;
        size_t end = position;
        while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
        if (end > position)
            fields.push_back(text.substr(position, end - position));
        position = end;
    }
    // Field N is fields[N - 3]; starttime (22) is the last one needed.
    if (fields.size() < 20 || fields[0].size() != 1)
        return std::nullopt;
    auto number = [&](size_t field, uint64_t& out) {
        std::string_view value = fields[field - 3];
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
        return error == std::errc() && end == value.data() + value.size();
    };
    ProcStat stat;
    stat.state = fields[0][0];
    if (!number(14, stat.user_ticks) || !number(15, stat.system_ticks) ||
        !number(22, stat.start_ticks))
        return std::nullopt;
    return stat;
}

std::optional<ProcStat> read_proc_stat(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        return std::nullopt;
    std::stringstream text;
    text << file.rdbuf();
    return parse_proc_stat(text.str());
}

namespace {

std::optional<double> cpu_seconds(const std::optional<ProcStat>& stat) {
    if (!stat)
        return std::nullopt;
    static const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks_per_second;
}

}  // namespace

std::optional<double> thread_cpu_seconds(pid_t tid) {
    return cpu_seconds(read_proc_stat(fmt::format("/proc/self/task/{}/stat", tid)));
}

std::optional<double> thread_cpu_seconds_from(int stat_fd) {
    char text[1024];
    ssize_t got = ::pread(stat_fd, text, sizeof text - 1, 0);
    if (got <= 0)
        return std::nullopt;
    return cpu_seconds(parse_proc_stat(std::string_view(text, static_cast<size_t>(got))));
}

uint64_t live_process_start(pid_t pid) {
    if (pid <= 0)
        return 0;
    auto stat = read_proc_stat(fmt::format("/proc/{}/stat", pid));
    if (!stat || stat->state == 'Z' || stat->state == 'X')
        return 0;
    return stat->start_ticks;
}

}  // namespace twinbox
