// libFuzzer target: `twinbox image import` of an archive written by someone
// else (host/image/transfer_*.cpp): classifying the tar, extracting a
// docker save or OCI layout, reading its JSON, checking every blob.
//
// Input: the bytes of the archive file (a tar, or anything). Each input is
// imported as "fuzz:1" into a fresh store in a private temp dir.
//
// The oracle: the import never crashes or hangs (a FIFO member, docs/security.md
// D4), and whatever it returns, the store's blobs/ holds only regular files
// whose names are their digests' hex (no link out of the store, docs/security.md
// escape 7). An import that succeeded has tagged fuzz:1.
//
// Build and run (clang, not in ALL): make fuzz-archive-import, then
//   BUILD/tests/fuzz/archive_import_fuzz -max_total_time=300 -timeout=20 WORK
// with WORK a copy of tests/fuzz/corpus/archive_import. The ctest
// archive_import_fuzz_corpus replays the kept corpus with a plain main().
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "host/image/digest.h"
#include "host/image/store.h"
#include "host/image/transfer.h"

namespace {

namespace fs = std::filesystem;
using namespace twinbox::image;

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "archive_import_fuzz: %s\n", what);
        std::abort();
    }
}

void remove_work_dir();

const std::string& work_dir() {
    static const std::string dir = [] {
        char pattern[] = "/tmp/twinbox-archive-fuzz.XXXXXX";
        check(::mkdtemp(pattern) != nullptr, "mkdtemp");
        return std::string(pattern);
    }();
    // Registered once `dir` exists, so it runs before `dir` is destroyed.
    static const bool cleanup = std::atexit(remove_work_dir) == 0;
    (void)cleanup;
    return dir;
}

void remove_work_dir() {
    std::error_code ignored;
    fs::remove_all(work_dir(), ignored);
}

void check_blobs(const std::string& store) {
    std::error_code error;
    for (const auto& entry : fs::recursive_directory_iterator(store + "/blobs", error)) {
        auto status = fs::symlink_status(entry.path());
        if (fs::is_directory(status))
            continue;
        check(fs::is_regular_file(status), "a blob in the store is not a regular file");
        std::string name = entry.path().filename().string();
        if (name.size() == 64) {
            auto digest = digest_of_file(entry.path().string());
            check(digest && *digest == "sha256:" + name, "a blob does not match its name");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& dir = work_dir();
    std::string input = dir + "/input";
    std::string store_root = dir + "/store";
    {
        std::ofstream out(input, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    std::error_code ignored;
    fs::remove_all(store_root, ignored);
    auto store = ImageStore::open_at(store_root, false);
    check(store.has_value(), "cannot open a fresh store");
    auto imported = import_image(*store, input, "fuzz:1");
    check_blobs(store_root);
    if (imported)
        check(!imported->empty(), "an import that succeeded tagged nothing");
    return 0;
}
