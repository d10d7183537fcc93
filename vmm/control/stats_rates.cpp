#include "vmm/control/stats_rates.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>

namespace twinbox {

namespace {

using nlohmann::json;

double number(const json& object, const char* key) {
    auto found = object.find(key);
    return found != object.end() && found->is_number() ? found->get<double>() : 0.0;
}

// Per-second rates of the counters in `after` against those in `before`.
std::vector<std::pair<std::string, double>> rates(const std::map<std::string, double>& before,
                                                  const std::map<std::string, double>& after,
                                                  double seconds) {
    std::vector<std::pair<std::string, double>> result;
    for (const auto& [key, count] : after) {
        auto old = before.find(key);
        double delta = count - (old == before.end() ? 0.0 : old->second);
        result.push_back({key, delta > 0 ? delta / seconds : 0.0});
    }
    std::stable_sort(result.begin(), result.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return result;
}

std::map<std::string, double> by_reason(const json& stats) {
    std::map<std::string, double> counters;
    const json& reasons = stats.value("exits", json::object()).value("by_reason", json::object());
    if (reasons.is_object())
        for (const auto& [name, count] : reasons.items())
            if (count.is_number())
                counters[name] = count.get<double>();
    return counters;
}

std::map<std::string, double> by_device(const json& stats) {
    std::map<std::string, double> counters;
    const json& devices = stats.value("exits", json::object()).value("by_device", json::array());
    if (devices.is_array())
        for (const auto& entry : devices)
            if (entry.is_object())
                counters[device_key(entry)] += number(entry, "exits");
    return counters;
}

double vcpu_seconds(const json& stats) {
    double total = 0;
    const json& vcpus = stats.value("vcpus", json::array());
    if (vcpus.is_array())
        for (const auto& vcpu : vcpus)
            if (vcpu.is_object())
                total += number(vcpu, "cpu_seconds");
    return total;
}

}  // namespace

std::string device_key(const json& entry) {
    std::string device = entry.value("device", "?");
    uint64_t base = entry.value("base", uint64_t{0});
    uint64_t length = entry.value("length", uint64_t{0});
    if (length == 0)
        return fmt::format("{} {}", entry.value("bus", "?"), device);  // "io unclaimed"
    return fmt::format("{}@{:#x}", device, base);
}

static VmRates compute(const json& before, const json& after) {
    VmRates result;
    if (!before.is_object() || !after.is_object())
        return result;
    result.seconds = number(after, "uptime_seconds") - number(before, "uptime_seconds");
    if (result.seconds <= 0)
        return result;
    double exits = number(after.value("exits", json::object()), "total") -
                   number(before.value("exits", json::object()), "total");
    result.exits_per_second = exits > 0 ? exits / result.seconds : 0.0;
    result.by_reason = rates(by_reason(before), by_reason(after), result.seconds);
    result.by_device = rates(by_device(before), by_device(after), result.seconds);
    double cpu = vcpu_seconds(after) - vcpu_seconds(before);
    result.vcpu_percent = cpu > 0 ? 100.0 * cpu / result.seconds : 0.0;
    return result;
}

VmRates compute_vm_rates(const json& before, const json& after) {
    try {
        return compute(before, after);
    } catch (const json::exception&) {
        return {};  // a reply of the wrong shape (another twinbox version): no rates
    }
}

}  // namespace twinbox
