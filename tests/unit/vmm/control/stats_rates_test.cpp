// From two stats replies to rates (vmm/control/stats_rates.h), as `twinbox top` shows them.
#include "vmm/control/stats_rates.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

using nlohmann::json;

json stats(double uptime, uint64_t io, uint64_t mmio, double cpu0, double cpu1) {
    return {
        {"uptime_seconds", uptime},
        {"vcpus", {{{"index", 0}, {"cpu_seconds", cpu0}}, {{"index", 1}, {"cpu_seconds", cpu1}}}},
        {"exits",
         {{"total", io + mmio},
          {"by_reason", {{"IO", io}, {"MMIO", mmio}}},
          {"by_device",
           {{{"bus", "io"}, {"base", 0x3f8}, {"length", 8}, {"device", "serial"}, {"exits", io}},
            {{"bus", "mmio"},
             {"base", 0},
             {"length", 0},
             {"device", "unclaimed"},
             {"exits", mmio}}}}}}};
}

TEST(StatsRates, DeltasPerSecond) {
    auto rates = compute_vm_rates(stats(10, 100, 10, 1.0, 0.5), stats(12, 140, 30, 1.5, 1.5));
    EXPECT_DOUBLE_EQ(rates.seconds, 2.0);
    EXPECT_DOUBLE_EQ(rates.exits_per_second, 30.0);
    ASSERT_EQ(rates.by_reason.size(), 2u);
    EXPECT_EQ(rates.by_reason[0].first, "IO");  // highest first
    EXPECT_DOUBLE_EQ(rates.by_reason[0].second, 20.0);
    EXPECT_DOUBLE_EQ(rates.by_reason[1].second, 10.0);
    ASSERT_EQ(rates.by_device.size(), 2u);
    EXPECT_EQ(rates.by_device[0].first, "serial@0x3f8");
    EXPECT_EQ(rates.by_device[1].first, "mmio unclaimed");
    EXPECT_DOUBLE_EQ(rates.vcpu_percent, 75.0);  // 1.5 s of CPU in 2 s
}

TEST(StatsRates, PausedVmHasZeroRates) {
    auto rates = compute_vm_rates(stats(10, 100, 10, 1, 1), stats(11, 100, 10, 1, 1));
    EXPECT_DOUBLE_EQ(rates.exits_per_second, 0.0);
    EXPECT_DOUBLE_EQ(rates.vcpu_percent, 0.0);
    for (const auto& [name, rate] : rates.by_reason) EXPECT_DOUBLE_EQ(rate, 0.0) << name;
}

TEST(StatsRates, OddInputGivesNoRatesAndNoCrash) {
    EXPECT_DOUBLE_EQ(compute_vm_rates(json(), json()).exits_per_second, 0.0);
    EXPECT_DOUBLE_EQ(compute_vm_rates(stats(5, 1, 1, 0, 0), stats(5, 9, 9, 0, 0)).seconds, 0.0);
    // Counters that went backwards (another VM took the name) are not negative.
    auto rates = compute_vm_rates(stats(1, 100, 100, 5, 5), stats(3, 1, 1, 0, 0));
    EXPECT_DOUBLE_EQ(rates.exits_per_second, 0.0);
    EXPECT_DOUBLE_EQ(rates.vcpu_percent, 0.0);
    json wrong = {{"uptime_seconds", 3}, {"exits", 5}, {"vcpus", "x"}};
    EXPECT_DOUBLE_EQ(compute_vm_rates(stats(1, 1, 1, 0, 0), wrong).exits_per_second, 0.0);
}

}  // namespace
}  // namespace twinbox
