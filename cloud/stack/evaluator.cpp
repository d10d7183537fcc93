// Evaluating expressions (evaluator.h).
#include "cloud/stack/evaluator.h"

#include <fmt/core.h>

namespace twinbox::cloud::stack {

std::string instance_address(const std::string& block, std::optional<int> index) {
    return index ? fmt::format("{}[{}]", block, *index) : block;
}

Result<Json> Evaluator::eval(const Json& value, std::optional<int> count_index,
                             const std::string& path) {
    auto result = evaluate(value, [&](const Reference& ref) { return resolve(ref, count_index); });
    if (!result)
        return m_config.error(path, result.error().to_string());
    return result;
}

Result<Json> Evaluator::resolve(const Reference& ref, std::optional<int> count_index) {
    switch (ref.kind) {
        case Reference::Kind::Variable: {
            auto found = m_variables.find(ref.name);
            if (found == m_variables.end())
                return Error::message(fmt::format("undeclared variable '{}'", ref.name));
            return found->second;
        }
        case Reference::Kind::Local: {
            if (auto cached = m_locals.find(ref.name); cached != m_locals.end())
                return cached->second;
            auto found = m_config.locals.find(ref.name);
            if (found == m_config.locals.end())
                return Error::message(fmt::format("undeclared local '{}'", ref.name));
            Json value = TRY(evaluate(found->second, [&](const Reference& inner) {
                return resolve(inner, std::nullopt);
            }));
            m_locals[ref.name] = value;
            return value;
        }
        case Reference::Kind::CountIndex:
            if (!count_index)
                return Error::message("count.index is only valid in a resource with count");
            return Json(*count_index);
        case Reference::Kind::Resource:
            break;
    }
    const ResourceBlock* block = m_config.find(ref.node());
    if (!block)
        return Error::message(fmt::format("undeclared resource {}", ref.node()));
    std::optional<int> index = ref.index;
    if (ref.index_is_count) {
        if (!count_index)
            return Error::message("count.index is only valid in a resource with count");
        index = count_index;
    }
    return m_lookup(*block, index, ref.attribute);
}

Result<std::vector<std::optional<int>>> Evaluator::instances_of(const ResourceBlock& block) {
    if (!block.count)
        return std::vector<std::optional<int>>{std::nullopt};
    Json count = TRY(eval(*block.count, std::nullopt, block.path + "/count"));
    if (count.is_string()) {
        const std::string& text = count.get_ref<const std::string&>();
        if (!text.empty() && text.size() < 6 &&
            text.find_first_not_of("0123456789") == std::string::npos)
            count = std::stoi(text);
    }
    if (!count.is_number_unsigned() || count.get<unsigned>() > 100)
        return m_config.error(
            block.path + "/count",
            fmt::format("expected a whole number from 0 to 100, not {}", display(count)));
    std::vector<std::optional<int>> indexes;
    for (int i = 0; i < count.get<int>(); ++i) indexes.push_back(i);
    return indexes;
}

}  // namespace twinbox::cloud::stack
