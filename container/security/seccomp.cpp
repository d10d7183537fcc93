// seccomp profile files, and compiling and loading a profile with libseccomp
// (seccomp_init(3), seccomp_rule_add(3), seccomp_load(3)).
#include "container/security/seccomp.h"

#include <fmt/core.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "common/file.h"
#include "common/json_reader.h"
#include "common/log.h"
#include "common/unique_fd.h"

namespace twinbox::container {

namespace {

using json_reader::Node;

// A Docker profile's rule (moby profiles/seccomp): "names", or the older
// single "name", an action, an optional errno and argument filters.
Result<oci::SeccompSyscall> read_profile_rule(const Node& entry) {
    oci::SeccompSyscall rule;
    TRY(json_reader::expect_object(entry));
    TRY(json_reader::read_member(entry, "names", rule.names));
    std::string name;
    TRY(json_reader::read_member(entry, "name", name));
    if (!name.empty())
        rule.names.push_back(name);
    TRY(json_reader::read_required(entry, "action", rule.action));
    TRY(json_reader::read_member(entry, "errnoRet", rule.errno_ret));
    if (auto args = entry.member("args")) {
        TRY(json_reader::expect_array(*args));
        for (size_t index = 0; index < args->json().size(); ++index) {
            Node arg = args->element(index);
            oci::SeccompArg filter;
            TRY(json_reader::expect_object(arg));
            TRY(json_reader::read_required(arg, "index", filter.index));
            TRY(json_reader::read_required(arg, "value", filter.value));
            TRY(json_reader::read_member(arg, "valueTwo", filter.value_two));
            TRY(json_reader::read_required(arg, "op", filter.op));
            rule.args.push_back(std::move(filter));
        }
    }
    return rule;
}

Result<oci::Seccomp> read_profile(const Node& root) {
    oci::Seccomp profile;
    TRY(json_reader::expect_object(root));
    TRY(json_reader::read_required(root, "defaultAction", profile.default_action));
    TRY(json_reader::read_member(root, "defaultErrnoRet", profile.default_errno_ret));
    TRY(json_reader::read_member(root, "architectures", profile.architectures));
    if (auto syscalls = root.member("syscalls")) {
        TRY(json_reader::expect_array(*syscalls));
        for (size_t index = 0; index < syscalls->json().size(); ++index)
            profile.syscalls.push_back(TRY(read_profile_rule(syscalls->element(index))));
    }
    return profile;
}

}  // namespace

Result<oci::Seccomp> load_seccomp_profile(const std::string& path) {
    auto bytes = TRY(read_whole_file(path, "seccomp profile", 4 << 20));
    std::string where = fmt::format("seccomp profile {}", path);
    auto document =
        TRY(json_reader::parse(
                std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()))
                .with_context(where));
    return read_profile(Node(document, "", "top level")).with_context(where);
}

namespace {

Result<uint32_t> parse_action(const std::string& name, std::optional<unsigned> errno_ret) {
    if (name == "SCMP_ACT_ALLOW")
        return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_ERRNO")
        return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
        return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS")
        return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP")
        return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_LOG")
        return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_TRACE")
        return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    return Error::message(fmt::format("unknown seccomp action {}", name));
}

Result<scmp_compare> parse_operator(const std::string& name) {
    static const std::pair<const char*, scmp_compare> kOperators[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (const auto& [text, value] : kOperators)
        if (name == text)
            return value;
    return Error::message(fmt::format("unknown seccomp operator {}", name));
}

Result<uint32_t> parse_architecture(const std::string& name) {
    std::string lower = name.starts_with("SCMP_ARCH_") ? name.substr(10) : name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint32_t token = seccomp_arch_resolve_name(lower.c_str());
    if (token == 0)
        return Error::message(fmt::format("unknown seccomp architecture {}", name));
    return token;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const oci::Seccomp& profile) {
    uint32_t default_action = TRY(parse_action(profile.default_action, profile.default_errno_ret));
    std::unique_ptr<void, void (*)(scmp_filter_ctx)> filter(seccomp_init(default_action),
                                                            seccomp_release);
    if (!filter)
        return Error::message("seccomp_init failed");
    // libseccomp sets no_new_privs by itself unless told not to; twinbox
    // decides that separately (process.noNewPrivileges).
    seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_NNP, 0);
    for (const auto& name : profile.architectures) {
        uint32_t arch = TRY(parse_architecture(name));
        int added = seccomp_arch_add(filter.get(), arch);
        if (added < 0 && added != -EEXIST)
            return Error::from_errno("seccomp_arch_add", name, -added);
    }
    for (const auto& rule : profile.syscalls) {
        uint32_t action = TRY(parse_action(rule.action, rule.errno_ret));
        if (action == default_action)
            continue;  // libseccomp refuses rules that repeat the default
        std::vector<scmp_arg_cmp> comparisons;
        for (const auto& arg : rule.args) {
            scmp_compare op = TRY(parse_operator(arg.op));
            comparisons.push_back({arg.index, op, arg.value, arg.value_two});
        }
        for (const auto& name : rule.names) {
            int number = seccomp_syscall_resolve_name(name.c_str());
            if (number == __NR_SCMP_ERROR) {
                log::debug("seccomp: no system call {} on this architecture; skipped", name);
                continue;
            }
            int added = seccomp_rule_add_array(filter.get(), action, number,
                                               static_cast<unsigned>(comparisons.size()),
                                               comparisons.data());
            if (added < 0)
                return Error::from_errno("seccomp_rule_add", name, -added);
        }
    }
    // libseccomp writes the program to a file descriptor; a memfd keeps it in memory.
    UniqueFd memory(::memfd_create("seccomp", MFD_CLOEXEC));
    if (!memory)
        return Error::from_errno("memfd_create", "seccomp program");
    int exported = seccomp_export_bpf(filter.get(), memory.get());
    if (exported < 0)
        return Error::from_errno("seccomp_export_bpf", "seccomp program", -exported);
    off_t size = ::lseek(memory.get(), 0, SEEK_END);
    if (size <= 0 || size % sizeof(sock_filter) != 0)
        return Error::message("seccomp_export_bpf wrote no program");
    SeccompProgram program;
    program.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(memory.get(), program.instructions.data(), static_cast<size_t>(size), 0) != size)
        return Error::from_errno("pread", "seccomp program");
    return program;
}

Result<void> load_seccomp(Syscalls& sys, const SeccompProgram& program) {
    return sys.load_seccomp_filter(program.instructions);
}

}  // namespace twinbox::container
