// The micro-benchmark binary's parts (bench/micro, docs/benchmarking.md
// "Micro-benchmarks"): exit_benchmarks.cpp registers the VM exit round trips,
// host_benchmarks.cpp the host mechanisms, micro_main.cpp runs them.
#pragma once

#include "bench/micro/micro_vm.h"

namespace twinbox::micro {

// In-kernel exits per KVM_RUN in the batch benchmarks ($TWINBOX_MICRO_BATCH).
uint32_t batch_size();

void register_exit_benchmarks(Watchdog& watchdog);
// Ends the VMs the exit benchmarks kept between runs (before main returns).
void release_guests();

// `private_mounts`: whether main() could give the process a private mount
// namespace, which the mount benchmarks need (else they are skipped).
void register_host_benchmarks(bool private_mounts);

}  // namespace twinbox::micro
