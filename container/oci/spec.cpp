// parse_spec: config.json text -> Spec, validated while it is read.
//
// The format is the OCI runtime spec's config.json (opencontainers/runtime-spec
// config.md; the Linux section is in spec_linux.cpp, config-linux.md). Rules
// applied here, each with the section that asks for it:
//   - unknown keys are ignored: "Runtimes MAY log unknown properties but
//     MUST otherwise ignore them" (config.md "Extensibility"); JSON null
//     means "not set", as Go runtimes write unset pointers;
//   - wrong JSON types, relative paths where absolute ones are required,
//     unknown names (rlimits, capabilities, namespaces, seccomp actions) and
//     out-of-range numbers are errors, and the first one found is reported with
//     its JSON path.
// Nothing here touches the system: which capabilities the kernel can grant, or
// whether the root directory exists, is for the runtime to find out.
#include "container/oci/spec.h"

#include <sys/capability.h>

#include <algorithm>
#include <set>

#include "container/oci/spec_reader.h"

namespace twinbox::oci {

inline namespace spec_reader {

// --- path checks declared in spec_reader.h ---

bool is_absolute(std::string_view path) {
    return !path.empty() && path.front() == '/';
}

bool has_dot_dot(std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos)
            end = path.size();
        if (path.substr(start, end - start) == "..")
            return true;
        start = end + 1;
    }
    return false;
}

// --- small checks ---

Result<void> require_absolute(const Node& node, std::string_view path) {
    if (!is_absolute(path))
        return node.error("must be an absolute path");
    return ok();
}

Result<void> read_absolute_path(const Node& object, std::string_view key, std::string& out,
                                bool required) {
    auto member = object.member(key);
    if (!member)
        return required ? Error::message(object.child_path(key) + ": required") : ok();
    TRY(read(*member, out));
    return require_absolute(*member, out);
}

// One SemVer number: digits, no sign, no leading zero (semver.org item 2).
bool read_version_number(std::string_view& text, unsigned& out) {
    size_t digits = 0;
    out = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9' && digits < 9)
        out = out * 10 + static_cast<unsigned>(text[digits++] - '0');
    bool valid = digits > 0 && !(digits > 1 && text[0] == '0');
    text.remove_prefix(digits);
    return valid;
}

// ociVersion (config.md "Specification version"): SemVer 2.0.0, and the spec
// keeps compatibility within a major version, so any 1.x.y is accepted
// ("1.0.2-dev", what runc 1.1 writes, included).
Result<void> check_oci_version(const Node& node, const std::string& version) {
    std::string_view rest(version);
    unsigned major = 0, minor = 0, patch = 0;
    bool valid = read_version_number(rest, major) && rest.starts_with('.');
    if (valid) {
        rest.remove_prefix(1);
        valid = read_version_number(rest, minor) && rest.starts_with('.');
    }
    if (valid) {
        rest.remove_prefix(1);
        // After the patch number only a pre-release ("-dev") or build ("+1") may follow.
        valid = read_version_number(rest, patch) &&
                (rest.empty() || rest.front() == '-' || rest.front() == '+');
    }
    if (!valid)
        return node.error("\"" + version + "\" is not a version like \"1.0.2\"");
    if (major != 1)
        return node.error("unsupported version \"" + version +
                          "\": twinbox implements major version 1 of the runtime spec");
    return ok();
}

// --- process (config.md "Process", "POSIX process", "Linux Process", "User") ---

Result<void> read(const Node& node, ConsoleSize& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "height", out.height));
    TRY(read_required(node, "width", out.width));
    return ok();
}

Result<void> read(const Node& node, User& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "uid", out.uid));
    TRY(read_required(node, "gid", out.gid));
    TRY(read_member(node, "umask", out.umask));
    if (out.umask && *out.umask > 0777)
        return node.member("umask")->error("must be a file mode from 0 to 0777 (511)");
    TRY(read_member(node, "additionalGids", out.additional_gids));
    return ok();
}

// The resources getrlimit(2) knows, as the spec writes them.
constexpr std::string_view kRlimitNames[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

Result<void> read(const Node& node, Rlimit& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "type", out.type));
    if (std::find(std::begin(kRlimitNames), std::end(kRlimitNames), out.type) ==
        std::end(kRlimitNames))
        return node.member("type")->error("unknown resource limit \"" + out.type +
                                          "\" (see getrlimit(2), e.g. \"RLIMIT_NOFILE\")");
    TRY(read_required(node, "hard", out.hard));
    TRY(read_required(node, "soft", out.soft));
    // setrlimit(2) fails with EINVAL when the soft limit exceeds the hard one.
    if (out.soft > out.hard)
        return node.error("soft limit " + std::to_string(out.soft) + " exceeds hard limit " +
                          std::to_string(out.hard));
    return ok();
}

// "If rlimits contains duplicated entries with same type, the runtime MUST
// generate an error" (config.md "POSIX process").
Result<void> check_unique_rlimits(const Node& node, const std::vector<Rlimit>& rlimits) {
    std::set<std::string> seen;
    for (size_t index = 0; index < rlimits.size(); ++index)
        if (!seen.insert(rlimits[index].type).second)
            return node.element(index).error("duplicate resource limit \"" + rlimits[index].type +
                                             "\"");
    return ok();
}

// Capability names are checked against libcap's table of the kernel's
// capabilities (capabilities(7)), which is how a typo like "CAP_CHWON" is
// caught. A name libcap knows but the running kernel lacks is accepted: the
// spec asks runtimes to warn, not fail, about capabilities they cannot grant
// (config.md "Linux Process", capabilities).
Result<void> check_capability_names(const Node& node, const std::vector<std::string>& names) {
    for (size_t index = 0; index < names.size(); ++index) {
        const std::string& name = names[index];
        cap_value_t value = 0;
        // cap_from_name also takes "cap_chown" and plain numbers; the spec's
        // form is the upper-case "CAP_" name, so require that.
        bool spelled_right =
            name.starts_with("CAP_") &&
            std::none_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
        if (!spelled_right || cap_from_name(name.c_str(), &value) != 0)
            return node.element(index).error("unknown capability \"" + name + "\"");
    }
    return ok();
}

Result<void> read(const Node& node, Capabilities& out) {
    TRY(expect_object(node));
    struct Set {
        std::string_view key;
        std::vector<std::string>& names;
    };
    const Set sets[] = {{"bounding", out.bounding},
                        {"effective", out.effective},
                        {"inheritable", out.inheritable},
                        {"permitted", out.permitted},
                        {"ambient", out.ambient}};
    for (const auto& set : sets) {
        TRY(read_member(node, set.key, set.names));
        if (auto member = node.member(set.key))
            TRY(check_capability_names(*member, set.names));
    }
    return ok();
}

Result<void> read_args(const Node& process, std::vector<std::string>& args) {
    // config.md: "at least one entry is REQUIRED (non-Windows)"; args[0] is
    // execvp's file.
    auto member = process.member("args");
    if (!member || !member->json().is_array() || member->json().empty())
        return Error::message(process.child_path("args") +
                              ": must be a non-empty array of strings");
    TRY(read(*member, args));
    if (args.front().empty())
        return member->element(0).error("must name the program to run");
    return ok();
}

// Environment entries are "KEY=VALUE" (IEEE 1003.1 environ).
Result<void> check_environment(const Node& node, const std::vector<std::string>& env) {
    for (size_t index = 0; index < env.size(); ++index) {
        size_t equals = env[index].find('=');
        if (equals == std::string::npos || equals == 0)
            return node.element(index).error("must be \"KEY=VALUE\", not \"" + env[index] + "\"");
    }
    return ok();
}

Result<void> read(const Node& node, Process& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "terminal", out.terminal));
    TRY(read_member(node, "consoleSize", out.console_size));
    TRY(read_member(node, "user", out.user));
    TRY(read_args(node, out.args));
    TRY(read_member(node, "env", out.env));
    if (auto env = node.member("env"))
        TRY(check_environment(*env, out.env));
    TRY(read_absolute_path(node, "cwd", out.cwd, /*required=*/true));
    TRY(read_member(node, "capabilities", out.capabilities));
    TRY(read_member(node, "rlimits", out.rlimits));
    if (auto rlimits = node.member("rlimits"))
        TRY(check_unique_rlimits(*rlimits, out.rlimits));
    TRY(read_member(node, "noNewPrivileges", out.no_new_privileges));
    TRY(read_member(node, "oomScoreAdj", out.oom_score_adj));
    // proc(5): /proc/PID/oom_score_adj takes -1000 (never kill) to 1000.
    if (out.oom_score_adj && (*out.oom_score_adj < -1000 || *out.oom_score_adj > 1000))
        return node.member("oomScoreAdj")->error("must be from -1000 to 1000");
    TRY(read_member(node, "apparmorProfile", out.apparmor_profile));
    TRY(read_member(node, "selinuxLabel", out.selinux_label));
    return ok();
}

// --- root, mounts, hooks ---

Result<void> read(const Node& node, Root& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "path", out.path));
    if (out.path.empty())
        return node.member("path")->error("must not be empty (the bundle's \"rootfs\", usually)");
    TRY(read_member(node, "readonly", out.readonly));
    return ok();
}

// config.md "Mounts". The spec version twinbox writes (1.0.2) says the
// destination "MUST be an absolute path"; later versions tolerate relative
// ones as deprecated, twinbox does not.
Result<void> read(const Node& node, Mount& out) {
    TRY(expect_object(node));
    TRY(read_absolute_path(node, "destination", out.destination, /*required=*/true));
    if (has_dot_dot(out.destination))
        return node.member("destination")->error("must not contain \"..\"");
    TRY(read_member(node, "type", out.type));
    TRY(read_member(node, "source", out.source));
    TRY(read_member(node, "options", out.options));
    return ok();
}

// config.md "POSIX-platform Hooks": path MUST be absolute; timeout, if set,
// MUST be greater than zero.
Result<void> read(const Node& node, Hook& out) {
    TRY(expect_object(node));
    TRY(read_absolute_path(node, "path", out.path, /*required=*/true));
    TRY(read_member(node, "args", out.args));
    TRY(read_member(node, "env", out.env));
    if (auto env = node.member("env"))
        TRY(check_environment(*env, out.env));
    TRY(read_member(node, "timeout", out.timeout));
    if (out.timeout && *out.timeout <= 0)
        return node.member("timeout")->error("must be greater than zero (seconds)");
    return ok();
}

Result<void> read(const Node& node, Hooks& out) {
    TRY(expect_object(node));
    TRY(read_member(node, "prestart", out.prestart));
    TRY(read_member(node, "createRuntime", out.create_runtime));
    TRY(read_member(node, "createContainer", out.create_container));
    TRY(read_member(node, "startContainer", out.start_container));
    TRY(read_member(node, "poststart", out.poststart));
    TRY(read_member(node, "poststop", out.poststop));
    return ok();
}

// --- checks across sections ---

bool has_namespace(const Spec& spec, NamespaceType type) {
    return std::any_of(spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
                       [type](const Namespace& entry) { return entry.type == type; });
}

Result<void> check_consistency(const Node& node, const Spec& spec) {
    // Setting a hostname without a UTS namespace would rename the host (runc
    // refuses this too).
    if (!spec.hostname.empty() && !has_namespace(spec, NamespaceType::Uts))
        return node.member("hostname")->error("needs a \"uts\" entry in linux.namespaces");
    if (!spec.domainname.empty() && !has_namespace(spec, NamespaceType::Uts))
        return node.member("domainname")->error("needs a \"uts\" entry in linux.namespaces");
    // ID mappings are written to the new user namespace; without one there is
    // nowhere to write them (config-linux.md "User namespace mappings").
    bool mappings = !spec.linux.uid_mappings.empty() || !spec.linux.gid_mappings.empty();
    if (mappings && !has_namespace(spec, NamespaceType::User))
        return Error::message(
            "linux.uidMappings: ID mappings need a \"user\" entry in linux.namespaces");
    return ok();
}

Result<void> read(const Node& node, Spec& out) {
    TRY(expect_object(node));
    TRY(read_required(node, "ociVersion", out.oci_version));
    TRY(check_oci_version(*node.member("ociVersion"), out.oci_version));
    TRY(read_required(node, "root", out.root));
    TRY(read_member(node, "mounts", out.mounts));
    TRY(read_member(node, "process", out.process));
    TRY(read_member(node, "hostname", out.hostname));
    TRY(read_member(node, "domainname", out.domainname));
    TRY(read_member(node, "hooks", out.hooks));
    TRY(read_member(node, "annotations", out.annotations));
    TRY(read_member(node, "linux", out.linux));
    return check_consistency(node, out);
}

}  // namespace spec_reader

namespace {

// A config.json with a full Docker seccomp profile is ~30 KiB; anything near
// this size is not a configuration.
constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;

}  // namespace

Result<Spec> parse_spec(const std::string& json_text) {
    if (json_text.size() > kMaxConfigBytes)
        return Error::message("config is " + std::to_string(json_text.size()) +
                              " bytes, more than the " + std::to_string(kMaxConfigBytes) +
                              " a runtime configuration can be");
    auto document = json_reader::parse(json_text, kMaxConfigBytes);
    if (!document)
        return std::move(document).error().with_context("config");
    Spec spec;
    TRY(spec_reader::read(spec_reader::Node(*document, ""), spec));
    return spec;
}

}  // namespace twinbox::oci
