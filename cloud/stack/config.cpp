// Reading a stack file (config.h).
#include "cloud/stack/config.h"

#include <fmt/core.h>

#include "common/file.h"
#include "common/json_reader.h"

namespace twinbox::cloud::stack {
namespace {

constexpr std::string_view kMetaArguments = "count, depends_on";

std::string names_of(const ResourceType& type) {
    std::string names;
    for (const auto& arg : type.arguments)
        names += (names.empty() ? "" : ", ") + std::string(arg.name);
    return names;
}

class Reader {
public:
    explicit Reader(Config& config) : m_config(config) {}

    Result<void> top(const Json& root) {
        if (!root.is_object())
            return m_config.error("/", "expected an object of blocks");
        for (const auto& [key, value] : root.items()) {
            std::string path = "/" + key;
            if (key == "//" || key == "terraform" || key == "provider")
                continue;
            if (!value.is_object())
                return m_config.error(path, "expected an object");
            if (key == "resource")
                TRY(resources(value));
            else if (key == "variable")
                TRY(variables(value));
            else if (key == "locals")
                TRY(locals(value));
            else if (key == "output")
                TRY(outputs(value));
            else
                return m_config.error(
                    path, fmt::format("unknown block '{}' (supported: resource, variable, locals, "
                                      "output; terraform and provider are read and ignored)",
                                      key));
        }
        return ok();
    }

private:
    Result<void> variables(const Json& block) {
        for (const auto& [name, body] : block.items()) {
            std::string path = "/variable/" + name;
            if (!body.is_object())
                return m_config.error(path, "expected an object");
            Variable var{name, "", std::nullopt};
            for (const auto& [key, value] : body.items()) {
                if (key == "default")
                    var.default_value = value;
                else if (key == "type" && value.is_string())
                    var.type = value.get<std::string>();
                else if (key != "description" && key != "//")
                    return m_config.error(
                        path + "/" + key,
                        "unknown argument (supported: default, type, description)");
            }
            m_config.variables[name] = std::move(var);
        }
        return ok();
    }

    Result<void> locals(const Json& block) {
        for (const auto& [name, value] : block.items())
            if (name != "//")
                m_config.locals[name] = value;
        return ok();
    }

    Result<void> outputs(const Json& block) {
        for (const auto& [name, body] : block.items()) {
            std::string path = "/output/" + name;
            if (!body.is_object() || !body.contains("value"))
                return m_config.error(path, "expected an object with a value");
            for (const auto& [key, value] : body.items())
                if (key != "value" && key != "description" && key != "sensitive" && key != "//")
                    return m_config.error(path + "/" + key,
                                          "unknown argument (supported: value, description)");
            m_config.outputs[name] = body["value"];
        }
        return ok();
    }

    Result<void> resources(const Json& block) {
        for (const auto& [type_name, named] : block.items()) {
            std::string path = "/resource/" + type_name;
            const ResourceType* type = find_resource_type(type_name);
            if (!type)
                return m_config.error(path, fmt::format("unknown resource type (supported: {})",
                                                        supported_resource_types()));
            if (!named.is_object())
                return m_config.error(path, "expected an object of named resources");
            for (const auto& [name, body] : named.items()) TRY(resource(*type, name, body));
        }
        return ok();
    }

    Result<void> resource(const ResourceType& type, const std::string& name, const Json& body) {
        ResourceBlock res;
        res.type = &type;
        res.type_name = std::string(type.name);
        res.name = name;
        res.path = fmt::format("/resource/{}/{}", type.name, name);
        if (!body.is_object())
            return m_config.error(res.path, "expected an object of arguments");
        for (const auto& [key, value] : body.items()) {
            std::string path = res.path + "/" + key;
            if (key == "//")
                continue;
            if (key == "count") {
                res.count = value;
            } else if (key == "depends_on") {
                if (!value.is_array())
                    return m_config.error(path, "expected a list of \"TYPE.NAME\"");
                for (const auto& item : value) {
                    if (!item.is_string())
                        return m_config.error(path, "expected a list of \"TYPE.NAME\"");
                    res.depends_on.push_back(item.get<std::string>());
                }
            } else if (const ArgumentSpec* spec = type.argument(key)) {
                if (!spec->block.empty())
                    TRY(nested(*spec, value, path));
                res.arguments[key] = value;
            } else {
                return m_config.error(
                    path,
                    fmt::format("unknown argument '{}' of {} (supported: {}; meta-arguments {})",
                                key, type.name, names_of(type), kMetaArguments));
            }
        }
        for (const auto& spec : type.arguments)
            if (spec.required && !res.arguments.contains(spec.name))
                return m_config.error(res.path, fmt::format("missing argument '{}'", spec.name));
        m_config.resources.push_back(std::move(res));
        return ok();
    }

    Result<void> nested(const ArgumentSpec& spec, const Json& value, const std::string& path) {
        Json blocks = value.is_array() ? value : Json::array({value});
        for (size_t i = 0; i < blocks.size(); ++i) {
            std::string at = value.is_array() ? fmt::format("{}/{}", path, i) : path;
            if (!blocks[i].is_object())
                return m_config.error(at, "expected a block (an object)");
            for (const auto& [key, item] : blocks[i].items()) {
                (void)item;
                bool known = key == "//";
                for (auto name : spec.block) known = known || name == key;
                if (!known) {
                    std::string names;
                    for (auto name : spec.block)
                        names += (names.empty() ? "" : ", ") + std::string(name);
                    return m_config.error(
                        at + "/" + key,
                        fmt::format("unknown argument of {} (supported: {})", spec.name, names));
                }
            }
        }
        return ok();
    }

    Config& m_config;
};

}  // namespace

const ResourceBlock* Config::find(std::string_view address) const {
    for (const auto& res : resources)
        if (res.address() == address)
            return &res;
    return nullptr;
}

Error Config::error(std::string_view path, std::string_view what) const {
    // A refused configuration is the user's input, a usage error (cli/stack.cpp).
    return Error::message(fmt::format("{}: {}: {}", file, path, what)).with_exit_status(252);
}

Result<Config> parse_config(const std::string& file, std::string_view text) {
    Config config;
    config.file = file;
    auto root = json_reader::parse(text);
    if (!root)
        return config.error("/", root.error().to_string());
    TRY(Reader(config).top(*root));
    return config;
}

Result<Config> load_config(const std::string& file) {
    auto text = TRY(read_text_file(file, "stack file", 4u << 20));
    return parse_config(file, text);
}

Result<std::map<std::string, Json>> variable_values(
    const Config& config, const std::map<std::string, std::string>& overrides) {
    std::map<std::string, Json> values;
    for (const auto& [name, text] : overrides) {
        auto found = config.variables.find(name);
        if (found == config.variables.end())
            return config.error("/variable",
                                fmt::format("-var {}: no variable \"{}\" is declared", name, name));
        const std::string& type = found->second.type;
        if (type == "number") {
            auto number = json_reader::parse(text);
            if (!number || !number->is_number())
                return config.error("/variable/" + name,
                                    fmt::format("-var {}={}: expected a number", name, text));
            values[name] = *number;
        } else if (type == "bool") {
            if (text != "true" && text != "false")
                return config.error("/variable/" + name,
                                    fmt::format("-var {}={}: expected true or false", name, text));
            values[name] = text == "true";
        } else {
            values[name] = text;
        }
    }
    for (const auto& [name, var] : config.variables) {
        if (values.contains(name))
            continue;
        if (!var.default_value)
            return config.error("/variable/" + name,
                                fmt::format("no value: give -var {}=VALUE or a default", name));
        values[name] = *var.default_value;
    }
    return values;
}

}  // namespace twinbox::cloud::stack
