// `twinbox build`: a Dockerfile (dockerfile.h) into an image, one step at a
// time, like BuildKit's Dockerfile frontend without the graph solver:
//
//   FROM        the base image's config and layers (or scratch: none)
//   RUN, COPY   a new layer each: the container's overlay upper directory,
//               or the copied files, packed as a tar with OCI whiteouts
//   the rest    change only the config (Env, Cmd, WorkingDir, User...)
//
// The cache (docs/images.md "The build cache"): every step has a key,
//   key(step) = sha256(key(parent step) + the step's own part)
// where the own part is the instruction (with the ARG values in scope for
// RUN) and, for COPY, the checksum of the copied files (contenthash). A
// RUN or COPY whose key has a record in the store's cache/ reuses its layer
// and prints CACHED; a changed step changes every key after it, so the
// build redoes it and what follows. --no-cache ignores the records.
#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "host/image/store.h"

namespace twinbox::image {

struct BuildOptions {
    std::string context;     // the build directory
    std::string dockerfile;  // default: <context>/Dockerfile
    std::string tag;         // NAME[:TAG]
    bool no_cache = false;
    std::map<std::string, std::string> build_args;  // --build-arg K=V
};

// Builds, tags, and returns the manifest digest (the image id). Progress
// goes to stdout, one line per step; errors name the step.
Result<std::string> build_image(ImageStore& store, const BuildOptions& options);

// The chained key of a step: sha256(parent + "\n" + own part), as hex.
std::string chain_key(const std::string& parent, const std::string& own);

}  // namespace twinbox::image
