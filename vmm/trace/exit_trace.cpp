// The exit tracer and exit statistics (see exit_trace.h).
#include "vmm/trace/exit_trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "vmm/trace/disassembler.h"
#include "vmm/trace/guest_view.h"

namespace twinbox {

const char* exit_reason_name(uint32_t reason) {
    switch (reason) {
        case KVM_EXIT_IO:
            return "IO";
        case KVM_EXIT_MMIO:
            return "MMIO";
        case KVM_EXIT_HLT:
            return "HLT";
        case KVM_EXIT_INTR:
            return "INTR";
        case KVM_EXIT_SHUTDOWN:
            return "SHUTDOWN";
        case KVM_EXIT_SYSTEM_EVENT:
            return "SYSTEM_EVENT";
        case KVM_EXIT_DEBUG:
            return "DEBUG";
        case KVM_EXIT_FAIL_ENTRY:
            return "FAIL_ENTRY";
        case KVM_EXIT_INTERNAL_ERROR:
            return "INTERNAL_ERROR";
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            return "IRQ_WINDOW_OPEN";
        case KVM_EXIT_X86_RDMSR:
            return "RDMSR";
        case KVM_EXIT_X86_WRMSR:
            return "WRMSR";
        case KVM_EXIT_HYPERCALL:
            return "HYPERCALL";
        default:
            return "OTHER";
    }
}

Result<std::unique_ptr<ExitTracer>> ExitTracer::create(const Options& options,
                                                       const GuestMemory& memory, const Bus& io_bus,
                                                       const Bus& mmio_bus) {
    load_disassembler();
    FILE* out = stderr;
    bool owns = false;
    if (options.trace && !options.trace_file.empty() && options.trace_file != "-") {
        out = std::fopen(options.trace_file.c_str(), "we");
        if (!out)
            return Error::from_errno("fopen", fmt::format("--trace-exits={}", options.trace_file));
        owns = true;
    }
    return std::unique_ptr<ExitTracer>(
        new ExitTracer(options, memory, io_bus, mmio_bus, out, owns));
}

ExitTracer::ExitTracer(const Options& options, const GuestMemory& memory, const Bus& io_bus,
                       const Bus& mmio_bus, FILE* out, bool owns_out)
    : m_options(options),
      m_memory(memory),
      m_io_bus(io_bus),
      m_mmio_bus(mmio_bus),
      m_out(out),
      m_owns_out(owns_out) {
    if (m_options.trace)
        std::fprintf(m_out, "# vcpu time_us reason mode rip instruction | detail | handled_us\n");
}

ExitTracer::~ExitTracer() {
    if (m_owns_out)
        std::fclose(m_out);
    else
        std::fflush(m_out);
}

namespace {

uint64_t little_endian(const uint8_t* data, size_t size) {
    uint64_t value = 0;
    for (size_t i = size; i-- > 0;) value = value << 8 | data[i];
    return value;
}

}  // namespace

std::string ExitTracer::describe(const kvm_run& run, size_t run_size, std::string& region) const {
    switch (run.exit_reason) {
        case KVM_EXIT_IO: {
            const auto& io = run.io;
            std::string device(m_io_bus.device_name(io.port));
            region = fmt::format("port {:#06x} ({})", io.port, device);
            std::string text = fmt::format("port {:#x} {} {} byte(s)", io.port,
                                           io.direction == KVM_EXIT_IO_OUT ? "out" : "in", io.size);
            // The data sits inside the kvm_run mapping; only show the first access.
            if (io.size >= 1 && io.size <= 4 && io.data_offset <= run_size - io.size)
                text += fmt::format(
                    " {:#x}", little_endian(reinterpret_cast<const uint8_t*>(&run) + io.data_offset,
                                            io.size));
            if (io.count > 1)
                text += fmt::format(" x{}", io.count);
            return text + " " + device;
        }
        case KVM_EXIT_MMIO: {
            const auto& mmio = run.mmio;
            std::string device(m_mmio_bus.device_name(mmio.phys_addr));
            region = fmt::format("mmio {:#x} ({})", mmio.phys_addr & ~0xfffull, device);
            size_t length = std::min<size_t>(mmio.len, sizeof mmio.data);
            return fmt::format("mmio {:#x} {} {} byte(s) {:#x} {}", mmio.phys_addr,
                               mmio.is_write ? "write" : "read", mmio.len,
                               little_endian(mmio.data, length), device);
        }
        case KVM_EXIT_SYSTEM_EVENT:
            region = "system event";
            return fmt::format("type {}", run.system_event.type);
        default:
            region = exit_reason_name(run.exit_reason);
            return "";
    }
}

void ExitTracer::record(const Vcpu& vcpu, std::chrono::nanoseconds handling) {
    const kvm_run& run = *vcpu.run_state();
    std::string region;
    std::string detail = describe(run, vcpu.run_state_size(), region);
    const char* reason = exit_reason_name(run.exit_reason);
    std::string line;
    if (m_options.trace) {
        auto location = locate_guest(vcpu, m_memory);
        double now_us =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - m_start)
                .count();
        if (location)
            line = fmt::format("{} {:.1f} {} {} {:#x} {} | {} | {:.1f}\n", vcpu.index(), now_us,
                               reason, guest_mode_name(location->mode), location->rip,
                               location->instruction.text, detail, handling.count() / 1000.0);
        else
            line = fmt::format("{} {:.1f} {} ? ? ? | {} | {:.1f}\n", vcpu.index(), now_us, reason,
                               detail, handling.count() / 1000.0);
    }
    std::lock_guard lock(m_lock);
    if (!line.empty())
        std::fputs(line.c_str(), m_out);
    Counter& by_reason = m_by_reason[reason];
    ++by_reason.count;
    by_reason.total += handling;
    Counter& by_region = m_by_region[region];
    ++by_region.count;
    by_region.total += handling;
}

std::string ExitTracer::stats_table() const {
    std::lock_guard lock(m_lock);
    auto table = [](const std::string& title, const std::map<std::string, Counter>& counters) {
        std::vector<std::pair<std::string, Counter>> rows(counters.begin(), counters.end());
        std::sort(rows.begin(), rows.end(),
                  [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
        std::string text =
            fmt::format("{:<36} {:>10} {:>12} {:>10}\n", title, "exits", "total ms", "mean us");
        for (const auto& [name, counter] : rows)
            text += fmt::format(
                "{:<36} {:>10} {:>12.3f} {:>10.2f}\n", name, counter.count,
                counter.total.count() / 1e6,
                counter.count ? counter.total.count() / 1e3 / static_cast<double>(counter.count)
                              : 0.0);
        return text;
    };
    uint64_t total = 0;
    for (const auto& [name, counter] : m_by_reason) total += counter.count;
    return fmt::format("exits to twinbox: {} (exits KVM handled itself are not counted)\n", total) +
           table("by reason", m_by_reason) + "\n" + table("by port / MMIO region", m_by_region);
}

}  // namespace twinbox
