// The stack verbs (stack.h).
#include "cloud/stack/stack.h"

#include <fmt/core.h>

namespace twinbox::cloud::stack {
namespace {

// The state of `options.file`, refused when it belongs to another cloud store.
Result<StackState> load_state(const StateStore& store, const std::string& path) {
    StackState state = TRY(read_state(path));
    if (state.cloud_dir.empty())
        state.cloud_dir = store.dir();
    if (state.cloud_dir != store.dir())
        return Error::message(fmt::format("{} records resources of the cloud store {}, not {}",
                                          path, state.cloud_dir, store.dir()))
            .with_hint("set TWINBOX_ROOT as it was when the stack was applied");
    return state;
}

struct Prepared {
    Config config;
    std::map<std::string, Json> variables;
    StackState state;
    Plan plan;
};

Result<Prepared> prepare(const StateStore& store, const StackOptions& options,
                         const std::string& state_path) {
    Prepared p;
    p.config = TRY(load_config(options.file));
    p.variables = TRY(variable_values(p.config, options.vars));
    p.state = TRY(load_state(store, state_path));
    // Refresh before planning, as `terraform plan` does: drift is planned for.
    TRY(refresh_state(store, p.state, options.print));
    p.plan = TRY(make_plan(p.config, p.state, p.variables));
    return p;
}

void print_outputs(const Json& outputs, const Progress& print) {
    if (outputs.empty())
        return;
    print("\nOutputs:\n");
    for (const auto& [name, value] : outputs.items())
        print(fmt::format("{} = {}", name, display(value)));
}

}  // namespace

Result<void> stack_plan(const StateStore& store, const StackOptions& options) {
    std::string path = state_path_for(options.file);
    auto lock = TRY(StateLock::acquire(path));
    Prepared p = TRY(prepare(store, options, path));
    options.print("\n" + render_plan(p.plan));
    return ok();
}

Result<void> stack_apply(const StateStore& store, const StackOptions& options) {
    std::string path = state_path_for(options.file);
    auto lock = TRY(StateLock::acquire(path));
    Prepared p = TRY(prepare(store, options, path));
    options.print("\n" + render_plan(p.plan));
    ApplyCounts counts;
    if (!p.plan.empty())
        counts =
            TRY(apply_plan(store, &p.config, p.variables, p.plan, p.state, path, options.print));
    p.state.outputs = TRY(evaluate_outputs(p.config, p.variables, p.state));
    TRY(write_state(path, p.state));
    options.print(fmt::format("\nApply complete! Resources: {} added, {} changed, {} destroyed.",
                              counts.added, counts.changed, counts.destroyed));
    print_outputs(p.state.outputs, options.print);
    return ok();
}

Result<void> stack_destroy(const StateStore& store, const StackOptions& options) {
    std::string path = state_path_for(options.file);
    auto lock = TRY(StateLock::acquire(path));
    StackState state = TRY(load_state(store, path));
    TRY(refresh_state(store, state, options.print));
    Plan plan = make_destroy_plan(state);
    options.print("\n" + render_plan(plan));
    auto counts = TRY(apply_plan(store, nullptr, {}, plan, state, path, options.print));
    state.outputs = Json::object();
    TRY(write_state(path, state));
    options.print(fmt::format("\nDestroy complete! Resources: {} destroyed.", counts.destroyed));
    return ok();
}

Result<void> stack_refresh(const StateStore& store, const StackOptions& options) {
    std::string path = state_path_for(options.file);
    auto lock = TRY(StateLock::acquire(path));
    StackState state = TRY(load_state(store, path));
    TRY(refresh_state(store, state, options.print));
    return write_state(path, state);
}

Result<void> stack_show(const StateStore& store, const StackOptions& options) {
    std::string path = state_path_for(options.file);
    StackState state = TRY(load_state(store, path));
    if (state.resources.empty()) {
        options.print("The state file is empty. No resources are represented.");
        return ok();
    }
    for (const auto& res : state.resources) {
        options.print(
            fmt::format("# {}:\nresource \"{}\" \"{}\" {{", res.address, res.type, res.name));
        Json all = res.attributes;
        for (const auto& [key, value] : res.arguments.items()) all[key] = value;
        for (const auto& [key, value] : all.items())
            options.print(fmt::format("    {} = {}", key, display(value)));
        options.print("}\n");
    }
    print_outputs(state.outputs, options.print);
    return ok();
}

}  // namespace twinbox::cloud::stack
