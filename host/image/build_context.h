// The build context of `twinbox build DIR`: .dockerignore (Docker's
// "dockerignore file": Go filepath.Match patterns, "**", "!" exceptions,
// the last matching line wins), COPY sources resolved inside DIR, their
// content checksum (the cache key of a COPY, as BuildKit's contenthash) and
// the copy itself into a layer's staging directory.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace twinbox::image {

class DockerIgnore {
public:
    static Result<DockerIgnore> load(const std::string& context);
    static DockerIgnore from_text(const std::string& text);
    // `relative`: a path inside the context, "a/b.txt".
    bool ignored(const std::string& relative) const;

private:
    std::vector<std::pair<std::string, bool>> m_patterns;  // pattern, exception (!)
};

struct CopySource {
    std::string path;      // absolute, inside the context
    std::string relative;  // from the context ("src/app.c")
    bool directory = false;
};

// Each COPY source (globs allowed) as a path inside `context`; a source
// outside it, or one that matches nothing, is an error.
Result<std::vector<CopySource>> resolve_copy_sources(const std::string& context,
                                                     const std::vector<std::string>& sources,
                                                     const DockerIgnore& ignore);

// sha256 over every file that would be copied: names, types, modes, content.
Result<std::string> checksum_sources(const std::vector<CopySource>& sources,
                                     const DockerIgnore& ignore);

struct CopyTarget {
    std::string root;             // the layer's staging directory
    std::string destination;      // absolute path in the image
    bool into_directory = false;  // dest ends in "/" or several sources
    uint32_t uid = 0, gid = 0;
    std::optional<uint32_t> mode;  // --chmod
};
Result<void> copy_sources(const std::vector<CopySource>& sources, const DockerIgnore& ignore,
                          const CopyTarget& target);

}  // namespace twinbox::image
