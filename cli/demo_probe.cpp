// The probe of `twinbox demo` and its parsing and rendering (see demo_probe.h).
#include "cli/demo_probe.h"

#include <fmt/core.h>

#include <sstream>

namespace twinbox::cli {

namespace {

constexpr const char* kPrefix = "twinbox-demo:";

// The rows of the table: the probe's key, the row title, and what the row teaches.
struct Row {
    const char* key;
    const char* title;
};
constexpr Row kRows[] = {
    {"KERNEL", "kernel (uname -r)"},    {"PID1", "PID 1 (/proc/1/cmdline)"},
    {"PROCESSES", "processes visible"}, {"HYPERVISOR", "cpuinfo 'hypervisor' flag"},
    {"MEMORY", "memory (MemTotal)"},    {"CPUS", "CPUs (nproc)"},
    {"HOSTNAME", "hostname"},           {"NETDEV", "network interfaces"},
};

}  // namespace

std::string demo_probe_script() {
    // Each fact is one echo; nothing here may need double quotes (see the header).
    return "echo twinbox-demo:KERNEL=$(uname -r); echo twinbox-demo:PID1=$(tr '\\0' ' ' </proc/1/cmdline); echo twinbox-demo:PROCESSES=$(ls -d /proc/[0-9]* | wc -l); echo twinbox-demo:HYPERVISOR=$(grep -q -w hypervisor /proc/cpuinfo && echo yes || echo no); echo twinbox-demo:MEMORY=$(sed -n 's/^MemTotal: *//p' /proc/meminfo); echo twinbox-demo:CPUS=$(nproc); echo twinbox-demo:HOSTNAME=$(hostname); echo twinbox-demo:NETDEV=$(ls /sys/class/net | tr '\\n' ' ')";
}

std::map<std::string, std::string> parse_demo_facts(const std::string& output) {
    std::map<std::string, std::string> facts;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        auto at = line.find(kPrefix);
        if (at == std::string::npos)
            continue;
        std::string fact = line.substr(at + std::char_traits<char>::length(kPrefix));
        auto equals = fact.find('=');
        if (equals == std::string::npos || equals == 0)
            continue;
        std::string value = fact.substr(equals + 1);
        while (!value.empty() && value.back() == ' ') value.pop_back();
        facts[fact.substr(0, equals)] = value;
    }
    return facts;
}

std::optional<uint64_t> parse_exit_total(const std::string& stats_output) {
    constexpr const char* kMarker = "exits to twinbox: ";
    auto at = stats_output.find(kMarker);
    if (at == std::string::npos)
        return std::nullopt;
    at += std::char_traits<char>::length(kMarker);
    uint64_t total = 0;
    size_t digits = 0;
    while (at + digits < stats_output.size() && stats_output[at + digits] >= '0' &&
           stats_output[at + digits] <= '9' && digits < 19)
        total = total * 10 + static_cast<uint64_t>(stats_output[at + digits++] - '0');
    if (digits == 0)
        return std::nullopt;
    return total;
}

std::string render_demo(const std::vector<DemoRun>& runs) {
    constexpr int kTitleWidth = 28, kColumnWidth = 30;
    auto cell = [](std::string text) {
        if (text.size() > kColumnWidth - 2)
            text = text.substr(0, kColumnWidth - 5) + "...";
        return text;
    };
    std::string out = fmt::format("{:<{}}", "", kTitleWidth);
    for (const auto& run : runs) out += fmt::format("{:<{}}", run.name, kColumnWidth);
    out += "\n";
    auto row = [&](const std::string& title, auto value_of) {
        out += fmt::format("{:<{}}", title, kTitleWidth);
        for (const auto& run : runs)
            out += fmt::format("{:<{}}", cell(value_of(run)), kColumnWidth);
        out += "\n";
    };
    for (const auto& [key, title] : kRows)
        row(title, [key = key](const DemoRun& run) {
            if (!run.error.empty())
                return std::string("-");
            auto it = run.facts.find(key);
            return it == run.facts.end() ? std::string("?") : it->second;
        });
    row("start to exit (host clock)", [](const DemoRun& run) {
        return run.error.empty() ? fmt::format("{} ms", run.elapsed.count()) : std::string("-");
    });
    row("exits to the VMM", [](const DemoRun& run) {
        if (!run.error.empty())
            return std::string("-");
        return run.vm_exits ? fmt::format("{}", *run.vm_exits) : std::string("none (no VM)");
    });
    for (const auto& run : runs)
        if (!run.error.empty())
            out += fmt::format("\n{}: {}\n", run.name, run.error);
    return out;
}

}  // namespace twinbox::cli
