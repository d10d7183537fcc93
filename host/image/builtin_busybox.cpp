// The built-in busybox:latest image, so a fresh machine has an image to
// run without a network: Debian's busybox-static (/bin/busybox, one static
// binary) with a link per applet (`busybox --list-full`), a minimal /etc,
// and the benchmark workload as /usr/bin/twinbox-workload (docs/benchmarking.md: the same
// static binary natively, in a container and in a VM), when it is built.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/default_path.h"
#include "common/file.h"
#include "common/log.h"
#include "host/image/layer_tar.h"
#include "host/image/store.h"

namespace twinbox::image {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kBusybox = "/bin/busybox";
// 2024-01-01T00:00:00Z: every file's time, so the layer's digest is stable.
constexpr time_t kEpoch = 1704067200;
constexpr const char* kCreated = "2024-01-01T00:00:00Z";

// Where the benchmark workload is: the build tree's guest/twinbox-workload,
// else the installed copy (container/CMakeLists.txt defines both).
#ifndef TWINBOX_WORKLOAD_PATH
#define TWINBOX_WORKLOAD_PATH ""
#endif
#ifndef TWINBOX_INSTALL_WORKLOAD_PATH
#define TWINBOX_INSTALL_WORKLOAD_PATH ""
#endif

// Copies the workload to usr/bin/twinbox-workload if there is one; the image
// is complete without it (a log line says so).
Result<void> add_workload(const std::string& root) {
    for (const char* candidate : {TWINBOX_WORKLOAD_PATH, TWINBOX_INSTALL_WORKLOAD_PATH}) {
        if (*candidate == '\0' || ::access(candidate, X_OK) != 0)
            continue;
        std::error_code error;
        std::string target = root + "/usr/bin/twinbox-workload";
        fs::copy_file(candidate, target, error);
        if (error)
            return Error::from_errno("copy", candidate, error.value());
        ::chmod(target.c_str(), 0755);
        return ok();
    }
    log::warn(
        "built-in busybox image: no benchmark workload at {} (build the guest-workload target); the image is made without /usr/bin/twinbox-workload",
        *TWINBOX_WORKLOAD_PATH ? TWINBOX_WORKLOAD_PATH : "(not configured)");
    return ok();
}

Result<std::vector<std::string>> applet_paths() {
    FILE* pipe = ::popen("/bin/busybox --list-full", "r");
    if (!pipe)
        return Error::from_errno("popen", "/bin/busybox --list-full");
    std::vector<std::string> paths;
    char line[512];
    while (std::fgets(line, sizeof(line), pipe)) {
        std::string path = line;
        while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
        if (!path.empty() && path.find("..") == std::string::npos && path != "bin/busybox")
            paths.push_back(path);
    }
    if (::pclose(pipe) != 0 || paths.empty())
        return Error::message("/bin/busybox --list-full failed")
            .with_hint("install Debian's busybox-static");
    return paths;
}

Result<void> make_root(const std::string& root) {
    for (const char* dir : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "proc",
                            "sys", "dev", "var/tmp", "tmp"}) {
        std::error_code error;
        fs::create_directories(root + "/" + dir, error);
        if (error)
            return Error::from_errno("mkdir", root + "/" + dir, error.value());
    }
    ::chmod((root + "/tmp").c_str(), 01777);
    ::chmod((root + "/var/tmp").c_str(), 01777);
    ::chmod((root + "/root").c_str(), 0700);
    std::error_code error;
    fs::copy_file(kBusybox, root + "/bin/busybox", error);
    if (error)
        return Error::from_errno("copy", kBusybox, error.value())
            .with_hint("install Debian's busybox-static for the built-in busybox image");
    ::chmod((root + "/bin/busybox").c_str(), 0755);
    for (const auto& path : TRY(applet_paths())) {
        std::string link = root + "/" + path;
        fs::create_directories(fs::path(link).parent_path(), error);
        if (::symlink("/bin/busybox", link.c_str()) < 0 && errno != EEXIST)
            return Error::from_errno("symlink", link);
    }
    std::string passwd =
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    std::string group = "root:x:0:\nnobody:x:65534:\n";
    TRY(write_whole_file(root + "/etc/passwd", passwd.data(), passwd.size()));
    TRY(write_whole_file(root + "/etc/group", group.data(), group.size()));
    TRY(add_workload(root));
    // Fixed times last, deepest first is not needed: utimensat does not touch parents.
    timespec times[2] = {{kEpoch, 0}, {kEpoch, 0}};
    for (const auto& item : fs::recursive_directory_iterator(root))
        ::utimensat(AT_FDCWD, item.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
    return ok();
}

}  // namespace

Result<Descriptor> create_busybox_image(ImageStore& store) {
    auto temp = TRY(store.make_temp_dir());
    std::string root = temp.path() + "/root";
    if (::mkdir(root.c_str(), 0755) < 0)
        return Error::from_errno("mkdir", root);
    TRY(make_root(root).with_context("building the built-in busybox image"));
    std::string tar = temp.path() + "/layer.tar.gz";
    TRY(pack_layer(root, tar, Compression::gzip));
    StreamInfo info = TRY(inspect_stream(tar));
    Descriptor layer = TRY(store.put_blob_file(tar, layer_media_type(Compression::gzip)));
    json config = {
        {"architecture", host_architecture()},
        {"os", "linux"},
        {"created", kCreated},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {info.diff_id}}}},
        {"history",
         {{{"created", kCreated}, {"created_by", "twinbox: Debian busybox-static /bin/busybox"}}}}};
    ImageConfig run;
    run.cmd = {"sh"};
    run.env = {kDefaultPathEnv};
    store_image_config(config, run);
    Manifest manifest;
    manifest.config = TRY(store.put_blob(config.dump(), media_type::kConfig));
    manifest.layers = {layer};
    TRY(store.unpacked_layer(layer));
    return store.put_blob(manifest_to_json(manifest), media_type::kManifest);
}

}  // namespace twinbox::image
