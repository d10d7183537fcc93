// Machine::run(): the vCPU threads and their exit loop, and the main thread's
// console and signal handling. The exit loop is one switch on the exit reason
// (model: kvmtool kvm-cpu.c, kvm_cpu__start).
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "common/log.h"
#include "vmm/agent/agent_channel.h"
#include "vmm/control/exit_counters.h"
#include "vmm/devices/serial.h"
#include "vmm/machine/console.h"
#include "vmm/machine/control_socket.h"
#include "vmm/machine/machine.h"
#include "vmm/machine/register_dump.h"
#include "vmm/sandbox/test_hook.h"
#include "vmm/trace/exit_trace.h"
#include "vmm/virtio/console.h"

namespace twinbox {

namespace {

// The signal that kicks a vCPU thread out of KVM_RUN. Its handler does
// nothing: the point is that the ioctl returns EINTR (api.rst 4.10, and
// "immediate_exit" in section 5 for the race where the signal comes first).
constexpr int kKickSignal = SIGUSR1;

void ignore_signal(int) {}

void install_kick_handler() {
    struct sigaction action {};
    action.sa_handler = ignore_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    ::sigaction(kKickSignal, &action, nullptr);
}

}  // namespace

void Machine::kick_vcpus() {
    for (auto& slot : m_parts.vcpus) {
        if (!slot->kickable)
            continue;
        // Set before the signal, so a vCPU about to enter KVM_RUN returns at once.
        __atomic_store_n(&slot->vcpu.run_state()->immediate_exit, 1, __ATOMIC_SEQ_CST);
        ::pthread_kill(slot->handle, kKickSignal);
    }
}

void Machine::fail_vcpu(Vcpu& vcpu, const std::string& what) {
    log::error("vCPU {}: {}", vcpu.index(), what);
    dump_registers(vcpu);
    request_stop(exit_code::kTwinboxError);
}

bool Machine::handle_io(Vcpu& vcpu) {
    kvm_run* run = vcpu.run_state();
    auto& io = run->io;
    // KVM describes `count` accesses of `size` bytes at data_offset inside the kvm_run
    // mapping (a `rep outsb` gives count > 1). Check the numbers before trusting them.
    size_t total = static_cast<size_t>(io.size) * io.count;
    if (io.size == 0 || io.size > 4 || io.data_offset + total > vcpu.run_state_size()) {
        fail_vcpu(vcpu, fmt::format("malformed port I/O exit (port {:#x}, size {}, count {})",
                                    io.port, io.size, io.count));
        return false;
    }
    uint8_t* data = reinterpret_cast<uint8_t*>(run) + io.data_offset;
    for (uint32_t i = 0; i < io.count; ++i, data += io.size) {
        std::span<uint8_t> bytes(data, io.size);
        if (io.direction == KVM_EXIT_IO_OUT) {
            if (!m_parts.devices->io_bus.write(io.port, bytes))
                log::debug("unclaimed port write {:#x} size {}", io.port, io.size);
        } else if (!m_parts.devices->io_bus.read(io.port, bytes)) {
            // No device: an ISA bus floats high, so reads of nothing return all ones.
            std::memset(data, 0xff, io.size);
        }
    }
    return true;
}

bool Machine::handle_mmio(Vcpu& vcpu) {
    auto& mmio = vcpu.run_state()->mmio;
    if (mmio.len == 0 || mmio.len > sizeof(mmio.data)) {
        fail_vcpu(vcpu, fmt::format("malformed MMIO exit at {:#x} (length {})", mmio.phys_addr,
                                    mmio.len));
        return false;
    }
    std::span<uint8_t> bytes(mmio.data, mmio.len);
    if (mmio.is_write) {
        if (!m_parts.devices->mmio_bus.write(mmio.phys_addr, bytes))
            log::debug("unclaimed MMIO write {:#x} size {}", mmio.phys_addr, mmio.len);
    } else if (!m_parts.devices->mmio_bus.read(mmio.phys_addr, bytes)) {
        std::memset(mmio.data, 0xff, mmio.len);
    }
    return true;
}

bool Machine::handle_exit(Vcpu& vcpu) {
    kvm_run* run = vcpu.run_state();
    switch (run->exit_reason) {
        case KVM_EXIT_IO:
            return handle_io(vcpu);
        case KVM_EXIT_MMIO:
            return handle_mmio(vcpu);
        case KVM_EXIT_INTR:
            return true;  // a signal arrived; the loop checks the stop flag
        case KVM_EXIT_HLT:
            // Only without an in-kernel LAPIC does HLT reach user space; twinbox always has one.
            log::info("vCPU {} halted", vcpu.index());
            request_stop(exit_code::kGuestPoweredOff);
            return false;
        case KVM_EXIT_SHUTDOWN:
            // A triple fault: on a PC this resets the machine (Linux's `reboot=t` uses it).
            log::info("vCPU {}: triple fault (shutdown), treated as a guest reset", vcpu.index());
            reset();
            return false;
        case KVM_EXIT_SYSTEM_EVENT:
            if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
                reset();
            else
                power_off(exit_code::kGuestPoweredOff);
            return false;
        case KVM_EXIT_FAIL_ENTRY:
            fail_vcpu(
                vcpu,
                fmt::format("KVM could not enter the guest (hardware entry failure reason {:#x})",
                            static_cast<uint64_t>(run->fail_entry.hardware_entry_failure_reason)));
            return false;
        case KVM_EXIT_INTERNAL_ERROR:
            fail_vcpu(vcpu,
                      fmt::format("KVM internal error (suberror {}){}", run->internal.suberror,
                                  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                                      ? ": KVM could not emulate an instruction of the guest"
                                      : ""));
            return false;
        default:
            fail_vcpu(vcpu, fmt::format("unhandled KVM exit reason {}", run->exit_reason));
            return false;
    }
}

void Machine::vcpu_thread(size_t index) {
    VcpuSlot& slot = *m_parts.vcpus[index];
    Vcpu& vcpu = slot.vcpu;
    slot.tid.store(::gettid());
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, kKickSignal);
    ::pthread_sigmask(SIG_UNBLOCK, &kick, nullptr);
    slot.stat_fd.store(::open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC));
    // The last setup call is above: from here on, only KVM_RUN and the exits.
    if (!enter_sandbox(sandbox::ThreadRole::vcpu)) {
        m_parts.run->pause_gate().thread_exited();
        return;
    }
    sandbox::run_test_violation(sandbox::TestViolation::vcpu);
    while (!m_parts.run->stopping()) {
        // {"cmd":"pause"} closes the gate and kicks us out of KVM_RUN: wait here.
        m_parts.run->pause_gate().park_if_closed(m_parts.run->stopping_flag());
        if (m_parts.run->stopping())
            break;
        auto result = vcpu.run();
        if (!result) {
            int err = result.error().code();
            if (err == EINTR || err == EAGAIN) {
                vcpu.run_state()->immediate_exit = 0;
                continue;
            }
            fail_vcpu(vcpu, result.error().to_string());
            break;
        }
        m_parts.counters->count(index, *vcpu.run_state());
        if (m_parts.tracer) {
            // Time from KVM_RUN's return to being ready to re-enter: what this exit cost
            // the guest in twinbox (the trip through the kernel comes on top).
            auto start = std::chrono::steady_clock::now();
            bool go_on = handle_exit(vcpu);
            m_parts.tracer->record(vcpu, std::chrono::steady_clock::now() - start);
            if (!go_on)
                break;
            continue;
        }
        if (!handle_exit(vcpu))
            break;
    }
    m_parts.run->pause_gate().thread_exited();
}

int Machine::run() {
    // Block the signals the main thread serves through a signalfd, and the kick
    // signal, before starting threads: they inherit the mask, and each vCPU
    // thread unblocks only the kick.
    install_kick_handler();
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, kKickSignal}) sigaddset(&blocked, signal);
    sigset_t previous;
    ::pthread_sigmask(SIG_BLOCK, &blocked, &previous);

    m_parts.run->pause_gate().set_running_threads(m_parts.vcpus.size());
    for (size_t index = 0; index < m_parts.vcpus.size(); ++index) {
        VcpuSlot& slot = *m_parts.vcpus[index];
        slot.thread = std::thread([this, index] { vcpu_thread(index); });
        slot.handle = slot.thread.native_handle();
        slot.kickable = true;
    }
    if (m_control_server)
        m_control_server->start([this] { return enter_sandbox(sandbox::ThreadRole::control); });
    if (m_parts.virtio.agent_channel)
        m_parts.virtio.agent_channel->start(
            [this] { return enter_sandbox(sandbox::ThreadRole::control); });
    int status = serve_console();
    // The control socket goes first (it may kick the vCPUs), and the registry entry
    // with it: once the directory is gone, `twinbox vm stop` knows the VM ended.
    close_control_socket();
    kick_vcpus();
    for (auto& slot : m_parts.vcpus) {
        slot->thread.join();
        slot->kickable = false;
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (m_parts.tracer && m_parts.tracer->wants_stats())
        std::fputs(m_parts.tracer->stats_table().c_str(), stderr);
    return status;
}

int Machine::serve_console() {
    sigset_t handled;
    sigemptyset(&handled);
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&handled, signal);
    UniqueFd signals(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));

    bool reading_stdin = m_config.console_input.value_or(m_config.serial == SerialOutput::stdio);
    ConsoleInput input(m_config.console_input_frames ? ConsoleInput::Mode::frames
                                                     : ConsoleInput::Mode::keystrokes);
    // Keystrokes from a terminal go raw; frames (`run -i` without -t) leave the
    // terminal cooked, as `docker run -i` does: its Ctrl-D ends the input.
    std::unique_ptr<RawTerminal> raw_terminal;
    if (reading_stdin && input.mode() == ConsoleInput::Mode::keystrokes && ::isatty(STDIN_FILENO)) {
        auto entered = RawTerminal::enter(STDIN_FILENO);
        if (entered)
            raw_terminal = std::move(entered).value();
    }
    std::vector<uint8_t> pending;  // input the console had no room for yet
    std::vector<uint8_t> buffer(input.mode() == ConsoleInput::Mode::frames ? ConsoleInput::kReadSize
                                                                           : 256);
    // Every other thread is running (the filter is inherited by threads started
    // later, so the main thread's goes last) and the terminal is set up.
    enter_sandbox(sandbox::ThreadRole::console);

    while (!m_parts.run->stopping()) {
        pollfd fds[4] = {{m_parts.run->stop_event(), POLLIN, 0},
                         {signals.get(), POLLIN, 0},
                         {m_parts.devices->input_space_event.get(), POLLIN, 0},
                         {reading_stdin && pending.empty() ? STDIN_FILENO : -1, POLLIN, 0}};
        if (::poll(fds, 4, pending.empty() ? -1 : 50) < 0 && errno != EINTR)
            break;
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
                log::info("stopping the VM on signal {}",
                          strsignal(static_cast<int>(info.ssi_signo)));
                request_stop(exit_code::kSignalBase + static_cast<int>(info.ssi_signo));
            }
        }
        if (fds[2].revents & POLLIN) {
            uint64_t count;
            [[maybe_unused]] ssize_t ignored =
                ::read(m_parts.devices->input_space_event.get(), &count, sizeof(count));
        }
        if (fds[3].revents & (POLLIN | POLLHUP)) {
            ssize_t got = ::read(STDIN_FILENO, buffer.data(), buffer.size());
            if (got <= 0) {
                // End of input: the guest keeps running without it (told so with frames).
                reading_stdin = false;
                auto end = input.end();
                pending.insert(pending.end(), end.begin(), end.end());
            } else {
                auto decoded = input.feed({buffer.data(), static_cast<size_t>(got)});
                pending.insert(pending.end(), decoded.to_guest.begin(), decoded.to_guest.end());
                if (decoded.quit) {
                    log::info("Ctrl-A x: stopping the VM");
                    request_stop(exit_code::kGuestPoweredOff);
                }
            }
        }
        // Frames wait for the guest agent's first frame, which it sends once
        // hvc0 is in raw mode (before, the tty would echo them).
        const auto& agent = m_parts.virtio.agent_channel;
        bool guest_ready =
            input.mode() == ConsoleInput::Mode::keystrokes || !agent || agent->guest_ready();
        if (!pending.empty() && guest_ready &&
            (m_parts.virtio.console || m_parts.devices->serial)) {
            // With --console virtio, keystrokes go to hvc0; otherwise to the UART.
            size_t accepted = m_parts.virtio.console
                                  ? m_parts.virtio.console->push_input(pending)
                                  : m_parts.devices->serial->enqueue_input(pending);
            pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(accepted));
        }
    }
    return m_parts.run->exit_status();
}

}  // namespace twinbox
