// twinbox-micro: Google Benchmark micro-benchmarks of the mechanisms behind
// containers and VMs (docs/benchmarking.md). The flags are Google Benchmark's (--benchmark_filter,
// --benchmark_min_time, --benchmark_format=json, --benchmark_out=FILE ...).
// The context block of the output names the KVM backend every exit figure
// comes from, and the guest-instruction caveat of PVM.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <unistd.h>

#include <string>

#include "bench/micro/micro.h"
#include "common/log.h"
#include "container/mounts/rootfs.h"

namespace {

// A private mount namespace for the whole process, entered before any thread
// exists (unshare(CLONE_NEWNS) refuses a process whose threads share its file
// system information): the mount benchmarks' overlays and binds then vanish
// with the process even if it is killed.
bool enter_private_mount_namespace() {
    if (::unshare(CLONE_NEWNS) != 0)
        return false;
    twinbox::container::LinuxSyscalls sys;
    return static_cast<bool>(twinbox::container::make_mounts_private("", sys));
}

}  // namespace

int main(int argc, char** argv) {
    bool private_mounts = enter_private_mount_namespace();
    // Machine::create logs the backend (and on PVM a warning) for every VM.
    twinbox::log::set_level(twinbox::log::Level::error);
    std::string backend = twinbox::micro::kvm_backend_label();
    benchmark::AddCustomContext("kvm_backend", backend);
    benchmark::AddCustomContext("guest", twinbox::micro::guest_path());
    benchmark::AddCustomContext("batch", std::to_string(twinbox::micro::batch_size()));
    benchmark::AddCustomContext("hypercall",
                                twinbox::micro::cpu_is_amd() ? "vmmcall (AMD)" : "vmcall (Intel)");
    if (backend == "PVM")
        benchmark::AddCustomContext(
            "guest_note",
            "PVM emulates guest ring-0 code, about 1.5 us per guest instruction: subtract the guest loop (guest_loop_batch)");
    {
        twinbox::micro::Watchdog watchdog(10.0);
        twinbox::micro::register_exit_benchmarks(watchdog);
        twinbox::micro::register_host_benchmarks(private_mounts);
        benchmark::Initialize(&argc, argv);
        if (benchmark::ReportUnrecognizedArguments(argc, argv))
            return 125;
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        twinbox::micro::release_guests();
    }
    return 0;
}
