// The state file and its lock (state.h).
#include "cloud/stack/state.h"

#include <fcntl.h>
#include <fmt/core.h>

#include "cloud/state_store.h"
#include "common/file.h"
#include "common/json_reader.h"

namespace twinbox::cloud::stack {
namespace {

constexpr int kVersion = 1;

Result<std::string> text_of(const Json& obj, const char* key, const std::string& path) {
    if (!obj.contains(key) || !obj[key].is_string())
        return Error::message(fmt::format("{}/{}: expected a string", path, key));
    return obj[key].get<std::string>();
}

Result<StateResource> resource_of(const Json& item, const std::string& path) {
    if (!item.is_object())
        return Error::message(path + ": expected an object");
    StateResource res;
    res.address = TRY(text_of(item, "address", path));
    res.type = TRY(text_of(item, "type", path));
    res.name = TRY(text_of(item, "name", path));
    if (item.contains("index") && !item["index"].is_null()) {
        if (!item["index"].is_number_unsigned())
            return Error::message(path + "/index: expected a number or null");
        res.index = item["index"].get<int>();
    }
    std::string expected = res.block() + (res.index ? fmt::format("[{}]", *res.index) : "");
    if (res.address != expected)
        return Error::message(fmt::format("{}/address: expected \"{}\"", path, expected));
    for (const char* key : {"arguments", "attributes"})
        if (!item.contains(key) || !item[key].is_object())
            return Error::message(fmt::format("{}/{}: expected an object", path, key));
    res.arguments = item["arguments"];
    res.attributes = item["attributes"];
    if (!res.attributes.contains("id") || !res.attributes["id"].is_string())
        return Error::message(path + "/attributes/id: expected a string");
    if (!item.contains("depends_on") || !item["depends_on"].is_array())
        return Error::message(path + "/depends_on: expected an array");
    for (const auto& dep : item["depends_on"]) {
        if (!dep.is_string())
            return Error::message(path + "/depends_on: expected strings");
        res.depends_on.push_back(dep.get<std::string>());
    }
    return res;
}

Json json_of(const StateResource& res) {
    return {{"address", res.address},
            {"type", res.type},
            {"name", res.name},
            {"index", res.index ? Json(*res.index) : Json(nullptr)},
            {"arguments", res.arguments},
            {"attributes", res.attributes},
            {"depends_on", res.depends_on}};
}

}  // namespace

StateResource* StackState::find(std::string_view address) {
    for (auto& res : resources)
        if (res.address == address)
            return &res;
    return nullptr;
}

const StateResource* StackState::find(std::string_view address) const {
    return const_cast<StackState*>(this)->find(address);
}

void StackState::put(StateResource resource) {
    if (StateResource* found = find(resource.address))
        *found = std::move(resource);
    else
        resources.push_back(std::move(resource));
}

void StackState::remove(std::string_view address) {
    std::erase_if(resources, [&](const StateResource& res) { return res.address == address; });
}

std::string state_path_for(const std::string& stack_file) {
    constexpr std::string_view kSuffix = ".tf.json";
    std::string base = stack_file;
    if (base.ends_with(kSuffix))
        base.resize(base.size() - kSuffix.size());
    return base + ".tfstate.json";
}

Result<StackState> parse_state(const std::string& path, std::string_view text) {
    auto root = json_reader::parse(text);
    if (!root)
        return damaged(path, root.error().to_string());
    if (!root->is_object())
        return damaged(path, "/: expected an object");
    if (!(*root)["version"].is_number_integer() || (*root)["version"].get<int>() != kVersion)
        return damaged(path, fmt::format("/version: expected {}", kVersion));
    StackState state;
    if (!(*root)["serial"].is_number_unsigned())
        return damaged(path, "/serial: expected a number");
    state.serial = (*root)["serial"].get<int>();
    auto dir = text_of(*root, "cloud_dir", "");
    if (!dir)
        return damaged(path, dir.error().to_string());
    state.cloud_dir = *dir;
    const Json& resources = (*root)["resources"];
    if (!resources.is_array())
        return damaged(path, "/resources: expected an array");
    for (size_t i = 0; i < resources.size(); ++i) {
        auto res = resource_of(resources[i], fmt::format("/resources/{}", i));
        if (!res)
            return damaged(path, res.error().to_string());
        if (state.find(res->address))
            return damaged(path, fmt::format("/resources/{}: {} appears twice", i, res->address));
        state.resources.push_back(std::move(*res));
    }
    if (!(*root)["outputs"].is_object())
        return damaged(path, "/outputs: expected an object");
    state.outputs = (*root)["outputs"];
    return state;
}

Result<StackState> read_state(const std::string& path) {
    auto text = read_text_file(path, "stack state");
    if (!text && text.error().code() == ENOENT)
        return StackState{};
    if (!text)
        return std::move(text).error();
    return parse_state(path, *text);
}

Result<void> write_state(const std::string& path, StackState& state) {
    ++state.serial;
    Json resources = Json::array();
    for (const auto& res : state.resources) resources.push_back(json_of(res));
    Json root = {{"version", kVersion},
                 {"serial", state.serial},
                 {"cloud_dir", state.cloud_dir},
                 {"resources", resources},
                 {"outputs", state.outputs}};
    return write_file_atomically(path, root.dump(2) + "\n", /*durable=*/true, 0600);
}

Result<StateLock> StateLock::acquire(const std::string& state_path) {
    std::string path = state_path + ".lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return Error::from_errno("open", path);
    // A POSIX record lock, not flock(2): an flock belongs to the open file
    // description, which the supervisor of a detached instance (forked by
    // run-instances during the apply) would inherit and hold long after the
    // apply ends. A record lock belongs to this process only (fcntl(2)).
    struct flock whole {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_SETLK, &whole) < 0) {
        if (errno == EAGAIN || errno == EACCES)
            return Error::message(fmt::format("stack state {} is locked: another twinbox stack "
                                              "plan, apply, destroy or refresh is running",
                                              state_path))
                .with_hint("wait for it to finish");
        return Error::from_errno("fcntl(F_SETLK)", path);
    }
    return StateLock(std::move(fd));
}

}  // namespace twinbox::cloud::stack
