// The dependency graph of a stack: resources and locals are nodes, each
// reference ("${aws_vpc.main.id}", "${local.name}") and each depends_on entry
// an edge. Built at plan time, before anything is evaluated, so that a
// reference to something not declared (a dangling reference) and a cycle are
// refused with one line ("cycle: aws_instance.a -> aws_instance.b -> aws_instance.a").
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cloud/stack/config.h"

namespace twinbox::cloud::stack {

struct Graph {
    // Resource addresses, each after everything it depends on.
    std::vector<std::string> order;
    // The resources each resource depends on, directly or through locals.
    std::map<std::string, std::set<std::string>> depends;
};

Result<Graph> build_graph(const Config& config);

}  // namespace twinbox::cloud::stack
