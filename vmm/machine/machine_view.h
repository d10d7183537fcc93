// MachineView: what the control socket (machine_control.h) may see of a
// running Machine, read-only, and the four things it may do to it: pause,
// resume, stop, press the power button. Machine implements it; the control code sees nothing else of
// the Machine, and unit tests hand it a fake.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "vmm/control/exit_counters.h"
#include "vmm/devices/bus.h"
#include "vmm/memory/guest_memory.h"

namespace twinbox {

class MachineView {
public:
    // One vCPU thread as the control thread sees it.
    struct VcpuThread {
        pid_t tid = 0;     // 0 until the thread runs
        int stat_fd = -1;  // its /proc/thread-self/stat, opened before its seccomp filter
    };

    virtual ~MachineView() = default;

    virtual bool stopping() const = 0;
    virtual bool paused() const = 0;
    virtual const GuestMemory& memory() const = 0;
    virtual const Bus& io_bus() const = 0;
    virtual const Bus& mmio_bus() const = 0;
    // The virtio device in each virtio-mmio slot ("virtio-blk"...), by slot.
    virtual std::vector<std::string> virtio_kinds() const = 0;
    virtual ExitCounters::Snapshot exit_counts() const = 0;
    // Whether exits are also timed (--trace-exits or --exit-stats).
    virtual bool exits_timed() const = 0;
    virtual std::vector<VcpuThread> vcpu_threads() const = 0;

    // Parks every vCPU; false (and the vCPUs run on) when they did not all
    // park within `timeout`.
    virtual bool pause(std::chrono::milliseconds timeout) = 0;
    virtual void resume() = 0;
    // Ends the VM now, as `virsh destroy`, with status 0.
    virtual void stop() = 0;
    // Presses the ACPI power button (`virsh shutdown`); an error for guests
    // without one (flat and multiboot images).
    virtual Result<void> press_power_button() = 0;
};

}  // namespace twinbox
