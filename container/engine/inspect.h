// `twinbox inspect CONTAINER`: Docker's JSON (Id, State, Config...) plus
// what a class wants to see of a running container from the host: its
// namespaces next to the host's, its cgroup with limits and usage, its mount
// table and its process tree (introspect.h says where each comes from).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "container/engine/engine.h"

namespace twinbox::container {

// The whole document for one container. The live sections (Namespaces,
// Mounts, Processes, Cgroup usage) are present only while it runs.
nlohmann::json inspect_container(const StateStore& store, const ContainerView& container);

// The same document as a page of text for a terminal (`inspect --pretty`).
std::string render_inspection(const nlohmann::json& document);

}  // namespace twinbox::container
