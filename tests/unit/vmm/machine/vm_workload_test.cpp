// The VM side of `twinbox run --isolation vm` (vmm/machine/vm_workload.h):
// the agent's configuration blob and the VmConfig built around it.
#include "vmm/machine/vm_workload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace twinbox {
namespace {

// The blob as the agent sees it: NUL-terminated "TAG=VALUE" strings.
std::vector<std::string> strings_of(const std::vector<uint8_t>& blob) {
    std::vector<std::string> out;
    std::string current;
    for (uint8_t byte : blob) {
        if (byte == 0) {
            out.push_back(current);
            current.clear();
        } else {
            current += static_cast<char>(byte);
        }
    }
    EXPECT_TRUE(current.empty()) << "the blob must end with a NUL";
    return out;
}

VmWorkload sample() {
    VmWorkload workload;
    workload.root_disk = "/var/lib/twinbox/images/vmdisks/x.ext4";
    workload.command = {"sh", "-c", "echo $A; exit 3"};
    workload.env = {"PATH=/bin", "A=b c"};
    workload.workdir = "/tmp";
    workload.uid = 1000;
    workload.gid = 100;
    workload.hostname = "box";
    workload.tty = true;
    return workload;
}

TEST(VmWorkload, EncodesEveryFieldInOrder) {
    auto blob = encode_agent_config(sample());
    ASSERT_TRUE(blob) << blob.error().to_string();
    EXPECT_EQ(strings_of(*blob),
              (std::vector<std::string>{"a=sh", "a=-c", "a=echo $A; exit 3", "e=PATH=/bin",
                                        "e=A=b c", "w=/tmp", "u=1000:100", "h=box", "t=1", "i=0"}));
}

TEST(VmWorkload, VolumesBecomeMountsOfTheNextDisks) {
    auto workload = sample();
    workload.volumes = {{"/tmp/v0.ext4", "/data"}, {"/tmp/v1.ext4", "/more data"}};
    auto strings = strings_of(*encode_agent_config(workload));
    EXPECT_EQ(strings[strings.size() - 2], "m=/dev/vdb:/data");
    EXPECT_EQ(strings.back(), "m=/dev/vdc:/more data");
}

TEST(VmWorkload, TheWritableDiskComesAfterTheVolumes) {
    auto workload = sample();
    EXPECT_EQ(strings_of(*encode_agent_config(workload)).back(), "i=0");  // none: RAM
    workload.writable_disk = "/run/twinbox/vm-workloads/abc/writable.ext4";
    EXPECT_EQ(strings_of(*encode_agent_config(workload)).back(), "r=/dev/vdb");
    workload.volumes = {{"/tmp/v0.ext4", "/data"}, {"/tmp/v1.ext4", "/more"}};
    auto strings = strings_of(*encode_agent_config(workload));
    EXPECT_EQ(strings[strings.size() - 2], "m=/dev/vdc:/more");
    EXPECT_EQ(strings.back(), "r=/dev/vdd");
    // vdb..vdz: 25 disks after the root, one of them the writable layer.
    workload.volumes.assign(25, {"/tmp/v.ext4", "/v"});
    auto refused = encode_agent_config(workload);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().to_string().find("24"), std::string::npos);
    workload.volumes.resize(24);
    EXPECT_EQ(strings_of(*encode_agent_config(workload)).back(), "r=/dev/vdz");
}

TEST(VmWorkload, BadInputIsRefused) {
    auto workload = sample();
    workload.command.clear();
    EXPECT_FALSE(encode_agent_config(workload));

    workload = sample();
    workload.command.push_back(std::string("nul\0inside", 10));
    EXPECT_FALSE(encode_agent_config(workload));

    workload = sample();
    workload.env.push_back("NOEQUALS");
    EXPECT_FALSE(encode_agent_config(workload));

    workload = sample();
    workload.env.push_back("BIG=" + std::string(70 * 1024, 'x'));  // over the agent's 64 KiB
    auto too_big = encode_agent_config(workload);
    ASSERT_FALSE(too_big);
    EXPECT_NE(too_big.error().to_string().find("64"), std::string::npos);
}

TEST(VmWorkload, TheVmBootsTheImageDiskReadOnlyWithTheAgent) {
    std::string guest_dir = TWINBOX_BINARY_DIR "/guest";
    if (::access((guest_dir + "/initramfs.cpio.gz").c_str(), R_OK) != 0)
        GTEST_SKIP() << "no default initramfs in " << guest_dir << " (build guest-initramfs)";
    auto workload = sample();
    workload.memory = 128ull << 20;
    workload.cpus = 2;
    workload.volumes = {{"/tmp/v0.ext4", "/data"}};
    auto config = workload_vm_config(workload, {guest_dir});
    if (!config && config.error().to_string().find("kernel") != std::string::npos)
        GTEST_SKIP() << config.error().to_string();
    ASSERT_TRUE(config) << config.error().to_string();
    ASSERT_EQ(config->disks.size(), 2u);
    EXPECT_EQ(config->disks[0].path, workload.root_disk);
    EXPECT_TRUE(config->disks[0].read_only);
    EXPECT_TRUE(config->disks[1].read_only);
    EXPECT_NE(config->command_line.find("root=/dev/vda ro init=/.twinbox/init"), std::string::npos);
    EXPECT_EQ(config->console, ConsoleKind::virtio);
    EXPECT_EQ(config->memory, 128ull << 20);
    EXPECT_EQ(config->cpus, 2u);
    ASSERT_EQ(config->fw_cfg_files.size(), 1u);
    EXPECT_EQ(config->fw_cfg_files[0].first, "opt/twinbox/run");
    EXPECT_EQ(config->fw_cfg_files[0].second, *encode_agent_config(workload));

    // A detached VM's writable layer: the last disk, read-write.
    workload.writable_disk = "/tmp/writable.ext4";
    config = workload_vm_config(workload, {guest_dir});
    ASSERT_TRUE(config) << config.error().to_string();
    ASSERT_EQ(config->disks.size(), 3u);
    EXPECT_EQ(config->disks[2].path, workload.writable_disk);
    EXPECT_FALSE(config->disks[2].read_only);
}

}  // namespace
}  // namespace twinbox
