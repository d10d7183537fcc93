// twinbox top: the running VMs and containers, refreshed every second.
//
// VMs: exits per second by reason and by device (the delta of the always-on
// counters of each VM's control socket, like kvm_stat), vCPU time in % of a
// host CPU, and guest RAM. Containers: CPU %, memory against the limit and
// process counts, from their cgroups (like docker stats). --once or -n N
// print that many screens and exit (for scripts); otherwise q or Ctrl-C quit.
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/container_common.h"
#include "container/cgroups/cgroup.h"
#include "vmm/control/client.h"
#include "vmm/control/inspect_text.h"
#include "vmm/control/registry.h"
#include "vmm/control/stats_rates.h"
#include "vmm/machine/vm_config.h"

namespace twinbox::cli {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A VM whose control socket does not answer within this is shown as not answering.
constexpr std::chrono::milliseconds kVmTimeout{1000};

volatile sig_atomic_t g_quit = 0;
void request_quit(int) {
    g_quit = 1;
}

struct TopOptions {
    bool once = false;
    int iterations = 0;  // 0: until q or Ctrl-C
    double interval = 1.0;
};

struct VmSample {
    VmRecord record;
    std::optional<json> stats;
    std::string error;  // why there are no stats
};

struct ContainerSample {
    container::ContainerView view;
    std::optional<container::CgroupStats> stats;
    Clock::time_point when;
};

struct Sample {
    std::vector<VmSample> vms;
    std::vector<ContainerSample> containers;
    bool empty() const { return vms.empty() && containers.empty(); }
};

Sample take_sample() {
    Sample sample;
    auto registry = VmRegistry::open_default();
    for (auto& record : registry.list()) {
        VmSample vm{record, std::nullopt, {}};
        auto stats = control_request(registry.socket_path(record.name), "stats", kVmTimeout);
        if (stats)
            vm.stats = std::move(stats).value();
        else
            vm.error = stats.error().to_string();
        sample.vms.push_back(std::move(vm));
    }
    auto layout = container::detect_cgroup_layout();
    for (auto& view : container::list_containers(container_store())) {
        if (view.status != container::Status::Running && view.status != container::Status::Paused)
            continue;
        ContainerSample item{view, std::nullopt, Clock::now()};
        if (layout)
            item.stats = container::Cgroup::open(*layout, view.state.cgroup_path).stats();
        sample.containers.push_back(std::move(item));
    }
    return sample;
}

std::string top_rates(const std::vector<std::pair<std::string, double>>& rates, size_t count) {
    std::string text;
    for (size_t index = 0; index < rates.size() && index < count; ++index) {
        if (rates[index].second <= 0 && index > 0)
            break;
        text += fmt::format("{}{} {:.1f}", text.empty() ? "" : ", ", rates[index].first,
                            rates[index].second);
    }
    return text.empty() ? "-" : text;
}

void render_vms(std::string& out, const Sample& before, const Sample& now) {
    out += fmt::format("{:<16}{:<10}{:>7}{:>10}{:>10}  {}\n", "VM", "STATE", "vCPU%", "MEMORY",
                       "EXITS/S", "EXITS/S BY REASON | BY DEVICE");
    if (now.vms.empty() && before.vms.empty())
        out += "(no VMs running)\n";
    std::map<std::string, const VmSample*> old;
    for (const auto& vm : before.vms) old[vm.record.name] = &vm;
    for (const auto& vm : now.vms) {
        if (!vm.stats) {
            out += fmt::format("{:<16}{:<10}  control socket gone or silent: {}\n", vm.record.name,
                               "gone", vm.error);
            continue;
        }
        auto previous = old.find(vm.record.name);
        VmRates rates;
        if (previous != old.end() && previous->second->stats)
            rates = compute_vm_rates(*previous->second->stats, *vm.stats);
        out += fmt::format("{:<16}{:<10}{:>6.1f}%{:>10}{:>10.1f}  {} | {}\n", vm.record.name,
                           vm.stats->value("state", "?"), rates.vcpu_percent,
                           format_bytes(vm.record.memory), rates.exits_per_second,
                           top_rates(rates.by_reason, 3), top_rates(rates.by_device, 3));
    }
    for (const auto& vm : before.vms) {
        bool still = false;
        for (const auto& current : now.vms) still = still || current.record.name == vm.record.name;
        if (!still)
            out += fmt::format("{:<16}{:<10}  ended; its registry entry is cleaned\n",
                               vm.record.name, "gone");
    }
}

std::string memory_text(const container::CgroupStats& stats) {
    return fmt::format("{} / {}", format_bytes(stats.memory_usage),
                       stats.memory_limit ? format_bytes(*stats.memory_limit) : "unlimited");
}

void render_containers(std::string& out, const Sample& before, const Sample& now) {
    out += fmt::format("{:<16}{:<16}{:<10}{:>7}  {:<26}{}\n", "CONTAINER", "NAME", "STATE", "CPU%",
                       "MEM USAGE / LIMIT", "PIDS");
    if (now.containers.empty())
        out += "(no containers running)\n";
    for (const auto& item : now.containers) {
        const auto& state = item.view.state;
        std::string status(container::status_name(item.view.status));
        if (!item.stats) {
            out += fmt::format("{:<16}{:<16}{:<10}  (no cgroup statistics)\n", state.id, state.name,
                               status);
            continue;
        }
        double cpu = 0;
        for (const auto& old : before.containers)
            if (old.view.state.id == state.id && old.stats && item.when > old.when &&
                item.stats->cpu_usage_ns >= old.stats->cpu_usage_ns)
                cpu = 100.0 *
                      static_cast<double>(item.stats->cpu_usage_ns - old.stats->cpu_usage_ns) /
                      static_cast<double>(
                          std::chrono::duration_cast<std::chrono::nanoseconds>(item.when - old.when)
                              .count());
        std::string pids =
            fmt::format("{} / {}", item.stats->pids_current,
                        item.stats->pids_limit ? std::to_string(*item.stats->pids_limit) : "max");
        out += fmt::format("{:<16}{:<16}{:<10}{:>6.1f}%  {:<26}{}\n", state.id, state.name, status,
                           cpu, memory_text(*item.stats), pids);
    }
}

std::string render(const Sample& before, const Sample& now, const TopOptions& options,
                   bool interactive) {
    std::time_t seconds = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    char clock[16];
    std::strftime(clock, sizeof(clock), "%H:%M:%S", &local);
    std::string out = fmt::format(
        "twinbox top - {} - {} VM(s), {} container(s), every {:.1f} s{}\n\n", clock, now.vms.size(),
        now.containers.size(), options.interval, interactive ? " (q or Ctrl-C quits)" : "");
    if (now.empty() && before.vms.empty()) {
        out += "no VMs or containers running\n";
        return out;
    }
    render_vms(out, before, now);
    out += "\n";
    render_containers(out, before, now);
    return out;
}

// Keys without Enter and without echo; Ctrl-C still raises SIGINT.
class KeyboardMode {
public:
    explicit KeyboardMode(int fd) : m_fd(fd) {
        if (::tcgetattr(fd, &m_saved) < 0)
            return;
        termios raw = m_saved;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        m_active = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~KeyboardMode() {
        if (m_active)
            ::tcsetattr(m_fd, TCSANOW, &m_saved);
    }

private:
    int m_fd;
    termios m_saved{};
    bool m_active = false;
};

// Sleeps for the interval; true when the user asked to quit (q, Ctrl-C, SIGTERM).
bool wait_or_quit(double interval, bool keyboard) {
    auto deadline = Clock::now() + std::chrono::duration<double>(interval);
    while (!g_quit) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return false;
        pollfd input{keyboard ? STDIN_FILENO : -1, POLLIN, 0};
        if (::poll(&input, 1, static_cast<int>(left)) > 0 && (input.revents & POLLIN)) {
            char key = 0;
            if (::read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q' || key == 3))
                return true;
        }
    }
    return true;
}

int run_top(const TopOptions& options) {
    bool interactive = !options.once && options.iterations == 0 && ::isatty(STDOUT_FILENO);
    bool keyboard = interactive && ::isatty(STDIN_FILENO);
    struct sigaction action {};
    action.sa_handler = request_quit;  // no SA_RESTART: poll() returns at once
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    std::optional<KeyboardMode> keys;
    if (keyboard)
        keys.emplace(STDIN_FILENO);
    if (interactive)
        fmt::print("\033[?25l");  // hide the cursor while the screen refreshes
    Sample previous = take_sample();
    for (int frame = 0; !g_quit; ++frame) {
        // Rates need two samples: wait one interval first, unless nothing runs.
        if ((!previous.empty() || frame > 0) && wait_or_quit(options.interval, keyboard))
            break;
        Sample current = take_sample();
        std::string screen = render(previous, current, options, interactive);
        fmt::print("{}{}", interactive ? "\033[H\033[2J" : (frame > 0 ? "\n" : ""), screen);
        std::fflush(stdout);
        previous = std::move(current);
        if (options.once || (options.iterations > 0 && frame + 1 >= options.iterations))
            break;
    }
    if (interactive)
        fmt::print("\033[?25h");
    std::fflush(stdout);
    return 0;
}

}  // namespace

void register_top(CLI::App& app, int& exit_code) {
    auto options = std::make_shared<TopOptions>();
    CLI::App* command = app.add_subcommand(
        "top", "Live view of running VMs (exits/s, vCPU time) and containers (CPU, memory, pids)");
    command->add_flag("--once", options->once, "print one screen and exit");
    command->add_option("-n,--iterations", options->iterations, "print N screens and exit")
        ->check(CLI::PositiveNumber);
    command->add_option("-d,--delay", options->interval, "seconds between screens (default 1)")
        ->check(CLI::Range(0.1, 3600.0));
    command->callback([options, &exit_code] { exit_code = run_top(*options); });
}

}  // namespace twinbox::cli
