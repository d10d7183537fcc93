// twinbox-oci events: a container's resource usage as runc prints it, one
// JSON object a line: {"type":"stats","id":ID,"data":{...}}. --stats prints
// one and exits; otherwise a line every --interval, plus {"type":"oom"}
// when the OOM killer takes a process, until the container stops.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/oci/oci_cli.h"
#include "container/cgroups/cgroup.h"

namespace twinbox::oci_cli {

namespace {

// Go's time.Duration syntax as runc takes it: "5s", "250ms", "1m", "1m30s".
Result<std::chrono::milliseconds> parse_interval(const std::string& text) {
    std::chrono::milliseconds total{0};
    size_t at = 0;
    while (at < text.size()) {
        size_t end = at;
        while (end < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.'))
            ++end;
        size_t unit_end = end;
        while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end])))
            ++unit_end;
        std::string unit = text.substr(end, unit_end - end);
        double scale = unit == "ms"  ? 1
                       : unit == "s" ? 1000
                       : unit == "m" ? 60000
                       : unit == "h" ? 3600000
                                     : -1;
        std::string number = text.substr(at, end - at);
        bool has_digit = number.find_first_of("0123456789") != std::string::npos;
        if (!has_digit || std::count(number.begin(), number.end(), '.') > 1 || scale < 0)
            return Error::message(fmt::format("--interval '{}' is not a duration", text))
                .with_hint("write it as Go does: 5s, 250ms, 1m");
        total += std::chrono::milliseconds(
            static_cast<int64_t>(std::strtod(number.c_str(), nullptr) * scale));
        at = unit_end;
    }
    if (total.count() <= 0)
        return Error::message("--interval must be positive");
    return total;
}

nlohmann::json stats_json(const container::CgroupStats& stats) {
    nlohmann::json memory_usage = {{"usage", stats.memory_usage}, {"max", stats.memory_max_usage}};
    if (stats.memory_limit)
        memory_usage["limit"] = *stats.memory_limit;
    nlohmann::json pids = {{"current", stats.pids_current}};
    if (stats.pids_limit)
        pids["limit"] = *stats.pids_limit;
    return {{"cpu", {{"usage", {{"total", stats.cpu_usage_ns}}}}},
            {"memory", {{"usage", memory_usage}}},
            {"pids", pids},
            {"blkio", nlohmann::json::object()},
            {"hugetlb", nlohmann::json::object()}};
}

void print_event(const std::string& type, const std::string& id, const nlohmann::json& data) {
    nlohmann::json event = {{"type", type}, {"id", id}};
    if (!data.is_null())
        event["data"] = data;
    fmt::print("{}\n", event.dump());
    std::fflush(stdout);
}

Result<void> events(const std::string& id, bool once, const std::string& interval_text) {
    auto interval = TRY(parse_interval(interval_text));
    auto store = state_store();
    auto state = TRY(store.load(id));
    if (store.status(state) == container::Status::Stopped)
        return Error::message(fmt::format("container {} is not running", id));
    auto layout = TRY(container::detect_cgroup_layout());
    auto cgroup = container::Cgroup::open(layout, state.cgroup_path);
    uint64_t oom_kills = cgroup.stats().oom_kills;
    while (true) {
        auto stats = cgroup.stats();
        if (stats.oom_kills > oom_kills)
            print_event("oom", id, nullptr);
        oom_kills = stats.oom_kills;
        print_event("stats", id, stats_json(stats));
        if (once)
            return ok();
        std::this_thread::sleep_for(interval);
        if (store.status(state) == container::Status::Stopped)
            return ok();
    }
}

}  // namespace

void register_events(CLI::App& app, int& exit_code) {
    auto id = std::make_shared<std::string>();
    auto once = std::make_shared<bool>(false);
    auto interval = std::make_shared<std::string>("5s");
    CLI::App* command = app.add_subcommand("events", "Print a container's resource usage");
    command->add_flag("--stats", *once, "print the statistics once and exit");
    command->add_option("--interval", *interval, "time between statistics (default 5s)");
    command->add_option("container-id", *id, "container id")->required();
    command->callback([id, once, interval, &exit_code] {
        auto done = events(*id, *once, *interval);
        exit_code = done ? 0 : fail(done.error());
    });
}

}  // namespace twinbox::oci_cli
