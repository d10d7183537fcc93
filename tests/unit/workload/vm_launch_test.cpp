// A detached VM's launch record (workload/vm_launch.h): what `twinbox start`
// boots again must be what `run -d` booted, and a damaged record is refused
// with its path named.
#include "workload/vm_launch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace twinbox::workload {
namespace {

class VmLaunchTest : public ::testing::Test {
protected:
    void SetUp() override {
        char dir[] = "/tmp/twinbox-vm-launch-test.XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::string path() const { return m_dir + "/launch.json"; }
    void write(const std::string& text) const { std::ofstream(path()) << text; }

    std::string m_dir;
};

VmLaunch sample() {
    VmLaunch launch;
    VmWorkload& workload = launch.workload;
    workload.name = "web";
    workload.root_disk = "/lib/images/vmdisks/x.ext4";
    workload.command = {"sh", "-c", "echo $X >> /f"};
    workload.env = {"PATH=/bin", "X=a b"};
    workload.workdir = "/tmp";
    workload.uid = 1000;
    workload.gid = 100;
    workload.hostname = "box";
    workload.tty = true;
    workload.memory = 192ull << 20;
    workload.cpus = 2;
    workload.volumes = {{"/run/v0.ext4", "/data"}};
    workload.writable_disk = "/run/twinbox/vm-workloads/abc/writable.ext4";
    workload.console_log = "/run/twinbox/vm-workloads/abc/console.log";
    workload.kernel = "/boot/vmlinuz";
    launch.network = "bridge";
    launch.publish = {"8080:80"};
    return launch;
}

TEST_F(VmLaunchTest, RoundTripsEveryField) {
    auto saved = save_vm_launch(path(), sample());
    ASSERT_TRUE(saved) << saved.error().to_string();
    auto loaded = load_vm_launch(path());
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    auto expected = sample();
    const VmWorkload& a = loaded->workload;
    const VmWorkload& b = expected.workload;
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.root_disk, b.root_disk);
    EXPECT_EQ(a.command, b.command);
    EXPECT_EQ(a.env, b.env);
    EXPECT_EQ(a.workdir, b.workdir);
    EXPECT_EQ(a.uid, b.uid);
    EXPECT_EQ(a.gid, b.gid);
    EXPECT_EQ(a.hostname, b.hostname);
    EXPECT_EQ(a.tty, b.tty);
    EXPECT_EQ(a.memory, b.memory);
    EXPECT_EQ(a.cpus, b.cpus);
    ASSERT_EQ(a.volumes.size(), 1u);
    EXPECT_EQ(a.volumes[0].disk, b.volumes[0].disk);
    EXPECT_EQ(a.volumes[0].mount_point, b.volumes[0].mount_point);
    EXPECT_EQ(a.writable_disk, b.writable_disk);
    EXPECT_EQ(a.console_log, b.console_log);
    EXPECT_EQ(a.kernel, b.kernel);
    EXPECT_EQ(loaded->network, expected.network);
    EXPECT_EQ(loaded->publish, expected.publish);
    // It holds the environment: only root reads it.
    EXPECT_EQ(std::filesystem::status(path()).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(VmLaunchTest, DamagedRecordsAreRefusedByName) {
    EXPECT_FALSE(load_vm_launch(path()));  // missing
    for (const char* text : {"", "{", "[]", R"({"command": "sh"})", R"({"command": []})",
                             R"({"command": ["sh"], "memory": -1})",
                             R"({"command": ["sh"], "volumes": [{"disk": 3}]})",
                             R"({"command": ["sh"], "volumes": {}})"}) {
        write(text);
        auto loaded = load_vm_launch(path());
        EXPECT_FALSE(loaded) << text;
        if (!loaded)
            EXPECT_NE(loaded.error().to_string().find("launch"), std::string::npos)
                << text << ": " << loaded.error().to_string();
    }
}

}  // namespace
}  // namespace twinbox::workload
