// Image references, Docker's grammar (distribution/reference, reference.go):
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] component ( "/" component )*
//   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   domain     := host [ ":" port ]       (only if it has a "." or ":" or is "localhost")
//   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//
// No tag means "latest". twinbox has no registry, so "busybox" stays
// "busybox" (Docker would say docker.io/library/busybox).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace twinbox::image {

struct Reference {
    std::string name;    // "busybox", "example.com:5000/team/app"
    std::string tag;     // "latest" unless given (empty when only a digest is given)
    std::string digest;  // "sha256:..." or empty

    // "name:tag" (or "name@digest"): the key of the store's index.
    std::string to_string() const;
};

Result<Reference> parse_reference(std::string_view text);

}  // namespace twinbox::image
