// Layer tars on temporary directories: round trips (files, modes, symlinks,
// hard links), whiteouts converted both ways (needs root for mknod and
// trusted.* xattrs, as a real unpack does), hostile archives, and the
// store's digest checks.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "host/image/digest.h"
#include "host/image/image_rootfs.h"
#include "host/image/layer_tar.h"
#include "host/image/reference.h"
#include "host/image/store.h"

namespace twinbox::image {
namespace {

namespace fs = std::filesystem;

class TempTree : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/twinbox-image-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
    }
    void TearDown() override { fs::remove_all(m_dir); }
    std::string path(const std::string& name) const { return m_dir + "/" + name; }
    void write(const std::string& name, const std::string& text) {
        fs::create_directories(fs::path(path(name)).parent_path());
        std::ofstream(path(name)) << text;
    }
    static std::string read(const std::string& file) {
        std::ifstream in(file);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    // The names in a tar, in order.
    static std::vector<std::string> names_in(const std::string& tar) {
        std::vector<std::string> names;
        archive* reader = archive_read_new();
        archive_read_support_filter_all(reader);
        archive_read_support_format_tar(reader);
        EXPECT_EQ(archive_read_open_filename(reader, tar.c_str(), 4096), ARCHIVE_OK);
        archive_entry* entry = nullptr;
        while (archive_read_next_header(reader, &entry) == ARCHIVE_OK)
            names.emplace_back(archive_entry_pathname(entry));
        archive_read_free(reader);
        return names;
    }
    std::string m_dir;
};

TEST_F(TempTree, PackUnpackRoundTripKeepsFilesModesLinks) {
    write("src/bin/tool", "#!/bin/sh\necho tool\n");
    ::chmod(path("src/bin/tool").c_str(), 04755);
    write("src/etc/conf", "key=value\n");
    ::chmod(path("src/etc/conf").c_str(), 0600);
    fs::create_directory_symlink("bin", path("src/sbin"));
    ::link(path("src/etc/conf").c_str(), path("src/etc/conf.link").c_str());
    fs::create_directories(path("src/empty"));
    for (Compression compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        std::string tar = path("layer.tar");
        ASSERT_TRUE(pack_layer(path("src"), tar, compression));
        auto info = inspect_stream(tar);
        ASSERT_TRUE(info) << info.error().to_string();
        EXPECT_EQ(info->compression, compression);
        fs::remove_all(path("out"));
        fs::create_directories(path("out"));
        auto unpacked = unpack_layer(tar, path("out"));
        ASSERT_TRUE(unpacked) << unpacked.error().to_string();
        EXPECT_EQ(read(path("out/bin/tool")), "#!/bin/sh\necho tool\n");
        EXPECT_EQ(fs::status(path("out/etc/conf")).permissions(), fs::perms(0600));
        struct stat tool {
        }, conf{}, link{};
        ::stat(path("out/bin/tool").c_str(), &tool);
        EXPECT_EQ(tool.st_mode & 07777, 04755u);
        EXPECT_EQ(fs::read_symlink(path("out/sbin")), "bin");
        ::stat(path("out/etc/conf").c_str(), &conf);
        ::stat(path("out/etc/conf.link").c_str(), &link);
        EXPECT_EQ(conf.st_ino, link.st_ino);
        EXPECT_TRUE(fs::is_directory(path("out/empty")));
        // The same files give the same layer (sorted, no atimes).
        std::string again = path("again.tar");
        ASSERT_TRUE(pack_layer(path("src"), again, compression));
        EXPECT_EQ(*digest_of_file(tar), *digest_of_file(again));
        // The diff id is the digest of the plain tar.
        ASSERT_TRUE(inspect_stream(tar, path("plain.tar")));
        EXPECT_EQ(info->diff_id, *digest_of_file(path("plain.tar")));
    }
}

TEST_F(TempTree, WhiteoutsConvertBothWays) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "whiteouts are character devices and trusted.* xattrs: needs root";
    // An overlay upper directory: a deleted file, an opaque directory.
    fs::create_directories(path("upper/etc"));
    fs::create_directories(path("upper/opaque"));
    write("upper/opaque/new", "n");
    ASSERT_EQ(::mknod(path("upper/etc/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
    ASSERT_EQ(::setxattr(path("upper/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    std::string tar = path("layer.tar");
    ASSERT_TRUE(pack_layer(path("upper"), tar, Compression::gzip));
    std::vector<std::string> names = names_in(tar);
    std::set<std::string> set(names.begin(), names.end());
    EXPECT_TRUE(set.contains("etc/.wh.gone"));
    EXPECT_FALSE(set.contains("etc/gone"));
    EXPECT_TRUE(set.contains("opaque/.wh..wh..opq"));
    EXPECT_TRUE(set.contains("opaque/new"));
    // And back: the layer directory overlayfs will stack.
    fs::create_directories(path("layer"));
    auto unpacked = unpack_layer(tar, path("layer"));
    ASSERT_TRUE(unpacked) << unpacked.error().to_string();
    struct stat gone {};
    ASSERT_EQ(::lstat(path("layer/etc/gone").c_str(), &gone), 0);
    EXPECT_TRUE(S_ISCHR(gone.st_mode));
    EXPECT_EQ(gone.st_rdev, makedev(0, 0));
    EXPECT_FALSE(fs::exists(path("layer/etc/.wh.gone")));
    char value[2] = {};
    EXPECT_EQ(::getxattr(path("layer/opaque").c_str(), "trusted.overlay.opaque", value, 2), 1);
    EXPECT_EQ(value[0], 'y');
    EXPECT_FALSE(fs::exists(path("layer/opaque/.wh..wh..opq")));
    EXPECT_EQ(read(path("layer/opaque/new")), "n");
}

// A tar written by hand, with hostile names.
std::string hostile_tar(const std::string& file, const std::string& name, bool symlink) {
    archive* writer = archive_write_new();
    archive_write_set_format_pax_restricted(writer);
    archive_write_open_filename(writer, file.c_str());
    archive_entry* entry = archive_entry_new();
    if (symlink) {
        archive_entry_set_pathname(entry, "link");
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, "/tmp");
        archive_write_header(writer, entry);
        archive_entry_clear(entry);
    }
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, 1);
    archive_write_header(writer, entry);
    archive_write_data(writer, "x", 1);
    archive_entry_free(entry);
    archive_write_close(writer);
    archive_write_free(writer);
    return file;
}

TEST_F(TempTree, HostileLayersAreRefused) {
    fs::create_directories(path("out"));
    EXPECT_FALSE(unpack_layer(hostile_tar(path("dotdot.tar"), "../escape", false), path("out")));
    EXPECT_FALSE(unpack_layer(hostile_tar(path("wh.tar"), "../.wh.escape", false), path("out")));
    // A file "under" a symbolic link to /tmp: libarchive (SECURE_SYMLINKS with
    // UNLINK) replaces the link by a directory instead of writing through it.
    (void)unpack_layer(hostile_tar(path("link.tar"), "link/planted", true), path("out"));
    EXPECT_FALSE(fs::exists("/tmp/planted"));
    EXPECT_FALSE(fs::is_symlink(path("out/link")));
    EXPECT_FALSE(fs::exists(path("escape")));
    // Truncated: half of a valid gzip layer.
    write("src/file", std::string(100000, 'z'));
    ASSERT_TRUE(pack_layer(path("src"), path("whole.tgz"), Compression::gzip));
    std::string whole = read(path("whole.tgz"));
    std::ofstream(path("half.tgz")) << whole.substr(0, whole.size() / 2);
    auto truncated = unpack_layer(path("half.tgz"), path("out"));
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().to_string().find('\n'), std::string::npos);
    EXPECT_FALSE(inspect_stream(path("half.tgz")));
    std::ofstream(path("junk.tar")) << "this is not a tar archive at all";
    EXPECT_FALSE(unpack_layer(path("junk.tar"), path("out")));
}

TEST_F(TempTree, StoreChecksDigests) {
    auto store = ImageStore::open_at(path("store"), false);
    ASSERT_TRUE(store) << store.error().to_string();
    auto blob = store->put_blob("hello", "text/plain");
    ASSERT_TRUE(blob);
    EXPECT_EQ(blob->digest, digest_of("hello"));
    EXPECT_EQ(*store->read_blob(blob->digest), "hello");
    // A blob changed on disk no longer reads.
    std::ofstream(store->blob_path(blob->digest)) << "HELLO";
    EXPECT_FALSE(store->read_blob(blob->digest));
    // A file whose digest is not the expected one is not stored.
    fs::create_directories(path("store/tmp/x"));
    write("store/tmp/x/file", "content");
    auto wrong = store->put_blob_file(path("store/tmp/x/file"), "text/plain",
                                      "sha256:" + std::string(64, '0'));
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().to_string().find("not sha256:000"), std::string::npos);
    EXPECT_FALSE(store->has_blob(digest_of("content")));
    // The index is empty, tagging needs the manifest in place, names round-trip.
    EXPECT_TRUE(store->list()->empty());
    EXPECT_FALSE(store->tag(*parse_reference("a:b"), {"x", digest_of("absent"), 1, {}, {}, {}}));
    auto manifest = store->put_blob("{}", "application/json");
    ASSERT_TRUE(store->tag(*parse_reference("a:b"), *manifest));
    ASSERT_EQ(store->list()->size(), 1u);
    EXPECT_EQ((*store->list())[0].reference, "a:b");
    EXPECT_EQ(*store->untag(*parse_reference("a:b")), manifest->digest);
    EXPECT_FALSE(store->untag(*parse_reference("a:b")));
}

TEST_F(TempTree, FlattenAppliesWhiteoutsLikeOverlayfs) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "whiteouts are character devices and trusted.* xattrs: needs root";
    write("lower/etc/keep", "keep");
    write("lower/etc/gone", "gone");
    write("lower/cache/old", "old");
    write("lower/replaced", "lower");
    write("upper/replaced", "upper");
    write("upper/cache/new", "new");
    fs::create_directories(path("upper/etc"));
    ASSERT_EQ(::mknod(path("upper/etc/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
    ASSERT_EQ(::setxattr(path("upper/cache").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    ASSERT_EQ(::mkfifo(path("upper/fifo").c_str(), 0600), 0);
    fs::create_directories(path("flat"));
    auto flat = flatten_layers({path("lower"), path("upper")}, path("flat"));
    ASSERT_TRUE(flat) << flat.error().to_string();
    EXPECT_EQ(read(path("flat/etc/keep")), "keep");
    EXPECT_FALSE(fs::exists(fs::symlink_status(path("flat/etc/gone"))));
    EXPECT_FALSE(fs::exists(path("flat/cache/old")));
    EXPECT_EQ(read(path("flat/cache/new")), "new");
    EXPECT_EQ(read(path("flat/replaced")), "upper");
    EXPECT_TRUE(fs::is_fifo(path("flat/fifo")));
}

}  // namespace
}  // namespace twinbox::image
