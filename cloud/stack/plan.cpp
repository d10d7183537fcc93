// Computing and printing a plan (plan.h).
#include "cloud/stack/plan.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "cloud/stack/evaluator.h"
#include "cloud/stack/graph.h"

namespace twinbox::cloud::stack {
namespace {

struct Planned {
    Json arguments, attributes;
    bool exists = false;  // attributes known (not being created or replaced)
};

void classify(const ResourceType& type, Change& change) {
    std::set<std::string> keys;
    for (const auto& [key, value] : change.before.items()) keys.insert(key);
    for (const auto& [key, value] : change.after.items()) keys.insert(key);
    for (const auto& key : keys) {
        Json before = change.before.value(key, Json());
        Json after = change.after.value(key, Json());
        if (!is_unknown(after) && same_value(before, after))
            continue;
        change.changed.push_back(key);
        const ArgumentSpec* spec = type.argument(key);
        if (!type.update || (spec && spec->force_new))
            change.forcing.push_back(key);
    }
    if (type.also_forces)
        for (auto& key : type.also_forces(change.before, change.after))
            if (std::find(change.forcing.begin(), change.forcing.end(), key) ==
                change.forcing.end())
                change.forcing.push_back(key);
    change.action = !change.forcing.empty()   ? Action::Replace
                    : !change.changed.empty() ? Action::Update
                                              : Action::None;
}

// Reverse dependency order of the state's resources: dependents first.
std::vector<const StateResource*> dependents_first(const StackState& state) {
    std::vector<const StateResource*> order, left;
    for (const auto& res : state.resources) left.push_back(&res);
    while (!left.empty()) {
        size_t before = left.size();
        for (auto it = left.begin(); it != left.end();) {
            bool needed = std::any_of(left.begin(), left.end(), [&](const StateResource* other) {
                return other != *it && std::count(other->depends_on.begin(),
                                                  other->depends_on.end(), (*it)->block());
            });
            if (needed) {
                ++it;
            } else {
                order.push_back(*it);
                it = left.erase(it);
            }
        }
        if (left.size() == before) {  // a cycle in a state file: keep its order
            order.insert(order.end(), left.begin(), left.end());
            break;
        }
    }
    return order;
}

Change destroy_of(const StateResource& res) {
    Change change;
    change.address = res.address;
    change.type = res.type;
    change.name = res.name;
    change.index = res.index;
    change.action = Action::Destroy;
    change.before = res.arguments;
    change.depends_on = res.depends_on;
    return change;
}

void count(Plan& plan) {
    for (const auto& change : plan.changes) {
        plan.add += change.action == Action::Create || change.action == Action::Replace;
        plan.change += change.action == Action::Update;
        plan.destroy += change.action == Action::Destroy || change.action == Action::Replace;
    }
}

}  // namespace

Result<Plan> make_plan(const Config& config, const StackState& state,
                       const std::map<std::string, Json>& variables) {
    Graph graph = TRY(build_graph(config));
    std::map<std::string, Planned> planned;
    auto lookup = [&](const ResourceBlock& block, std::optional<int> index,
                      const std::string& attribute) -> Result<Json> {
        std::string address = instance_address(block.address(), index);
        auto found = planned.find(address);
        if (found == planned.end())
            return Error::message(fmt::format("{} is not declared (check its count)", address));
        const Planned& p = found->second;
        if (p.arguments.contains(attribute))
            return p.arguments[attribute];
        if (p.exists)
            return p.attributes.value(attribute, Json());
        return block.type->has_attribute(attribute) ? Json(kUnknown) : Json();
    };
    Evaluator evaluator(config, variables, lookup);
    Plan plan;
    std::set<std::string> wanted;
    for (const auto& address : graph.order) {
        const ResourceBlock& block = *config.find(address);
        for (auto index : TRY(evaluator.instances_of(block))) {
            Change change;
            change.address = instance_address(address, index);
            change.type = block.type_name;
            change.name = block.name;
            change.index = index;
            change.block = &block;
            change.after = TRY(evaluator.eval(block.arguments, index, block.path));
            change.depends_on.assign(graph.depends[address].begin(), graph.depends[address].end());
            const StateResource* prior = state.find(change.address);
            if (prior) {
                change.before = prior->arguments;
                classify(*block.type, change);
            } else {
                change.action = Action::Create;
            }
            bool exists = change.action == Action::None || change.action == Action::Update;
            planned[change.address] = {change.after, prior ? prior->attributes : Json::object(),
                                       exists};
            wanted.insert(change.address);
            plan.changes.push_back(std::move(change));
        }
    }
    for (const StateResource* res : dependents_first(state))
        if (!wanted.contains(res->address))
            plan.changes.push_back(destroy_of(*res));
    count(plan);
    return plan;
}

Plan make_destroy_plan(const StackState& state) {
    Plan plan;
    for (const StateResource* res : dependents_first(state))
        plan.changes.push_back(destroy_of(*res));
    count(plan);
    return plan;
}

std::string render_plan(const Plan& plan) {
    if (plan.empty())
        return "No changes. Your infrastructure matches the configuration.\n";
    std::string text = "twinbox will perform the following actions:\n";
    std::vector<const Change*> sorted;
    for (const auto& change : plan.changes)
        if (change.action != Action::None)
            sorted.push_back(&change);
    std::sort(sorted.begin(), sorted.end(),
              [](const Change* a, const Change* b) { return a->address < b->address; });
    for (const Change* change : sorted) {
        static const char* kWhat[] = {"", "will be created", "will be updated in-place",
                                      "must be replaced", "will be destroyed"};
        static const char* kMark[] = {"", "  +", "  ~", "-/+", "  -"};
        int action = static_cast<int>(change->action);
        text += fmt::format("\n  # {} {}\n{} resource \"{}\" \"{}\" {{\n", change->address,
                            kWhat[action], kMark[action], change->type, change->name);
        const Json& shown = change->action == Action::Destroy ? change->before : change->after;
        for (const auto& [key, value] : shown.items()) {
            bool changed = std::count(change->changed.begin(), change->changed.end(), key);
            bool forces = std::count(change->forcing.begin(), change->forcing.end(), key);
            if (change->action == Action::Create)
                text += fmt::format("      + {} = {}\n", key, display(value));
            else if (change->action == Action::Destroy)
                text += fmt::format("      - {} = {} -> null\n", key, display(value));
            else if (changed)
                text += fmt::format("      ~ {} = {} -> {}{}\n", key,
                                    display(change->before.value(key, Json())), display(value),
                                    forces ? " # forces replacement" : "");
        }
        for (const auto& key : change->changed)
            if (!shown.contains(key))
                text += fmt::format("      - {} = {} -> null{}\n", key,
                                    display(change->before.value(key, Json())),
                                    std::count(change->forcing.begin(), change->forcing.end(), key)
                                        ? " # forces replacement"
                                        : "");
        text += "    }\n";
    }
    text += fmt::format("\nPlan: {} to add, {} to change, {} to destroy.\n", plan.add, plan.change,
                        plan.destroy);
    return text;
}

}  // namespace twinbox::cloud::stack
