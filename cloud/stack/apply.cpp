// Applying a plan (apply.h).
#include "cloud/stack/apply.h"

#include <fmt/core.h>

#include <algorithm>
#include <mutex>

#include "cloud/stack/evaluator.h"
#include "cloud/stack/scheduler.h"

namespace twinbox::cloud::stack {
namespace {

InstanceLookup state_lookup(const StackState& state) {
    return [&state](const ResourceBlock& block, std::optional<int> index,
                    const std::string& attribute) -> Result<Json> {
        std::string address = instance_address(block.address(), index);
        const StateResource* res = state.find(address);
        if (!res)
            return Error::message(fmt::format("{} does not exist", address));
        if (res->arguments.contains(attribute))
            return res->arguments[attribute];
        return res->attributes.value(attribute, Json());
    };
}

std::string id_of(const Json& attributes) {
    return attributes.value("id", std::string());
}

class Applier {
public:
    Applier(const StateStore& store, const Config* config, const std::map<std::string, Json>& vars,
            StackState& state, const std::string& path, const Progress& progress)
        : m_store(store),
          m_config(config),
          m_vars(vars),
          m_state(state),
          m_path(path),
          m_progress(progress) {}

    Result<void> destroy(const Change& change) {
        const ResourceType* type = find_resource_type(change.type);
        Json attributes;
        {
            std::lock_guard lock(m_mutex);
            const StateResource* res = m_state.find(change.address);
            if (!res)
                return ok();
            attributes = res->attributes;
        }
        m_progress(fmt::format("{}: Destroying... [id={}]", change.address, id_of(attributes)));
        auto done = type->destroy(m_store, attributes);
        if (!done)
            return std::move(done).error().with_context(change.address);
        std::lock_guard lock(m_mutex);
        m_state.remove(change.address);
        ++m_counts.destroyed;
        m_progress(fmt::format("{}: Destruction complete", change.address));
        return write_state(m_path, m_state);
    }

    Result<void> create_or_update(const Change& change) {
        const ResourceBlock& block = *change.block;
        Json args, prior_attributes, prior_args;
        bool update = change.action == Action::Update;
        {
            std::lock_guard lock(m_mutex);
            Evaluator evaluator(*m_config, m_vars, state_lookup(m_state));
            args = TRY(evaluator.eval(block.arguments, change.index, block.path));
            if (update) {
                const StateResource* prior = m_state.find(change.address);
                if (!prior)
                    return Error::message(change.address + ": vanished from the state");
                prior_attributes = prior->attributes;
                prior_args = prior->arguments;
            }
        }
        if (is_unknown(args))
            return Error::message(change.address + ": an argument is still unknown at apply");
        Json attributes;
        if (update) {
            m_progress(
                fmt::format("{}: Modifying... [id={}]", change.address, id_of(prior_attributes)));
            auto changed = block.type->update(m_store, prior_attributes, prior_args, args);
            if (!changed)
                return std::move(changed).error().with_context(change.address);
            attributes = std::move(*changed);
        } else {
            m_progress(fmt::format("{}: Creating...", change.address));
            auto created = block.type->create(m_store, args);
            if (!created)
                return std::move(created).error().with_context(change.address);
            attributes = std::move(*created);
        }
        std::lock_guard lock(m_mutex);
        m_state.put({change.address, change.type, change.name, change.index, args, attributes,
                     change.depends_on});
        (update ? m_counts.changed : m_counts.added)++;
        m_progress(fmt::format("{}: {} complete [id={}]", change.address,
                               update ? "Modifications" : "Creation", id_of(attributes)));
        return write_state(m_path, m_state);
    }

    ApplyCounts counts() const { return m_counts; }

private:
    const StateStore& m_store;
    const Config* m_config;
    const std::map<std::string, Json>& m_vars;
    StackState& m_state;
    const std::string& m_path;
    const Progress& m_progress;
    std::mutex m_mutex;
    ApplyCounts m_counts;
};

bool depends(const std::vector<std::string>& depends_on, const Change& on) {
    return std::count(depends_on.begin(), depends_on.end(), on.type + "." + on.name) > 0;
}

}  // namespace

Result<void> refresh_state(const StateStore& store, StackState& state, const Progress& progress) {
    std::vector<std::string> gone;
    for (auto& res : state.resources) {
        const ResourceType* type = find_resource_type(res.type);
        if (!type)
            return Error::message(fmt::format("{}: resource type {} is not one twinbox knows",
                                              res.address, res.type));
        progress(
            fmt::format("{}: Refreshing state... [id={}]", res.address, id_of(res.attributes)));
        auto observed = type->read(store, res.attributes);
        if (!observed)
            return std::move(observed).error().with_context(res.address);
        if (!*observed) {
            progress(fmt::format("{}: no longer exists (changed outside the stack)", res.address));
            gone.push_back(res.address);
            continue;
        }
        for (const auto& [key, value] : (*observed)->arguments.items()) res.arguments[key] = value;
        for (const auto& [key, value] : (*observed)->attributes.items())
            res.attributes[key] = value;
    }
    for (const auto& address : gone) state.remove(address);
    return ok();
}

Result<ApplyCounts> apply_plan(const StateStore& store, const Config* config,
                               const std::map<std::string, Json>& variables, const Plan& plan,
                               StackState& state, const std::string& state_path,
                               const Progress& progress) {
    Applier applier(store, config, variables, state, state_path, progress);
    std::vector<const Change*> deletions, creations;
    for (const auto& change : plan.changes) {
        if (change.action == Action::Destroy || change.action == Action::Replace)
            deletions.push_back(&change);
        if (change.action == Action::Create || change.action == Action::Replace ||
            change.action == Action::Update)
            creations.push_back(&change);
    }
    // A deletion waits for the deletions of what depends on it (as recorded in the state).
    std::vector<std::vector<size_t>> needs(deletions.size());
    for (size_t i = 0; i < deletions.size(); ++i)
        for (size_t j = 0; j < deletions.size(); ++j) {
            const StateResource* other = state.find(deletions[j]->address);
            if (i != j && other && depends(other->depends_on, *deletions[i]))
                needs[i].push_back(j);
        }
    TRY(run_tasks(needs, [&](size_t i) { return applier.destroy(*deletions[i]); }));
    // A creation or update waits for those of what it depends on.
    needs.assign(creations.size(), {});
    for (size_t i = 0; i < creations.size(); ++i)
        for (size_t j = 0; j < creations.size(); ++j)
            if (i != j && depends(creations[i]->depends_on, *creations[j]))
                needs[i].push_back(j);
    TRY(run_tasks(needs, [&](size_t i) { return applier.create_or_update(*creations[i]); }));
    return applier.counts();
}

Result<Json> evaluate_outputs(const Config& config, const std::map<std::string, Json>& variables,
                              const StackState& state) {
    Evaluator evaluator(config, variables, state_lookup(state));
    Json outputs = Json::object();
    for (const auto& [name, value] : config.outputs)
        outputs[name] = TRY(evaluator.eval(value, std::nullopt, "/output/" + name + "/value"));
    return outputs;
}

}  // namespace twinbox::cloud::stack
