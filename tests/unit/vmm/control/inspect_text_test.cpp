// `twinbox vm inspect` as text (vmm/control/inspect_text.h): the sections a
// student reads, and replies of the wrong shape shown without a crash.
#include "vmm/control/inspect_text.h"

#include <gtest/gtest.h>

namespace twinbox {
namespace {

using nlohmann::json;

TEST(InspectText, LaysOutEverySection) {
    json reply = {
        {"name", "demo"},
        {"state", "paused"},
        {"pid", 4242},
        {"boot", "flat"},
        {"guest", "tick-real.bin"},
        {"memory",
         {{"size", 268435456},
          {"ram",
           {{{"guest_start", 0},
             {"guest_end", 268435456},
             {"size", 268435456},
             {"host_address", "0x7f0000000000"}}}},
          {"e820", {{{"start", 0}, {"end", 0x9fc00}, {"type", "ram"}}}},
          {"holes",
           {{{"start", 0xc0000000}, {"end", 0x100000000}, {"what", "32-bit MMIO hole"}}}}}},
        {"devices",
         {{"io",
           {{{"base", 0x3f8}, {"length", 8}, {"range", "0x3f8-0x3ff"}, {"device", "serial"}}}},
          {"mmio", json::array()},
          {"in_kernel", {{{"bus", "io"}, {"range", "0x40-0x43"}, {"device", "8254 PIT"}}}}}},
        {"virtio", {{{"slot", 0}, {"address", 0xd0000000}, {"gsi", 5}, {"kind", "virtio-rng"}}}},
        {"vcpus", {{{"index", 0}, {"tid", 4243}, {"cpu_seconds", 1.5}, {"exits", 12}}}},
        {"exits",
         {{"total", 12},
          {"by_reason", {{"IO", 12}}},
          {"by_device",
           {{{"bus", "io"}, {"base", 0x3f8}, {"length", 8}, {"device", "serial"}, {"exits", 12}}}},
          {"timed", false}}}};
    std::string text = format_vm_inspect(reply);
    for (const char* expected :
         {"VM demo: paused, pid 4242", "256 MiB", "RAM       0x000000000000-0x00000fffffff",
          "at host 0x7f0000000000", "0x0000c0000000-0x0000ffffffff  32-bit MMIO hole",
          "0x000000000000-0x00000009fbff  ram", "0x3f8-0x3ff", "serial", "8254 PIT",
          "slot 0  0xd0000000  GSI 5", "virtio-rng", "vCPU 0  tid 4243", "1.50 s", "exits 12",
          "Exits to twinbox since the start: 12", "serial@0x3f8"})
        EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
}

TEST(InspectText, WrongShapesAreShownNotFatal) {
    EXPECT_NE(format_vm_inspect(json()).find("VM ?"), std::string::npos);
    EXPECT_NO_THROW(format_vm_inspect(json::array({1, 2})));
    json odd = {{"name", 5},    {"memory", "lots"}, {"devices", {{"io", 3}}},
                {"vcpus", {1}}, {"virtio", "none"}, {"exits", {{"by_reason", {{"IO", "many"}}}}}};
    std::string text = format_vm_inspect(odd);
    EXPECT_NE(text.find("VM 5"), std::string::npos) << text;
    EXPECT_NE(text.find("(none)"), std::string::npos) << text;
}

TEST(InspectText, Bytes) {
    EXPECT_EQ(format_bytes(256ull << 20), "256 MiB");
    EXPECT_EQ(format_bytes(2ull << 30), "2 GiB");
    EXPECT_EQ(format_bytes(1536), "2 KiB");
    EXPECT_EQ(format_bytes(12), "12 B");
}

}  // namespace
}  // namespace twinbox
