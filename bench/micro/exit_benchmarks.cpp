// VM exit round trips by kind (docs/benchmarking.md). Each benchmark keeps
// one VM running exit-loop.asm in one mode; one iteration is one KVM_RUN that
// returns to this thread with the expected exit, served by twinbox's normal
// dispatch (Machine::enter_guest_once -> handle_exit -> the device on the
// bus). The batch benchmarks run N in-kernel exits per KVM_RUN and report
// time per iteration with N in the "batch" counter; bench/suite/micro.py
// subtracts the guest loop measured by guest_loop_batch (the same loop with a
// NOP). An exit of another kind ends the benchmark with SkipWithError naming it.
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "bench/micro/micro.h"

namespace twinbox::micro {

namespace {

Watchdog* g_watchdog = nullptr;
// One VM per (kind, count), kept across the repeated runs Google Benchmark
// makes of each benchmark: creating and destroying many short-lived VMs has
// frozen the nested test host (bench/boot/runner.py, open_idle_vm).
std::map<std::string, std::unique_ptr<Machine>> g_machines;
std::map<std::string, std::unique_ptr<BareVm>> g_bare_vms;

std::string key(char kind, uint32_t count) {
    return fmt::format("{}{}", kind, count);
}

// `reason` is what the VM's enter() returned: KVM_EXIT_INTR after EINTR, when
// KVM leaves run.exit_reason as it was.
std::string describe(const kvm_run& run, uint32_t reason) {
    std::string name = exit_reason_name(reason);
    if (reason == KVM_EXIT_IO)
        return fmt::format("{} ({} port {:#x})", name,
                           run.io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run.io.port);
    if (reason == KVM_EXIT_MMIO)
        return fmt::format("{} ({} {:#x})", name, run.mmio.is_write ? "write" : "read",
                           run.mmio.phys_addr);
    return name;
}

// What exit each guest mode must make to reach this thread.
struct Expected {
    uint32_t reason;
    int direction = -1;  // KVM_EXIT_IO_IN/OUT, or for MMIO 1 = write, 0 = read
};

Expected expected_exit(char kind) {
    switch (kind) {
        case 'i':
            return {KVM_EXIT_IO, KVM_EXIT_IO_IN};
        case 'w':
            return {KVM_EXIT_MMIO, 1};
        case 'r':
            return {KVM_EXIT_MMIO, 0};
        case 'h':
            return {KVM_EXIT_HLT};
        case 'x':
            return {KVM_EXIT_INTR};
        default:
            return {KVM_EXIT_IO, KVM_EXIT_IO_OUT};  // o and every batch
    }
}

bool matches(const kvm_run& run, uint32_t reason, const Expected& want) {
    if (reason != want.reason)
        return false;
    if (want.reason == KVM_EXIT_IO)
        return run.io.direction == want.direction && run.io.port == kScratchPort &&
               run.io.size == 1;
    if (want.reason == KVM_EXIT_MMIO)
        return run.mmio.phys_addr == kMmioAddress && run.mmio.is_write == want.direction;
    return true;
}

std::string expected_text(const Expected& want) {
    std::string name = exit_reason_name(want.reason);
    if (want.reason == KVM_EXIT_IO)
        return fmt::format("{} ({} port {:#x})", name,
                           want.direction == KVM_EXIT_IO_OUT ? "out" : "in", kScratchPort);
    if (want.reason == KVM_EXIT_MMIO)
        return fmt::format("{} ({} {:#x})", name, want.direction ? "write" : "read", kMmioAddress);
    return name;
}

std::string mismatch(const kvm_run& run, uint32_t reason, const Expected& want) {
    std::string text =
        fmt::format("the guest made {} instead of {}", describe(run, reason), expected_text(want));
    if (g_watchdog->fired())
        text += " (the watchdog stopped a KVM_RUN that made no exit for 10 s)";
    return text;
}

// The VM for (kind, count): a twinbox Machine, or for 'h' a BareVm.
template <typename Vm, typename Create>
Vm* cached(std::map<std::string, std::unique_ptr<Vm>>& cache, char kind, uint32_t count,
           benchmark::State& state, Create create) {
    auto& slot = cache[key(kind, count)];
    if (!slot) {
        auto made = create(kind, count);
        if (!made) {
            state.SkipWithError(("cannot start the guest: " + made.error().to_string()).c_str());
            return nullptr;
        }
        slot = std::move(made).value();
    }
    return slot.get();
}

// Enters the guest once and checks the exit. False (and the benchmark skipped
// with the reason) on anything unexpected; the VM is then dropped.
template <typename Vm, typename Enter>
bool round_trip(benchmark::State& state, Vm& vm, kvm_run& run, const Expected& want, Enter enter) {
    if (want.reason == KVM_EXIT_INTR)
        run.immediate_exit = 1;  // kvm_run_no_entry: return before entering the guest
    Result<uint32_t> reason = enter(vm);
    if (!reason) {
        state.SkipWithError(("KVM_RUN failed: " + reason.error().to_string()).c_str());
        return false;
    }
    if (!matches(run, *reason, want)) {
        state.SkipWithError(mismatch(run, *reason, want).c_str());
        return false;
    }
    return true;
}

template <typename Vm, typename Create, typename Enter>
void measure(benchmark::State& state, std::map<std::string, std::unique_ptr<Vm>>& cache, char kind,
             uint32_t count, Create create, Enter enter, kvm_run* (*run_of)(Vm&)) {
    Vm* vm = cached(cache, kind, count, state, create);
    if (!vm)
        return;
    kvm_run& run = *run_of(*vm);
    Expected want = expected_exit(kind);
    bool healthy = true;
    g_watchdog->arm(&run);
    // Two round trips before the clock starts: the first one also runs the
    // guest's start-up code.
    for (int warm = 0; warm < 2 && healthy; ++warm)
        healthy = round_trip(state, *vm, run, want, enter);
    for (auto _ : state) {
        if (!healthy)
            break;
        if (!round_trip(state, *vm, run, want, enter)) {
            healthy = false;
            break;
        }
        g_watchdog->tick();
    }
    g_watchdog->disarm();
    if (!healthy) {
        cache.erase(key(kind, count));
        return;
    }
    auto exits = static_cast<int64_t>(count ? count : 1);
    state.SetItemsProcessed(state.iterations() * exits);
    state.counters["batch"] = count;
    state.SetLabel(kvm_backend_label());
}

kvm_run* machine_run(Machine& machine) {
    return machine.boot_vcpu().run_state();
}
kvm_run* bare_run(BareVm& vm) {
    return vm.run_state();
}

void machine_exit(benchmark::State& state, char kind, uint32_t count) {
    measure<Machine>(
        state, g_machines, kind, count, [](char k, uint32_t n) { return start_guest(k, n); },
        [](Machine& machine) { return machine.enter_guest_once(); }, machine_run);
}

void bare_exit(benchmark::State& state, char kind) {
    measure<BareVm>(
        state, g_bare_vms, kind, 0, [](char k, uint32_t n) { return BareVm::create(k, n); },
        [](BareVm& vm) { return vm.enter(); }, bare_run);
}

}  // namespace

uint32_t batch_size() {
    const char* set = std::getenv("TWINBOX_MICRO_BATCH");
    long value = set ? std::strtol(set, nullptr, 10) : 0;
    return value > 0 && value < 1000000 ? static_cast<uint32_t>(value) : 200;
}

void release_guests() {
    g_machines.clear();
    g_bare_vms.clear();
}

void register_exit_benchmarks(Watchdog& watchdog) {
    g_watchdog = &watchdog;
    uint32_t batch = batch_size();
    // Exits that reach twinbox in user space: one per iteration.
    struct UserExit {
        const char* name;
        char kind;
    };
    for (auto [name, kind] : {UserExit{"exit/kvm_run_no_entry", 'x'}, UserExit{"exit/pio_out", 'o'},
                              UserExit{"exit/pio_in", 'i'}, UserExit{"exit/mmio_write", 'w'},
                              UserExit{"exit/mmio_read", 'r'}}) {
        // kvm_run_no_entry: KVM_RUN with immediate_exit set returns EINTR before
        // entering the guest (api.rst, "immediate_exit"): the ioctl's own floor.
        char guest_kind = kind == 'x' ? 'o' : kind;
        benchmark::RegisterBenchmark(name, [kind, guest_kind](benchmark::State& state) {
            if (kind == 'x') {
                // The pio_out guest, entered with immediate_exit: it never runs.
                measure<Machine>(
                    state, g_machines, 'x', 0,
                    [guest_kind](char, uint32_t n) { return start_guest(guest_kind, n); },
                    [](Machine& machine) { return machine.enter_guest_once(); }, machine_run);
                return;
            }
            machine_exit(state, kind, 0);
        })->UseRealTime();
    }
    // HLT reaches user space only without an in-kernel irqchip (a BareVm).
    benchmark::RegisterBenchmark("exit/hlt_no_irqchip", [](benchmark::State& state) {
        bare_exit(state, 'h');
    })->UseRealTime();
    // In-kernel exits, `batch` per KVM_RUN, and the same loop without the exit.
    bool amd = cpu_is_amd();
    struct Batch {
        const char* name;
        char kind;
    };
    for (auto [name, kind] :
         {Batch{"exit/cpuid_batch", 'c'},
          Batch{amd ? "exit/hypercall_vmmcall_batch" : "exit/hypercall_vmcall_batch",
                amd ? 'a' : 'v'},
          Batch{"exit/guest_loop_batch", 'n'}}) {
        benchmark::RegisterBenchmark(name,
                                     [kind](benchmark::State& state) {
                                         machine_exit(state, kind,
                                                      static_cast<uint32_t>(state.range(0)));
                                     })
            ->Arg(batch)
            ->UseRealTime();
    }
}

}  // namespace twinbox::micro
