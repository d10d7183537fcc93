// PauseGate (vmm/machine/pause_gate.h): vCPU threads park while the gate is
// closed, the pauser learns when all are parked, and stopping frees them.
#include "vmm/machine/pause_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace twinbox {
namespace {

using namespace std::chrono_literals;

// Threads that spin like vCPU loops: count iterations, park at the top.
struct FakeVcpus {
    explicit FakeVcpus(PauseGate& gate, size_t count) : gate(gate), iterations(count) {
        gate.set_running_threads(count);
        for (size_t i = 0; i < count; ++i)
            threads.emplace_back([this, i] {
                while (!stopping.load()) {
                    this->gate.park_if_closed(stopping);
                    iterations[i].fetch_add(1);
                    std::this_thread::sleep_for(100us);
                }
                this->gate.thread_exited();
            });
    }
    ~FakeVcpus() {
        stopping = true;
        gate.wake_all();
        for (auto& thread : threads) thread.join();
    }
    uint64_t total() const {
        uint64_t sum = 0;
        for (const auto& count : iterations) sum += count.load();
        return sum;
    }
    PauseGate& gate;
    std::atomic<bool> stopping{false};
    std::vector<std::atomic<uint64_t>> iterations;
    std::vector<std::thread> threads;
};

TEST(PauseGate, ParksAndReleases) {
    PauseGate gate;
    FakeVcpus vcpus(gate, 2);
    std::this_thread::sleep_for(10ms);
    gate.close();
    ASSERT_TRUE(gate.wait_until_parked(2000ms));
    EXPECT_TRUE(gate.closed());
    uint64_t parked_at = vcpus.total();
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(vcpus.total(), parked_at) << "parked threads must not run";
    gate.open();
    std::this_thread::sleep_for(20ms);
    EXPECT_GT(vcpus.total(), parked_at);
}

TEST(PauseGate, StoppingWakesParkedThreads) {
    PauseGate gate;
    auto vcpus = std::make_unique<FakeVcpus>(gate, 3);
    gate.close();
    ASSERT_TRUE(gate.wait_until_parked(2000ms));
    auto start = std::chrono::steady_clock::now();
    vcpus.reset();  // sets stopping, wake_all, joins: must not hang while closed
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(PauseGate, ExitedThreadsDoNotBlockAPause) {
    PauseGate gate;
    gate.set_running_threads(2);
    gate.thread_exited();
    gate.thread_exited();
    gate.close();
    EXPECT_TRUE(gate.wait_until_parked(10ms));
}

TEST(PauseGate, TimesOutWhenAThreadNeverArrives) {
    PauseGate gate;
    gate.set_running_threads(1);  // a thread stuck elsewhere
    gate.close();
    EXPECT_FALSE(gate.wait_until_parked(20ms));
}

}  // namespace
}  // namespace twinbox
