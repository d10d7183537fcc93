// The dependency graph (graph.h).
#include "cloud/stack/graph.h"

#include <fmt/core.h>

#include <functional>

namespace twinbox::cloud::stack {
namespace {

// Checks one reference found at `path`, inside `from` (a counted resource
// or not); returns its node ("" when it depends on nothing).
Result<std::string> check_reference(const Config& config, const Reference& ref,
                                    const ResourceBlock* from, const std::string& path) {
    switch (ref.kind) {
        case Reference::Kind::Variable:
            if (!config.variables.contains(ref.name))
                return config.error(
                    path, fmt::format("reference to undeclared variable '{}' in '${{{}}}'",
                                      ref.name, ref.text));
            return ref.node();
        case Reference::Kind::Local:
            if (!config.locals.contains(ref.name))
                return config.error(
                    path, fmt::format("reference to undeclared local '{}' in '${{{}}}'", ref.name,
                                      ref.text));
            return ref.node();
        case Reference::Kind::CountIndex:
            if (!from || !from->count)
                return config.error(path, "count.index is only valid in a resource with count");
            return std::string();
        case Reference::Kind::Resource:
            break;
    }
    const ResourceBlock* target = config.find(ref.node());
    if (!target)
        return config.error(path, fmt::format("reference to undeclared resource {} in '${{{}}}'",
                                              ref.node(), ref.text));
    bool indexed = ref.index || ref.index_is_count;
    if (target->count && !indexed)
        return config.error(path, fmt::format("{} has count: name one instance, {}[N].{}",
                                              ref.node(), ref.node(), ref.attribute));
    if (!target->count && indexed)
        return config.error(path, fmt::format("{} has no count: drop the index", ref.node()));
    if (ref.index_is_count && (!from || !from->count))
        return config.error(path, "count.index is only valid in a resource with count");
    if (!target->type->has_attribute(ref.attribute) && !target->type->argument(ref.attribute))
        return config.error(
            path, fmt::format("{} has no attribute '{}'", target->type_name, ref.attribute));
    return ref.node();
}

Result<std::set<std::string>> edges_of(const Config& config, const Json& value,
                                       const ResourceBlock* from, const std::string& path) {
    std::set<std::string> nodes;
    auto refs = references_in(value);
    if (!refs)
        return config.error(path, refs.error().to_string());
    for (const auto& ref : *refs) {
        std::string node = TRY(check_reference(config, ref, from, path));
        if (!node.empty() && !node.starts_with("var."))
            nodes.insert(node);
    }
    return nodes;
}

// Edges of each argument, with the argument's own path in errors.
Result<std::set<std::string>> resource_edges(const Config& config, const ResourceBlock& res) {
    std::set<std::string> nodes;
    for (const auto& [key, value] : res.arguments.items())
        nodes.merge(TRY(edges_of(config, value, &res, res.path + "/" + key)));
    if (res.count) {
        auto refs = TRY(edges_of(config, *res.count, nullptr, res.path + "/count"));
        for (const auto& node : refs)
            if (!node.starts_with("local."))
                return config.error(
                    res.path + "/count",
                    "count must be known at plan: a number, var.NAME or local.NAME");
        nodes.merge(refs);
    }
    for (size_t i = 0; i < res.depends_on.size(); ++i) {
        const std::string& dep = res.depends_on[i];
        if (!config.find(dep))
            return config.error(fmt::format("{}/depends_on/{}", res.path, i),
                                fmt::format("reference to undeclared resource {}", dep));
        nodes.insert(dep);
    }
    return nodes;
}

}  // namespace

Result<Graph> build_graph(const Config& config) {
    std::map<std::string, std::set<std::string>> edges;
    for (const auto& [name, value] : config.locals)
        edges["local." + name] = TRY(edges_of(config, value, nullptr, "/locals/" + name));
    for (const auto& res : config.resources)
        edges[res.address()] = TRY(resource_edges(config, res));
    for (const auto& [name, value] : config.outputs)
        (void)TRY(edges_of(config, value, nullptr, "/output/" + name + "/value"));

    Graph graph;
    std::map<std::string, int> mark;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::function<Result<void>(const std::string&)> visit =
        [&](const std::string& node) -> Result<void> {
        if (mark[node] == 2)
            return ok();
        if (mark[node] == 1) {
            std::string cycle;
            bool in = false;
            for (const auto& step : path) {
                in = in || step == node;
                if (in)
                    cycle += step + " -> ";
            }
            return Error::message(fmt::format("{}: cycle: {}{}", config.file, cycle, node))
                .with_exit_status(252);
        }
        mark[node] = 1;
        path.push_back(node);
        std::set<std::string>& deps = graph.depends[node];
        for (const auto& next : edges[node]) {
            TRY(visit(next));
            if (next.starts_with("local."))
                deps.insert(graph.depends[next].begin(), graph.depends[next].end());
            else
                deps.insert(next);
        }
        path.pop_back();
        mark[node] = 2;
        if (!node.starts_with("local."))
            graph.order.push_back(node);
        return ok();
    };
    for (const auto& [node, next] : edges) TRY(visit(node));
    for (auto it = graph.depends.begin(); it != graph.depends.end();)
        it = it->first.starts_with("local.") ? graph.depends.erase(it) : std::next(it);
    return graph;
}

}  // namespace twinbox::cloud::stack
