// RAII owners for libarchive's reader and writer handles (archive_read_new(3),
// archive_write_new(3)), and the one-line error text of a failed call.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fmt/core.h>

#include <memory>
#include <string>

#include "common/result.h"

namespace twinbox::image {

struct ArchiveReadFree {
    void operator()(archive* handle) const { archive_read_free(handle); }
};
struct ArchiveWriteFree {
    void operator()(archive* handle) const { archive_write_free(handle); }
};
struct ArchiveEntryFree {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;
using ArchiveEntry = std::unique_ptr<archive_entry, ArchiveEntryFree>;

inline Error archive_error(archive* handle, std::string_view what, std::string_view path) {
    const char* text = archive_error_string(handle);
    return Error::message(fmt::format("{}: {}: {}", path, what, text ? text : "unknown error"))
        .with_hint("is the archive complete and not corrupt?");
}

// A reader of a tar (or a raw stream, with `raw`), any compression libarchive knows.
inline Result<ArchiveReader> open_archive(const std::string& path, bool raw) {
    ArchiveReader reader(archive_read_new());
    archive_read_support_filter_all(reader.get());
    if (raw)
        archive_read_support_format_raw(reader.get());
    else
        archive_read_support_format_tar(reader.get());
    if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
        return archive_error(reader.get(), "cannot open the archive", path);
    return reader;
}

}  // namespace twinbox::image
