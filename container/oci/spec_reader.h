// Reading config.json into a Spec: the small toolkit that spec.cpp and
// spec_linux.cpp share (internal to container/oci; not part of the contract).
//
// The strict reader itself (Node, read(), read_member()...) is the project's
// one JSON reader, common/json_reader.h. This namespace adds the overloads
// for the spec's types. It is inline in twinbox::oci so that the reader's
// templates find those overloads by argument-dependent lookup on the spec's
// types (an inline namespace's members count as the enclosing namespace's).
#pragma once

#include <string_view>

#include "common/json_reader.h"
#include "common/result.h"
#include "container/oci/spec.h"

namespace twinbox::oci {
inline namespace spec_reader {

using json_reader::expect_array;
using json_reader::expect_object;
using json_reader::Json;
using json_reader::Node;
using json_reader::read;
using json_reader::read_member;
using json_reader::read_required;

// Path checks shared by both files.
bool is_absolute(std::string_view path);
// True when a component is "..": such a path could climb out of where it is rooted.
bool has_dot_dot(std::string_view path);

// The Linux section (spec_linux.cpp).
Result<void> read(const Node& node, Linux& out);

}  // namespace spec_reader
}  // namespace twinbox::oci
