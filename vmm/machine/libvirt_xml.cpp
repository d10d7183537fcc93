// libvirt domain XML for a twinbox guest (see libvirt_xml.h).
#include "vmm/machine/libvirt_xml.h"

#include <fmt/core.h>

#include <cctype>
#include <filesystem>

namespace twinbox {

namespace {

std::string absolute(const std::string& path) {
    std::error_code error;
    auto full = std::filesystem::absolute(path, error);
    return error ? path : full.lexically_normal().string();
}

// libvirt domain names may hold almost anything but '/', and must not be empty.
std::string default_name(const std::string& kernel) {
    std::string name = "twinbox-" + std::filesystem::path(kernel).filename().string();
    for (char& c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            c = '_';
    return name;
}

// XML 1.0 has no way to write control characters other than tab, CR and LF,
// not even as character references (XML 1.0, section 2.2 "Char").
Result<void> check_xml_text(const std::string& text) {
    for (unsigned char c : text)
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return Error::message(fmt::format(
                "--print-libvirt-xml: a name, path or command line holds control character {:#04x}, which XML cannot carry",
                c));
    return ok();
}

std::string mac_text(const std::array<uint8_t, 6>& mac) {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3],
                       mac[4], mac[5]);
}

// vda, vdb, ..., vdz, vdaa: the names Linux gives virtio disks in order.
std::string disk_name(size_t index) {
    std::string suffix;
    for (size_t n = index + 1; n > 0; n = (n - 1) / 26)
        suffix.insert(suffix.begin(), static_cast<char>('a' + (n - 1) % 26));
    return "vd" + suffix;
}

void append_disks(std::string& xml, const VmConfig& config, const std::string& address) {
    for (size_t index = 0; index < config.disks.size(); ++index) {
        const DiskConfig& disk = config.disks[index];
        xml += "    <disk type='file' device='disk'>\n";
        xml += "      <driver name='qemu' type='raw'/>\n";
        xml += fmt::format("      <source file='{}'/>\n", xml_escape(absolute(disk.path)));
        xml += fmt::format("      <target dev='{}' bus='virtio'/>\n", disk_name(index));
        if (disk.read_only)
            xml += "      <readonly/>\n";
        xml += address;
        xml += "    </disk>\n";
    }
}

// --net bridge=NAME: libvirt makes a tap and enslaves it to the bridge; --net tap=NAME:
// an existing tap libvirt uses as is (managed='no'); --net tap: libvirt makes a tap.
void append_networks(std::string& xml, const VmConfig& config, const std::string& address) {
    for (const NetConfig& net : config.nets) {
        if (!net.bridge.empty()) {
            xml += "    <interface type='bridge'>\n";
            xml += fmt::format("      <source bridge='{}'/>\n", xml_escape(net.bridge));
        } else {
            xml += "    <interface type='ethernet'>\n";
            if (!net.tap_name.empty())
                xml += fmt::format("      <target dev='{}' managed='no'/>\n",
                                   xml_escape(net.tap_name));
        }
        if (net.mac)
            xml += fmt::format("      <mac address='{}'/>\n", mac_text(*net.mac));
        xml += "      <model type='virtio'/>\n";
        xml += address;
        xml += "    </interface>\n";
    }
}

// twinbox's 16550A on ttyS0 is QEMU's isa-serial; virsh console attaches to the pty.
void append_consoles(std::string& xml, const VmConfig& config, const std::string& address) {
    switch (config.serial) {
        case SerialOutput::stdio:
            xml += "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n";
            xml +=
                "    <console type='pty'>\n      <target type='serial' port='0'/>\n"
                "    </console>\n";
            break;
        case SerialOutput::file:
            xml += fmt::format(
                "    <serial type='file'>\n      <source path='{}'/>\n      <target port='0'/>\n"
                "    </serial>\n",
                xml_escape(absolute(config.serial_file)));
            break;
        case SerialOutput::none:
            xml += "    <serial type='null'>\n      <target port='0'/>\n    </serial>\n";
            break;
    }
    if (config.console == ConsoleKind::virtio) {
        // hvc0 sits on a virtio-serial controller, which must be placed too.
        xml +=
            "    <console type='pty'>\n      <target type='virtio' port='0'/>\n"
            "    </console>\n";
        xml +=
            "    <controller type='virtio-serial' index='0'>\n" + address + "    </controller>\n";
    }
}

}  // namespace

std::string xml_escape(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            case '"':
                escaped += "&quot;";
                break;
            case '\'':
                escaped += "&apos;";
                break;
            default:
                escaped += c;
        }
    }
    return escaped;
}

Result<std::string> libvirt_domain_xml(const VmConfig& config, const LibvirtXmlOptions& options) {
    if (!config.flat.empty())
        return Error::message(
            "--print-libvirt-xml: a --flat binary has no libvirt equivalent (QEMU loads only Linux, PVH and Multiboot kernels); use --kernel or --multiboot");
    if (!config.modules.empty())
        return Error::message(
            "--print-libvirt-xml: libvirt cannot pass Multiboot modules; leave out --module");
    if (options.domain_type != "kvm" && options.domain_type != "qemu")
        return Error::message(
            fmt::format("libvirt domain type {} is not one of kvm, qemu", options.domain_type));
    bool multiboot = config.kernel.empty();
    const std::string& kernel = multiboot ? config.multiboot : config.kernel;
    if (kernel.empty())
        return Error::message("--print-libvirt-xml needs a --kernel or --multiboot guest");
    // Multiboot kernels are loaded by QEMU's "pc" machine (its multiboot option ROM).
    const char* machine = multiboot ? "pc" : "microvm";
    for (const std::string* text : {&kernel, &config.initrd, &config.command_line, &options.name})
        TRY(check_xml_text(*text));
    for (const DiskConfig& disk : config.disks) TRY(check_xml_text(disk.path));
    for (const NetConfig& net : config.nets) {
        TRY(check_xml_text(net.bridge));
        TRY(check_xml_text(net.tap_name));
    }

    std::string name = options.name.empty() ? default_name(kernel) : options.name;
    std::string xml = fmt::format("<domain type='{}'>\n", options.domain_type);
    xml += fmt::format("  <name>{}</name>\n", xml_escape(name));
    xml += fmt::format("  <memory unit='KiB'>{}</memory>\n", config.memory >> 10);
    xml += fmt::format("  <vcpu>{}</vcpu>\n", config.cpus);
    xml += "  <os>\n";
    xml += fmt::format("    <type arch='x86_64' machine='{}'>hvm</type>\n", machine);
    xml += fmt::format("    <kernel>{}</kernel>\n", xml_escape(absolute(kernel)));
    if (!config.initrd.empty())
        xml += fmt::format("    <initrd>{}</initrd>\n", xml_escape(absolute(config.initrd)));
    if (!config.command_line.empty())
        xml += fmt::format("    <cmdline>{}</cmdline>\n", xml_escape(config.command_line));
    xml += "  </os>\n";
    xml += "  <features>\n    <acpi/>\n  </features>\n";
    if (options.domain_type == "kvm")
        xml +=
            "  <cpu mode='host-passthrough'>\n"
            "    <feature policy='disable' name='arch-capabilities'/>\n  </cpu>\n";
    else
        xml += "  <cpu mode='maximum'/>\n";
    // Like twinbox, a guest reboot or crash ends the VM.
    xml +=
        "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
        "  <on_crash>destroy</on_crash>\n";
    xml += "  <devices>\n";
    // On microvm every virtio device must say it sits on virtio-mmio, or libvirt
    // looks for a PCI bus to put it on ("No PCI buses available").
    std::string address = multiboot ? "" : "      <address type='virtio-mmio'/>\n";
    append_disks(xml, config, address);
    append_networks(xml, config, address);
    append_consoles(xml, config, address);
    xml += "    <controller type='usb' model='none'/>\n";
    xml += "    <memballoon model='none'/>\n";
    if (config.rng)
        xml += "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n" +
               address + "    </rng>\n";
    xml += "  </devices>\n</domain>\n";
    return xml;
}

}  // namespace twinbox
