#include "vmm/control/protocol.h"

#include <fmt/core.h>

namespace twinbox {

namespace {

using nlohmann::json;

constexpr const char* kCommands = "stats, inspect, pause, resume, stop or powerdown";

std::string reply_line(const json& reply) {
    // Invalid UTF-8 (from a device or file name) is replaced rather than thrown on.
    return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string control_error_line(std::string_view text) {
    return reply_line(json{{"error", std::string(text)}});
}

Result<ControlCommand> parse_control_request(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos)
        return Error::message(fmt::format(
            "empty request: send one JSON object per line, such as {{\"cmd\":\"stats\"}}"));
    if (line.size() > kMaxControlLine)
        return Error::message(
            fmt::format("request of {} bytes is longer than {}", line.size(), kMaxControlLine));
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded())
        return Error::message(
            "request is not valid JSON: send one object per line, such as {\"cmd\":\"stats\"}");
    if (!request.is_object())
        return Error::message("request must be a JSON object, such as {\"cmd\":\"stats\"}");
    auto command = request.find("cmd");
    if (command == request.end())
        return Error::message(fmt::format("request has no \"cmd\": use {}", kCommands));
    if (!command->is_string())
        return Error::message(fmt::format("\"cmd\" must be a string: {}", kCommands));
    const std::string& name = command->get_ref<const std::string&>();
    if (name == "stats")
        return ControlCommand::stats;
    if (name == "inspect")
        return ControlCommand::inspect;
    if (name == "pause")
        return ControlCommand::pause;
    if (name == "resume")
        return ControlCommand::resume;
    if (name == "stop")
        return ControlCommand::stop;
    if (name == "powerdown")
        return ControlCommand::powerdown;
    std::string shown = name.size() > 40 ? name.substr(0, 40) + "..." : name;
    return Error::message(fmt::format("unknown command \"{}\": use {}", shown, kCommands));
}

std::string handle_control_line(std::string_view line, ControlTarget& target) {
    auto command = parse_control_request(line);
    if (!command)
        return control_error_line(command.error().to_string());
    Result<json> reply = Error::message("unhandled command");
    try {
        switch (*command) {
            case ControlCommand::stats:
                reply = target.stats();
                break;
            case ControlCommand::inspect:
                reply = target.inspect();
                break;
            case ControlCommand::pause:
                reply = target.pause();
                break;
            case ControlCommand::resume:
                reply = target.resume();
                break;
            case ControlCommand::stop:
                reply = target.stop();
                break;
            case ControlCommand::powerdown:
                reply = target.powerdown();
                break;
        }
    } catch (const std::exception& error) {
        // nlohmann::json throws on misuse; a reply must never take the VMM down.
        return control_error_line(fmt::format("internal error: {}", error.what()));
    }
    if (!reply)
        return control_error_line(reply.error().to_string());
    json object = reply->is_object() ? std::move(*reply) : json::object();
    object["ok"] = true;
    return reply_line(object);
}

}  // namespace twinbox
