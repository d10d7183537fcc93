#include "vmm/control/inspect_text.h"

#include <fmt/core.h>

#include "vmm/control/stats_rates.h"

namespace twinbox {

namespace {

using nlohmann::json;

const json& field(const json& object, const char* key) {
    static const json null;
    if (!object.is_object())
        return null;
    auto found = object.find(key);
    return found == object.end() ? null : *found;
}

uint64_t unsigned_field(const json& object, const char* key) {
    const json& value = field(object, key);
    if (value.is_number_unsigned())
        return value.get<uint64_t>();
    if (value.is_number_integer() && value.get<int64_t>() >= 0)
        return static_cast<uint64_t>(value.get<int64_t>());
    return 0;
}

// The last byte of a range given by its exclusive end (0 when the end is missing).
uint64_t last_byte(const json& object, const char* key) {
    uint64_t end = unsigned_field(object, key);
    return end > 0 ? end - 1 : 0;
}

std::string text_field(const json& object, const char* key) {
    const json& value = field(object, key);
    if (value.is_string())
        return value.get<std::string>();
    return value.is_null() ? "?" : value.dump();
}

const json& array_field(const json& object, const char* key) {
    static const json empty = json::array();
    const json& value = field(object, key);
    return value.is_array() ? value : empty;
}

void memory_section(std::string& out, const json& memory) {
    out += "\nMemory map (guest-physical ranges; RAM is host memory mapped into the guest)\n";
    for (const auto& region : array_field(memory, "ram"))
        out += fmt::format("  RAM       {:#014x}-{:#014x}  {:>9}  at host {}\n",
                           unsigned_field(region, "guest_start"), last_byte(region, "guest_end"),
                           format_bytes(unsigned_field(region, "size")),
                           text_field(region, "host_address"));
    for (const auto& hole : array_field(memory, "holes"))
        out += fmt::format("  not RAM   {:#014x}-{:#014x}  {}\n", unsigned_field(hole, "start"),
                           last_byte(hole, "end"), text_field(hole, "what"));
    out += "  E820 map the guest is given:\n";
    for (const auto& entry : array_field(memory, "e820"))
        out += fmt::format("    {:#014x}-{:#014x}  {}\n", unsigned_field(entry, "start"),
                           last_byte(entry, "end"), text_field(entry, "type"));
}

void devices_section(std::string& out, const json& devices) {
    out += "\nDevices on the port-I/O bus (every access is an exit to twinbox)\n";
    for (const auto& device : array_field(devices, "io"))
        out +=
            fmt::format("  {:<22} {}\n", text_field(device, "range"), text_field(device, "device"));
    out += "Devices on the MMIO bus (every access is an exit to twinbox)\n";
    for (const auto& device : array_field(devices, "mmio"))
        out +=
            fmt::format("  {:<22} {}\n", text_field(device, "range"), text_field(device, "device"));
    out += "Emulated inside KVM (no exit to twinbox)\n";
    for (const auto& device : array_field(devices, "in_kernel"))
        out += fmt::format("  {:<4} {:<17} {}\n", text_field(device, "bus"),
                           text_field(device, "range"), text_field(device, "device"));
}

void exits_section(std::string& out, const json& exits) {
    out += fmt::format("\nExits to twinbox since the start: {}{}\n", unsigned_field(exits, "total"),
                       field(exits, "timed").is_boolean() && field(exits, "timed").get<bool>()
                           ? " (timed: --exit-stats/--trace-exits)"
                           : "");
    const json& reasons = field(exits, "by_reason");
    if (reasons.is_object())
        for (const auto& [reason, count] : reasons.items())
            out += fmt::format("  {:<22} {}\n", reason, count.dump());
    for (const auto& entry : array_field(exits, "by_device"))
        out += fmt::format("  {:<4} {:<17} {}\n", text_field(entry, "bus"), device_key(entry),
                           unsigned_field(entry, "exits"));
}

}  // namespace

std::string format_bytes(uint64_t bytes) {
    if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
        return fmt::format("{} GiB", bytes >> 30);
    if (bytes >= (1ull << 20))
        return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1ull << 20));
    if (bytes >= 1024)
        return fmt::format("{:.0f} KiB", static_cast<double>(bytes) / 1024);
    return fmt::format("{} B", bytes);
}

std::string format_vm_inspect(const json& reply) {
    try {
        std::string out = fmt::format("VM {}: {}, pid {}, started {}\n", text_field(reply, "name"),
                                      text_field(reply, "state"), unsigned_field(reply, "pid"),
                                      text_field(reply, "started"));
        out += fmt::format("Guest: {} {}, {} of RAM\n", text_field(reply, "boot"),
                           text_field(reply, "guest"),
                           format_bytes(unsigned_field(field(reply, "memory"), "size")));
        memory_section(out, field(reply, "memory"));
        devices_section(out, field(reply, "devices"));
        out += "\nvirtio-mmio slots\n";
        if (array_field(reply, "virtio").empty())
            out += "  (none)\n";
        for (const auto& slot : array_field(reply, "virtio"))
            out += fmt::format("  slot {}  {:#x}  GSI {:<3} {}\n", unsigned_field(slot, "slot"),
                               unsigned_field(slot, "address"), unsigned_field(slot, "gsi"),
                               text_field(slot, "kind"));
        out += "\nvCPU threads (host thread ids)\n";
        for (const auto& vcpu : array_field(reply, "vcpus")) {
            const json& cpu = field(vcpu, "cpu_seconds");
            out += fmt::format("  vCPU {}  tid {:<8} CPU time {:>8}  exits {}\n",
                               unsigned_field(vcpu, "index"), unsigned_field(vcpu, "tid"),
                               cpu.is_number() ? fmt::format("{:.2f} s", cpu.get<double>()) : "?",
                               unsigned_field(vcpu, "exits"));
        }
        exits_section(out, field(reply, "exits"));
        return out;
    } catch (const json::exception& error) {
        return fmt::format("(cannot lay out the reply: {})\n{}\n", error.what(), reply.dump(2));
    }
}

}  // namespace twinbox
