// Which images containers use (the "org.twinbox.image" annotation `twinbox
// run` records), so that `image rm` refuses them and `image prune` keeps them.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "host/image/store.h"

namespace twinbox::image {

// Manifest digests of every container's image (running or stopped).
std::set<std::string> images_in_use();

// `twinbox image rm`: untags `reference`, refusing (without `force`) if a
// container uses the image, then frees what nothing needs any more.
// Returns the lines to print ("Untagged: ...", "Deleted: ...").
Result<std::vector<std::string>> remove_image(ImageStore& store, const std::string& reference,
                                              bool force);

}  // namespace twinbox::image
