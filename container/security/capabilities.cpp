// Capability sets with libcap (cap_from_name(3), cap_set_proc(3), cap_set_ambient(3)).
#include "container/security/capabilities.h"

#include <fmt/core.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "common/log.h"

namespace twinbox::container {

namespace {

std::string upper(std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return result;
}

Result<cap_value_t> capability_value(const std::string& name) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    cap_value_t value;
    if (cap_from_name(lower.c_str(), &value) < 0)
        return Error::message(fmt::format("unknown capability {}", name))
            .with_hint("see capabilities(7) for the names, e.g. CAP_NET_ADMIN");
    return value;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

const std::vector<std::string>& docker_default_capabilities() {
    static const std::vector<std::string> kDefaults = {
        "CAP_AUDIT_WRITE", "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
        "CAP_KILL",        "CAP_MKNOD",   "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",    "CAP_SETFCAP",
        "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT",
    };
    return kDefaults;
}

std::vector<std::string> all_capabilities() {
    std::vector<std::string> names;
    for (cap_value_t value = 0; value <= cap_max_bits() - 1; ++value) {
        std::unique_ptr<char, int (*)(void*)> name(cap_to_name(value), cap_free);
        if (name)
            names.push_back(upper(name.get()));
    }
    return names;
}

std::vector<std::string> available_capabilities() {
    std::vector<std::string> names;
    for (const auto& name : all_capabilities()) {
        auto value = capability_value(name);
        if (value && ::prctl(PR_CAPBSET_READ, *value, 0, 0, 0) == 1)
            names.push_back(name);
    }
    return names;
}

Result<std::string> normalize_capability(std::string_view name) {
    std::string result = upper(name);
    if (result == "ALL")
        return result;
    if (!result.starts_with("CAP_"))
        result = "CAP_" + result;
    TRY(capability_value(result));
    return result;
}

Result<std::vector<std::string>> compute_capabilities(const std::vector<std::string>& base,
                                                      const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop) {
    std::vector<std::string> adds, drops;
    for (const auto& name : add)
        adds.push_back(TRY(normalize_capability(name).with_context("--cap-add")));
    for (const auto& name : drop)
        drops.push_back(TRY(normalize_capability(name).with_context("--cap-drop")));
    std::vector<std::string> result;
    auto available = available_capabilities();
    for (const auto& name : adds)
        if (name != "ALL" && !contains(available, name))
            return Error::message(
                       fmt::format("--cap-add {}: this host does not let twinbox grant it", name))
                .with_hint(
                    "it is missing from twinbox's own bounding set (see /proc/self/status CapBnd)");
    if (contains(adds, "ALL"))
        result = available;
    else if (!contains(drops, "ALL"))
        result = base;
    for (const auto& name : adds)
        if (name != "ALL" && !contains(result, name))
            result.push_back(name);
    std::erase_if(result, [&](const std::string& name) {
        return contains(drops, name) && !contains(adds, name);
    });
    std::sort(result.begin(), result.end());
    return result;
}

oci::Capabilities capabilities_for(const std::vector<std::string>& names) {
    oci::Capabilities capabilities;
    capabilities.bounding = capabilities.effective = capabilities.permitted = names;
    // Inheritable and ambient stay empty (Docker and runc since
    // CVE-2022-24769): a non-empty inheritable set lets a non-root process
    // gain those capabilities by executing a file that carries them as
    // file-inheritable ("setcap cap_dac_override=ei"), which the image
    // author controls (capabilities(7), "Transformation of capabilities").
    return capabilities;
}

Result<void> drop_bounding_set(Syscalls& sys, const oci::Capabilities& capabilities) {
    std::vector<cap_value_t> keep;
    for (const auto& name : capabilities.bounding) keep.push_back(TRY(capability_value(name)));
    // The bounding set limits what any later execve(2) can ever gain, even
    // from a setuid-root or file-capability binary.
    for (cap_value_t value = 0; value < cap_max_bits(); ++value) {
        if (std::find(keep.begin(), keep.end(), value) != keep.end())
            continue;
        // EINVAL: a capability this kernel does not know; nothing to drop.
        if (auto dropped = sys.prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(value), 0);
            !dropped && dropped.error().code() != EINVAL)
            return std::move(dropped).error().with_context(fmt::format("capability {}", value));
    }
    return ok();
}

Result<void> apply_capabilities(Syscalls& sys, const oci::Capabilities& capabilities) {
    auto values = [](const std::vector<std::string>& names) -> Result<std::vector<int>> {
        std::vector<int> numbers;
        for (const auto& name : names) numbers.push_back(TRY(capability_value(name)));
        return numbers;
    };
    CapabilitySets sets;
    sets.effective = TRY(values(capabilities.effective));
    sets.permitted = TRY(values(capabilities.permitted));
    sets.inheritable = TRY(values(capabilities.inheritable));
    TRY(sys.capset(sets));
    // Ambient capabilities survive execve(2) of an ordinary (non-setuid)
    // program run by a non-root user; each must be permitted and inheritable.
    // EINVAL: a kernel without ambient capabilities (before 4.3).
    if (auto cleared = sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0);
        !cleared && cleared.error().code() != EINVAL)
        return std::move(cleared).error();
    // A capability that is not both permitted and inheritable cannot be ambient (EPERM).
    // `runc spec` asks for exactly that (ambient without inheritable); the runtime spec says
    // to warn about capabilities that cannot be granted, and crun and runc go on, so do we.
    for (const auto& name : capabilities.ambient) {
        cap_value_t value = TRY(capability_value(name));
        auto raised =
            sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, static_cast<unsigned long>(value));
        if (!raised) {
            if (raised.error().code() != EPERM)
                return std::move(raised).error().with_context(name);
            log::warn(
                "{} cannot be an ambient capability: it is not in both the permitted and the inheritable set; left out",
                name);
        }
    }
    return ok();
}

}  // namespace twinbox::container
