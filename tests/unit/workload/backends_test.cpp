// Each backend's translation of a RunRequest, field by field: the container's
// OCI spec (workload/container_backend.h) and the VM's VmWorkload
// (workload/vm_backend.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/workload/workload_fixture.h"
#include "workload/container_backend.h"
#include "workload/vm_backend.h"

namespace twinbox::workload {
namespace {

using testing::FakeImage;

RunRequest request_for(const FakeImage& image, Isolation isolation,
                       void (*set)(container::RunFlags&)) {
    container::RunFlags flags;
    set(flags);
    auto request = build_run_request(flags, isolation, &image.image);
    EXPECT_TRUE(request) << request.error().to_string();
    return request ? *request : RunRequest{};
}

void everything(container::RunFlags& f) {
    f.command = {"echo", "hi"};
    f.env = {"A=1"};
    f.user = "alice";
    f.workdir = "/tmp";
    f.hostname = "box";
    f.memory = "128m";
    f.cpus = 1.5;
    f.volumes = {"/tmp:/data:ro"};
    f.tty = f.interactive = true;
    f.name = "twin";
}

bool has(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(ContainerBackend, RequestToOciSpecFieldByField) {
    FakeImage image;
    auto request = request_for(image, Isolation::container, everything);
    auto spec = container_spec(request, "0123456789abcdef", image.root() + "/upper");
    ASSERT_TRUE(spec) << spec.error().to_string();
    const oci::Process& process = *spec->process;
    EXPECT_EQ(process.args, (std::vector<std::string>{"/entry", "echo", "hi"}));
    for (const auto& entry : request.env) EXPECT_TRUE(has(process.env, entry)) << entry;
    EXPECT_TRUE(has(process.env, "HOSTNAME=box"));  // Docker's, containers only
    EXPECT_EQ(process.user.uid, 1000u);
    EXPECT_EQ(process.user.gid, 1001u);
    EXPECT_EQ(process.cwd, "/tmp");
    EXPECT_TRUE(process.terminal);
    EXPECT_EQ(spec->hostname, "box");
    EXPECT_EQ(spec->annotations.at("org.twinbox.name"), "twin");
    ASSERT_TRUE(spec->linux.resources && spec->linux.resources->memory);
    EXPECT_EQ(spec->linux.resources->memory->limit, 128 << 20);
    ASSERT_TRUE(spec->linux.resources->cpu);
    EXPECT_EQ(spec->linux.resources->cpu->quota, 150000);
    auto volume = std::find_if(spec->mounts.begin(), spec->mounts.end(),
                               [](const oci::Mount& m) { return m.destination == "/data"; });
    ASSERT_NE(volume, spec->mounts.end());
    EXPECT_EQ(volume->source, "/tmp");
    EXPECT_TRUE(has(volume->options, "ro"));
}

// The container-only flags reach the engine as given; every shared field
// comes from the request (no copy of the raw flags rides along to go stale).
TEST(ContainerBackend, EngineFlagsTakeTheContainerOnlyFlagsAsGiven) {
    FakeImage image;
    auto request = request_for(image, Isolation::container, [](container::RunFlags& f) {
        f.cap_add = {"NET_ADMIN"};
        f.read_only = true;
        f.pids_limit = 64;
    });
    request.command = {"changed", "after"};
    auto flags = container_run_flags(request);
    EXPECT_EQ(flags.cap_add, std::vector<std::string>{"NET_ADMIN"});
    EXPECT_TRUE(flags.read_only);
    EXPECT_EQ(flags.pids_limit, 64);
    EXPECT_EQ(flags.command, request.command);
}

TEST(ContainerBackend, EngineFlagsCarryTheResolvedValues) {
    FakeImage image;
    auto request = request_for(image, Isolation::container, everything);
    auto flags = container_run_flags(request);
    EXPECT_EQ(flags.user, "1000:1001");
    EXPECT_EQ(flags.env, request.env);
    EXPECT_EQ(flags.command, request.command);
    // The engine wants the layers topmost first.
    EXPECT_EQ(flags.image_layers,
              (std::vector<std::string>{image.root() + "/upper", image.root() + "/lower"}));
    EXPECT_EQ(flags.image, image.image.manifest_digest);
}

TEST(VmBackend, RequestToVmWorkloadFieldByField) {
    FakeImage image;
    auto request = request_for(image, Isolation::vm, everything);
    auto workload = vm_workload_for(request, "/nonexistent", false);
    ASSERT_TRUE(workload) << workload.error().to_string();
    EXPECT_EQ(workload->name, "twin");
    EXPECT_EQ(workload->command, request.command);
    EXPECT_EQ(workload->env, request.env);
    EXPECT_EQ(workload->uid, 1000u);
    EXPECT_EQ(workload->gid, 1001u);
    EXPECT_EQ(workload->workdir, "/tmp");
    EXPECT_EQ(workload->hostname, "box");
    EXPECT_TRUE(workload->tty);
    EXPECT_TRUE(workload->interactive);
    EXPECT_EQ(workload->memory, 128ull << 20);
    EXPECT_EQ(workload->cpus, 2u);  // whole vCPUs
}

TEST(VmBackend, Defaults) {
    FakeImage image;
    auto request = request_for(image, Isolation::vm, [](auto&) {});
    auto workload = vm_workload_for(request, "/nonexistent", false);
    ASSERT_TRUE(workload) << workload.error().to_string();
    EXPECT_EQ(workload->workdir, "/srv");  // the image's
    EXPECT_EQ(workload->hostname, "twinbox-vm");
    EXPECT_EQ(workload->memory, 256ull << 20);
    EXPECT_EQ(workload->cpus, 1u);
    EXPECT_FALSE(workload->interactive);
}

TEST(VmBackend, RefusesWhatAVmCannotDoInOneLine) {
    FakeImage image;
    void (*refused[])(container::RunFlags&) = {
        [](auto& f) { f.network = "host"; },
        [](auto& f) { f.volumes = {"/tmp:/data"}; },  // read-write
        [](auto& f) { f.tmpfs = {"/run"}; },
        [](auto& f) { f.memory = "16m"; },
        [](auto& f) { f.cpus = 65; },
        [](auto& f) { f.publish = {"8080:80"}; },  // without a bridge network
        [](auto& f) { f.name = "bad/name"; },
    };
    for (auto set : refused) {
        auto request = request_for(image, Isolation::vm, set);
        auto workload = vm_workload_for(request, "/nonexistent", false);
        ASSERT_FALSE(workload);
        EXPECT_EQ(workload.error().to_string().find('\n'), std::string::npos);
    }
}

TEST(VmBackend, NamesTheContainerOnlyFlagsItIgnores) {
    FakeImage image;
    auto plain = request_for(image, Isolation::vm, [](auto&) {});
    EXPECT_EQ(ignored_vm_flags(plain), "");
    auto request = request_for(image, Isolation::vm, [](auto& f) {
        f.cap_add = {"NET_ADMIN"};
        f.pids_limit = 10;
    });
    auto line = ignored_vm_flags(request);
    EXPECT_NE(line.find("--cap-add"), std::string::npos);
    EXPECT_NE(line.find("--pids-limit"), std::string::npos);
    EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace twinbox::workload
