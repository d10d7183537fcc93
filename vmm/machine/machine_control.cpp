// The control socket's view of a Machine (machine_control.h), and the
// registration of a VM under its name when it starts.
#include "vmm/machine/machine_control.h"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>

#include "common/log.h"
#include "vmm/agent/agent_channel.h"
#include "vmm/arch/x86_64/e820.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/control/exit_counters.h"
#include "vmm/control/proc_stat.h"
#include "vmm/machine/control_socket.h"
#include "vmm/machine/machine.h"
#include "vmm/trace/exit_trace.h"
#include "vmm/virtio/device.h"

namespace twinbox {

namespace {

using nlohmann::json;

// How long a pause may take to park every vCPU. A vCPU leaves KVM_RUN within
// microseconds of the kick unless the host is badly overloaded.
constexpr std::chrono::milliseconds kPauseTimeout{2000};

std::string hex(uint64_t value) {
    return fmt::format("{:#x}", value);
}

json bus_json(const Bus& bus) {
    json devices = json::array();
    for (const auto& entry : bus.entries())
        devices.push_back(
            {{"base", entry.base},
             {"length", entry.length},
             {"range", fmt::format("{:#x}-{:#x}", entry.base, entry.base + entry.length - 1)},
             {"device", std::string(entry.name)}});
    return devices;
}

const char* e820_name(E820Type type) {
    switch (type) {
        case E820Type::ram:
            return "ram";
        case E820Type::reserved:
            return "reserved";
        case E820Type::acpi:
            return "acpi";
    }
    return "?";
}

}  // namespace

std::string MachineControl::state() const {
    if (m_machine.stopping())
        return "stopping";
    return m_machine.paused() ? "paused" : "running";
}

json MachineControl::exits() const {
    auto snapshot = m_machine.exit_counts();
    json by_device = json::array();
    for (const auto& [region, count] : snapshot.by_region)
        by_device.push_back({{"bus", region.bus},
                             {"base", region.base},
                             {"length", region.length},
                             {"device", region.device},
                             {"exits", count}});
    return {{"total", snapshot.total},
            {"by_reason", snapshot.by_reason},
            {"by_device", by_device},
            {"timed", m_machine.exits_timed()}};
}

json MachineControl::vcpus() const {
    auto snapshot = m_machine.exit_counts();
    auto threads = m_machine.vcpu_threads();
    json list = json::array();
    for (size_t index = 0; index < threads.size(); ++index) {
        auto [tid, stat_fd] = threads[index];
        json vcpu = {{"index", index},
                     {"tid", tid},
                     {"exits", index < snapshot.by_vcpu.size() ? snapshot.by_vcpu[index] : 0}};
        if (auto seconds = stat_fd >= 0 ? thread_cpu_seconds_from(stat_fd)
                           : tid > 0    ? thread_cpu_seconds(tid)
                                        : std::nullopt)
            vcpu["cpu_seconds"] = *seconds;
        list.push_back(vcpu);
    }
    return list;
}

Result<json> MachineControl::stats() {
    double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    return json{{"name", m_record.name},
                {"pid", ::getpid()},
                {"state", state()},
                {"uptime_seconds", uptime},
                {"memory", m_machine.memory().size()},
                {"cpus", m_machine.vcpu_threads().size()},
                {"vcpus", vcpus()},
                {"exits", exits()}};
}

Result<json> MachineControl::inspect() {
    const GuestMemory& memory = m_machine.memory();
    json ram = json::array();
    for (const auto& region : memory.regions())
        ram.push_back({{"guest_start", region.guest_address},
                       {"guest_end", region.guest_address + region.size},
                       {"size", region.size},
                       {"host_address", hex(reinterpret_cast<uintptr_t>(region.host))}});
    json e820 = json::array();
    for (const auto& entry : build_e820_map(memory))
        e820.push_back({{"start", entry.address},
                        {"end", entry.address + entry.size},
                        {"type", e820_name(entry.type)}});
    // Address ranges that are not RAM: accesses there exit to twinbox (MMIO) or
    // are served inside KVM (the interrupt controllers).
    json holes = json::array({
        {{"start", layout::kMmioHoleStart},
         {"end", layout::kMmioHoleEnd},
         {"what", "32-bit MMIO hole: no RAM; device registers (see devices.mmio)"}},
        {{"start", layout::kIoapicAddress},
         {"end", layout::kIoapicAddress + 0x1000},
         {"what", "IOAPIC (emulated inside KVM)"}},
        {{"start", layout::kLapicAddress},
         {"end", layout::kLapicAddress + 0x1000},
         {"what", "local APICs (emulated inside KVM)"}},
        {{"start", layout::kIdentityMapAddress},
         {"end", layout::kTssAddress + 0x3000},
         {"what", "KVM identity map page and TSS (KVM_SET_IDENTITY_MAP_ADDR, KVM_SET_TSS_ADDR)"}},
    });
    json in_kernel = json::array({
        {{"bus", "io"}, {"range", "0x20-0x21, 0xa0-0xa1"}, {"device", "8259 PIC (pair)"}},
        {{"bus", "io"}, {"range", "0x40-0x43"}, {"device", "8254 PIT"}},
        {{"bus", "mmio"}, {"range", hex(layout::kIoapicAddress)}, {"device", "IOAPIC"}},
        {{"bus", "mmio"}, {"range", hex(layout::kLapicAddress)}, {"device", "local APIC"}},
    });
    json virtio = json::array();
    auto kinds = m_machine.virtio_kinds();
    for (size_t slot = 0; slot < kinds.size(); ++slot)
        virtio.push_back({{"slot", slot},
                          {"address", layout::virtio_mmio_address(slot)},
                          {"gsi", layout::kVirtioIrqs[slot]},
                          {"kind", kinds[slot]}});
    return json{
        {"name", m_record.name},
        {"pid", ::getpid()},
        {"state", state()},
        {"boot", m_record.boot},
        {"guest", m_record.guest},
        {"started", m_record.started},
        {"memory", {{"size", memory.size()}, {"ram", ram}, {"e820", e820}, {"holes", holes}}},
        {"devices",
         {{"io", bus_json(m_machine.io_bus())},
          {"mmio", bus_json(m_machine.mmio_bus())},
          {"in_kernel", in_kernel}}},
        {"virtio", virtio},
        {"vcpus", vcpus()},
        {"exits", exits()}};
}

Result<json> MachineControl::pause() {
    if (m_machine.stopping())
        return Error::message("the VM is stopping");
    if (!m_machine.pause(kPauseTimeout))
        return Error::message(fmt::format("the vCPUs did not stop within {} ms; the VM runs on",
                                          kPauseTimeout.count()));
    log::info("VM {} paused through the control socket", m_record.name);
    return json{{"state", "paused"}};
}

Result<json> MachineControl::resume() {
    if (m_machine.stopping())
        return Error::message("the VM is stopping");
    m_machine.resume();
    log::info("VM {} resumed through the control socket", m_record.name);
    return json{{"state", "running"}};
}

Result<json> MachineControl::powerdown() {
    // `virsh shutdown`: the guest sees a power-button press and shuts down on
    // its own; a caller that wants a bound kills it with stop after a grace.
    if (m_machine.stopping())
        return Error::message("the VM is stopping");
    TRY(m_machine.press_power_button());
    log::info("VM {}: power button pressed through the control socket", m_record.name);
    return json{{"state", "powering-down"}};
}

Result<json> MachineControl::stop() {
    // `virsh destroy`, not `virsh shutdown` (that is powerdown): the VMM ends the VM now.
    log::info("VM {} stopped through the control socket", m_record.name);
    m_machine.stop();
    return json{{"state", "stopping"}};
}

Result<void> Machine::open_control_socket() {
    VmRecord record;
    record.name = m_config.name.empty() ? random_vm_name() : m_config.name;
    record.pid = ::getpid();
    record.pid_start_time = live_process_start(record.pid);
    auto now = std::chrono::system_clock::now();
    record.started_unix_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
    record.started = text;
    record.boot = !m_config.kernel.empty()      ? "kernel"
                  : !m_config.multiboot.empty() ? "multiboot"
                                                : "flat";
    record.guest = !m_config.kernel.empty()      ? m_config.kernel
                   : !m_config.multiboot.empty() ? m_config.multiboot
                                                 : m_config.flat;
    record.cpus = m_config.cpus;
    record.memory = m_parts.memory->size();

    auto registry = VmRegistry::open_default();
    auto registration = registry.add(record);
    if (!registration)
        return std::move(registration).error();
    m_control_target = std::make_unique<MachineControl>(*this, record);
    auto server = ControlServer::create(registration->socket_path(), *m_control_target);
    if (!server)
        return std::move(server).error();
    if (m_parts.virtio.agent_channel)
        TRY(m_parts.virtio.agent_channel->listen(registration->directory() + "/" +
                                                 agent::AgentChannel::kSocketName));
    m_registration = std::make_unique<VmRegistration>(std::move(registration).value());
    m_control_server = std::move(server).value();
    m_name = record.name;
    return ok();
}

void Machine::close_control_socket() {
    if (m_config.seccomp) {
        // The filters forbid unlink: sandbox::run_supervised() removes the entry.
        if (m_control_server)
            m_control_server->keep_socket_file();
        if (m_parts.virtio.agent_channel)
            m_parts.virtio.agent_channel->keep_socket_file();
        if (m_registration)
            m_registration->keep();
    }
    m_control_server.reset();
    if (m_parts.virtio.agent_channel)
        m_parts.virtio.agent_channel
            ->stop();  // the device stays until the virtio devices shut down
    m_control_target.reset();
    m_registration.reset();
}

}  // namespace twinbox
