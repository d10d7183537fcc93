// The guest side of building a Machine (machine_parts.h): the configuration
// checked, and the kernel or bare-metal image loaded into guest RAM with the
// firmware tables it reads. None of this needs /dev/kvm, so a bad kernel,
// initrd or --memory is reported as such on any host.
#include <fmt/core.h>
#include <sys/sysinfo.h>

#include "common/file.h"
#include "common/log.h"
#include "vmm/arch/x86_64/acpi/tables.h"
#include "vmm/arch/x86_64/layout.h"
#include "vmm/arch/x86_64/mptable.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/flat.h"
#include "vmm/boot/multiboot.h"
#include "vmm/boot/pvh.h"
#include "vmm/machine/machine_parts.h"

namespace twinbox {

namespace {

// Upper bounds for files twinbox reads whole; far above any real kernel or initrd,
// low enough that a mistaken path to a disk image fails clearly.
constexpr uint64_t kMaxKernelSize = 256 * layout::kMiB;
constexpr uint64_t kMaxInitrdSize = 2 * layout::kGiB;

// "FILE ARGS" -> {FILE, ARGS}, as QEMU splits -initrd "mod1 arg,mod2".
std::pair<std::string, std::string> split_module(const std::string& module) {
    auto space = module.find(' ');
    if (space == std::string::npos)
        return {module, ""};
    return {module.substr(0, space), module.substr(space + 1)};
}

// What the kernels built with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES read to find
// the virtio slots (the ACPI DSDT tells the others): machine_virtio.cpp.
std::string virtio_command_line(size_t virtio_slots) {
    std::string text;
    for (size_t slot = 0; slot < virtio_slots; ++slot)
        text += fmt::format(" virtio_mmio.device=4K@{:#x}:{}", layout::virtio_mmio_address(slot),
                            layout::kVirtioIrqs[slot]);
    return text;
}

// Writes the ACPI tables and the MP table; returns the RSDP's address.
Result<uint64_t> write_firmware_tables(const VmConfig& config, GuestMemory& memory,
                                       size_t virtio_slots) {
    AcpiConfig acpi{};
    acpi.cpus = config.cpus;
    for (size_t slot = 0; slot < virtio_slots; ++slot)
        acpi.virtio_devices.push_back({layout::virtio_mmio_address(slot), layout::kVirtioMmioStride,
                                       layout::kVirtioIrqs[slot]});
    uint64_t rsdp = TRY(write_acpi_tables(memory, acpi));
    TRY(write_mp_table(memory, config.cpus));
    if (!config.dump_acpi_directory.empty())
        TRY(dump_acpi_tables(memory, rsdp, config.dump_acpi_directory));
    return rsdp;
}

Result<BootEntry> load_linux(const VmConfig& config, GuestMemory& memory, uint64_t rsdp,
                             size_t virtio_slots) {
    auto kernel = TRY(read_whole_file(config.kernel, "kernel", kMaxKernelSize));
    std::vector<uint8_t> initrd;
    if (!config.initrd.empty())
        initrd = TRY(read_whole_file(config.initrd, "initrd", kMaxInitrdSize));
    LinuxBootConfig linux_config{kernel, initrd,
                                 config.command_line + virtio_command_line(virtio_slots), rsdp};
    // An ELF vmlinux with the PVH note boots at its 32-bit entry without
    // decompression; anything else is taken for a bzImage (docs/vmm.md, "PVH boot").
    bool pvh = config.boot_protocol == LinuxBootProtocol::pvh ||
               (config.boot_protocol == LinuxBootProtocol::automatic && has_pvh_entry(kernel));
    if (pvh)
        return load_pvh(memory, linux_config).with_context(config.kernel);
    if (config.boot_protocol == LinuxBootProtocol::automatic && is_elf(kernel))
        return Error::message(fmt::format("{} is an ELF file without a usable Xen PVH entry note",
                                          config.kernel))
            .with_hint(
                "boot a vmlinux built with CONFIG_PVH=y, or the kernel's bzImage (/boot/vmlinuz-*)");
    log::info("boot protocol: Linux bzImage (64-bit boot protocol)");
    return load_bzimage(memory, linux_config).with_context(config.kernel);
}

Result<BootEntry> load_multiboot_kernel(const VmConfig& config, GuestMemory& memory) {
    auto kernel = TRY(read_whole_file(config.multiboot, "multiboot kernel", kMaxKernelSize));
    MultibootConfig multiboot{kernel, config.multiboot, config.command_line, {}};
    for (const std::string& module : config.modules) {
        auto [path, arguments] = split_module(module);
        auto data = TRY(read_whole_file(path, "--module", kMaxInitrdSize));
        multiboot.modules.push_back({path, arguments, std::move(data)});
    }
    return load_multiboot(memory, multiboot).with_context(config.multiboot);
}

}  // namespace

Result<void> check_config(const VmConfig& config) {
    int sources = !config.kernel.empty() + !config.multiboot.empty() + !config.flat.empty();
    if (sources != 1)
        return Error::message("give exactly one of --kernel, --multiboot and --flat");
    if (!config.initrd.empty() && config.kernel.empty())
        return Error::message("--initrd needs --kernel");
    if (!config.modules.empty() && config.multiboot.empty())
        return Error::message("--module needs --multiboot");
    if (config.cpus == 0)
        return Error::message("--cpus must be at least 1");
    if (config.cpus > 254)  // APIC IDs are 8 bits and 0xff is broadcast (SDM vol. 3A, 11.4.6)
        return Error::message(fmt::format(
            "--cpus {} is more than the 254 an xAPIC machine can address", config.cpus));
    struct sysinfo info {};
    if (::sysinfo(&info) == 0) {
        uint64_t host_memory = static_cast<uint64_t>(info.totalram) * info.mem_unit;
        if (config.memory > host_memory)
            return Error::message(fmt::format("--memory {} MiB is more than this host's {} MiB",
                                              config.memory >> 20, host_memory >> 20))
                .with_hint("give a smaller --memory");
    }
    return ok();
}

Result<BootEntry> load_guest(const VmConfig& config, GuestMemory& memory, size_t virtio_slots) {
    // Firmware tables first: the Linux loader records the RSDP address in boot_params.
    uint64_t rsdp = TRY(write_firmware_tables(config, memory, virtio_slots));
    if (!config.kernel.empty())
        return load_linux(config, memory, rsdp, virtio_slots);
    if (!config.multiboot.empty())
        return load_multiboot_kernel(config, memory);
    auto image = TRY(read_whole_file(config.flat, "flat binary", kMaxKernelSize));
    return load_flat(memory, image, config.flat_mode, config.flat_address)
        .with_context(config.flat);
}

}  // namespace twinbox
