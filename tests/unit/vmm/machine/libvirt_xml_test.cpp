// The libvirt domain XML of twinbox guests is accepted by libvirt itself:
// each config is defined on the test:///default driver (an in-memory
// hypervisor that needs no daemon) with schema validation, and the kernel,
// initrd, command line, memory and vCPUs read back from libvirt are the ones
// twinbox was given, also for command lines full of XML metacharacters.
#include "vmm/machine/libvirt_xml.h"

#include <gtest/gtest.h>

#ifdef TWINBOX_HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include <cstring>
#include <memory>
#include <string>

namespace twinbox {
namespace {

TEST(LibvirtXml, EscapesAllFiveMetacharacters) {
    EXPECT_EQ(xml_escape(R"(a<b>&c'd"e)"), "a&lt;b&gt;&amp;c&apos;d&quot;e");
    EXPECT_EQ(xml_escape("plain text"), "plain text");
    EXPECT_EQ(xml_escape("&amp;"), "&amp;amp;");  // escaping is not idempotent, on purpose
}

TEST(LibvirtXml, RefusesWhatLibvirtCannotBoot) {
    VmConfig flat;
    flat.flat = "hello-real.bin";
    EXPECT_FALSE(libvirt_domain_xml(flat, {}));
    VmConfig nothing;
    EXPECT_FALSE(libvirt_domain_xml(nothing, {}));
    VmConfig control;
    control.kernel = "/boot/vmlinuz";
    control.command_line = std::string("console=ttyS0\x01");
    auto refused = libvirt_domain_xml(control, {});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().to_string().find("control character 0x01"), std::string::npos);
    VmConfig modules;
    modules.multiboot = "k.elf";
    modules.modules = {"m.bin"};
    EXPECT_FALSE(libvirt_domain_xml(modules, {}));
}

TEST(LibvirtXml, NamesDevicesAsTwinboxDoes) {
    VmConfig config;
    config.kernel = "relative/bzImage";
    config.disks = {{"a.img", false}, {"b.img", true}};
    NetConfig bridge;
    bridge.bridge = "br0";
    bridge.mac = std::array<uint8_t, 6>{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    config.nets = {bridge};
    auto xml = libvirt_domain_xml(config, {});
    ASSERT_TRUE(xml) << xml.error().to_string();
    EXPECT_NE(xml->find("<target dev='vdb' bus='virtio'/>\n      <readonly/>"), std::string::npos);
    EXPECT_NE(xml->find("<mac address='52:54:00:12:34:56'/>"), std::string::npos);
    EXPECT_NE(xml->find("<name>twinbox-bzImage</name>"), std::string::npos);
    // microvm has no PCI: each virtio device (2 disks, 1 card, rng) is placed on virtio-mmio.
    size_t placed = 0;
    for (size_t at = xml->find("<address type='virtio-mmio'/>"); at != std::string::npos;
         at = xml->find("<address type='virtio-mmio'/>", at + 1))
        ++placed;
    EXPECT_EQ(placed, 4u) << *xml;
    // libvirt resolves nothing against the caller's directory: paths are absolute.
    EXPECT_EQ(xml->find("<kernel>relative/"), std::string::npos);
}

#ifdef TWINBOX_HAVE_LIBVIRT

void ignore_libvirt_error(void*, virErrorPtr) {}

std::string last_libvirt_error() {
    virErrorPtr error = virGetLastError();
    return error && error->message ? error->message : "unknown libvirt error";
}

// The text of the first <tag>...</tag>, with libvirt's escapes undone.
std::string element_text(const std::string& xml, const std::string& tag) {
    auto open = xml.find("<" + tag + ">");
    auto close = xml.find("</" + tag + ">");
    if (open == std::string::npos || close == std::string::npos)
        return "(no <" + tag + ">)";
    std::string text = xml.substr(open + tag.size() + 2, close - open - tag.size() - 2);
    std::string plain;
    for (size_t i = 0; i < text.size();) {
        static const std::pair<const char*, char> kEntities[] = {
            {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&amp;", '&'}};
        bool matched = false;
        for (auto [entity, c] : kEntities)
            if (text.compare(i, std::strlen(entity), entity) == 0) {
                plain += c;
                i += std::strlen(entity);
                matched = true;
                break;
            }
        if (!matched)
            plain += text[i++];
    }
    return plain;
}

struct ConnectDeleter {
    void operator()(virConnectPtr connection) const { virConnectClose(connection); }
};
struct DomainDeleter {
    void operator()(virDomainPtr domain) const {
        virDomainUndefine(domain);
        virDomainFree(domain);
    }
};

// Defines `xml` on test:///default with schema validation and returns libvirt's own XML.
void expect_round_trip(const VmConfig& config, const std::string& name) {
    virSetErrorFunc(nullptr, ignore_libvirt_error);
    std::unique_ptr<virConnect, ConnectDeleter> connection(virConnectOpen("test:///default"));
    ASSERT_TRUE(connection) << last_libvirt_error();
    auto xml = libvirt_domain_xml(config, {name, "kvm"});
    ASSERT_TRUE(xml) << xml.error().to_string();
    std::unique_ptr<virDomain, DomainDeleter> domain(
        virDomainDefineXMLFlags(connection.get(), xml->c_str(), VIR_DOMAIN_DEFINE_VALIDATE));
    ASSERT_TRUE(domain) << last_libvirt_error() << "\n" << *xml;

    EXPECT_EQ(std::string(virDomainGetName(domain.get())), name);
    virDomainInfo info{};
    ASSERT_EQ(virDomainGetInfo(domain.get(), &info), 0) << last_libvirt_error();
    EXPECT_EQ(info.maxMem, config.memory >> 10);  // KiB
    EXPECT_EQ(info.nrVirtCpu, config.cpus);

    char* described = virDomainGetXMLDesc(domain.get(), 0);
    ASSERT_NE(described, nullptr) << last_libvirt_error();
    std::string back(described);
    free(described);
    std::string kernel = config.kernel.empty() ? config.multiboot : config.kernel;
    EXPECT_EQ(element_text(back, "kernel"), kernel);
    if (!config.initrd.empty()) {
        EXPECT_EQ(element_text(back, "initrd"), config.initrd);
    }
    EXPECT_EQ(element_text(back, "cmdline"), config.command_line);
    for (const DiskConfig& disk : config.disks) {
        EXPECT_NE(back.find("<source file='" + xml_escape(disk.path) + "'/>"), std::string::npos)
            << back;
    }
}

TEST(LibvirtXmlInLibvirt, LinuxGuestWithDisksAndNetworksIsAccepted) {
    VmConfig config;
    config.kernel = "/boot/vmlinuz-6.1.0-99-amd64";  // any path: libvirt's test driver runs nothing
    config.initrd = "/work/build/guest/initramfs.cpio.gz";
    config.command_line = "console=ttyS0 reboot=t panic=-1 pci=off i8042.noaux quiet";
    config.cpus = 2;
    config.memory = 512ull << 20;
    config.disks = {{"/var/lib/twinbox/root.ext4", false}, {"/var/lib/twinbox/data.img", true}};
    NetConfig bridge;
    bridge.bridge = "br0";
    bridge.mac = std::array<uint8_t, 6>{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
    NetConfig tap;
    tap.tap_name = "tap7";
    config.nets = {bridge, tap, NetConfig{}};
    expect_round_trip(config, "twinbox-linux");
}

TEST(LibvirtXmlInLibvirt, MultibootGuestWithFileSerialAndVirtioConsoleIsAccepted) {
    VmConfig config;
    config.multiboot = "/work/build/guest/examples/hello-multiboot.elf";
    config.command_line = "exit=21";
    config.memory = 64ull << 20;
    config.serial = SerialOutput::file;
    config.serial_file = "/tmp/twinbox-serial.log";
    config.console = ConsoleKind::virtio;
    config.rng = false;
    expect_round_trip(config, "twinbox-multiboot");
}

TEST(LibvirtXmlInLibvirt, HostileStringsSurviveTheRoundTrip) {
    VmConfig config;
    config.kernel = "/tmp/a dir/<kernel> & 'quotes' \"too\"";
    config.initrd = "/tmp/x&y.cpio";
    // Tries to close <cmdline> and open a second <kernel>: must stay command-line text.
    config.command_line =
        R"(console=ttyS0 TWINBOX_RUN="echo '<b>' && cat </etc/hostname" </cmdline><kernel>/evil</kernel>)";
    config.disks = {{"/tmp/disk'<&>\".img", true}};
    config.serial = SerialOutput::none;
    expect_round_trip(config, "twinbox-<hostile> & 'name'");
}

#else

TEST(LibvirtXmlInLibvirt, NeedsLibvirt) {
    GTEST_SKIP()
        << "built without libvirt (apt-get install libvirt-dev): the XML is not checked by libvirt's test driver";
}

#endif

}  // namespace
}  // namespace twinbox
