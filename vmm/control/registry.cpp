#include "vmm/control/registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "common/file.h"
#include "common/json_reader.h"
#include "common/log.h"
#include "common/twinbox_root.h"
#include "vmm/control/proc_stat.h"

namespace twinbox {

namespace {

using nlohmann::json;

// A staging directory (add()) is abandoned after this long even if the PID in
// its name was reused.
constexpr auto kAbandonedAfter = std::chrono::seconds(30);

json to_json(const VmRecord& record) {
    return {{"name", record.name},
            {"pid", record.pid},
            {"pidStartTime", record.pid_start_time},
            {"started", record.started},
            {"startedUnixMs", record.started_unix_ms},
            {"boot", record.boot},
            {"guest", record.guest},
            {"cpus", record.cpus},
            {"memory", record.memory}};
}

Result<VmRecord> read_record(const json_reader::Node& object) {
    TRY(json_reader::expect_object(object));
    VmRecord record;
    TRY(json_reader::read_required(object, "name", record.name));
    TRY(json_reader::read_required(object, "pid", record.pid));
    TRY(json_reader::read_required(object, "pidStartTime", record.pid_start_time));
    TRY(json_reader::read_member(object, "started", record.started));
    TRY(json_reader::read_member(object, "startedUnixMs", record.started_unix_ms));
    TRY(json_reader::read_member(object, "boot", record.boot));
    TRY(json_reader::read_member(object, "guest", record.guest));
    TRY(json_reader::read_member(object, "cpus", record.cpus));
    TRY(json_reader::read_member(object, "memory", record.memory));
    return record;
}

bool older_than(const std::string& path, std::chrono::seconds age) {
    struct stat status {};
    if (::stat(path.c_str(), &status) < 0)
        return false;
    return ::time(nullptr) - status.st_mtime > age.count();
}

}  // namespace

Result<void> validate_vm_name(std::string_view name) {
    bool valid =
        !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name)
        valid = valid &&
                (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!valid)
        return Error::message(fmt::format(
            "invalid VM name '{}': use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 64 characters",
            name));
    return ok();
}

std::string random_vm_name() {
    std::random_device random;
    return fmt::format("{:08x}{:04x}", random(), random() & 0xffff);
}

VmRegistration::~VmRegistration() {
    if (m_directory.empty())
        return;
    std::error_code ignored;
    std::filesystem::remove_all(m_directory, ignored);
}

VmRegistry VmRegistry::open_default() {
    return VmRegistry(twinbox_run_root() + "/vms");
}

VmRegistry::Liveness VmRegistry::check(const std::string& name, VmRecord* record,
                                       Error* damage) const {
    std::string path = directory(name) + "/state.json";
    auto object = json_reader::parse_file(path, 1 << 20);
    // add() renames an entry into place with its state.json, so one without
    // it is no VM: an older twinbox died while it registered.
    if (!object && object.error().kind() != Error::Kind::Damaged)
        return Liveness::stale;
    // state.json is renamed into place whole (add()), so one that does not
    // read is not half-written: it is damaged, and its VM may still run.
    auto parsed = object ? read_record(json_reader::Node(*object, "", "state.json"))
                         : Result<VmRecord>(std::move(object).error());
    if (parsed && parsed->name != name)
        parsed = Error::message(fmt::format("it names VM \"{}\"", parsed->name));
    if (!parsed) {
        if (damage)
            *damage = parsed.error().kind() == Error::Kind::Damaged
                          ? parsed.error()
                          : json_reader::damaged(path, parsed.error());
        return Liveness::damaged;
    }
    if (live_process_start(parsed->pid) != parsed->pid_start_time)
        return Liveness::stale;  // the twinbox that ran it is gone (or its PID was reused)
    if (record)
        *record = *parsed;
    return Liveness::alive;
}

void VmRegistry::remove_abandoned_staging(const std::string& name) const {
    // ".adding-PID-RANDOM": abandoned when that process is gone (or the name is
    // not ours to read); a live registration finishes in microseconds.
    pid_t owner = 0;
    auto digits = std::string_view(name).substr(kStagingPrefix.size());
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), owner);
    if (error == std::errc() && owner > 0 && (::kill(owner, 0) == 0 || errno == EPERM) &&
        !older_than(m_root + "/" + name, kAbandonedAfter))
        return;
    std::error_code ignored;
    std::filesystem::remove_all(m_root + "/" + name, ignored);
}

void VmRegistry::remove_stale(const std::string& name) const {
    std::error_code error;
    std::filesystem::remove_all(directory(name), error);
    if (error)
        log::warn("cannot remove the stale VM entry {}: {}", directory(name), error.message());
    else
        log::info("removed the entry of VM {}: the twinbox that ran it is gone", name);
}

Result<VmRegistration> VmRegistry::add(const VmRecord& record) const {
    TRY(validate_vm_name(record.name));
    std::string dir = directory(record.name);
    if (sizeof(sockaddr_un::sun_path) <= socket_path(record.name).size())
        return Error::message(
                   fmt::format("the control socket path {} is too long for a Unix socket",
                               socket_path(record.name)))
            .with_hint("use a shorter TWINBOX_ROOT or --name");
    std::error_code ignored;
    std::filesystem::create_directories(m_root, ignored);
    // The entry is built in a staging directory and renamed into place whole,
    // so an entry never lacks its state.json: a VMM that dies while it
    // registers (a seccomp violation on a thread already running) leaves at
    // most a staging directory, which scan() removes once its owner is gone.
    std::string staging =
        fmt::format("{}/{}{}-{}", m_root, kStagingPrefix, ::getpid(), random_vm_name());
    if (::mkdir(staging.c_str(), 0700) < 0)
        return Error::from_errno("mkdir", staging)
            .with_hint("is the state directory writable (are you root, or is TWINBOX_ROOT set)?");
    VmRegistration staged(staging);  // removes the staging directory on every early return
    std::string text = to_json(record).dump(2) + "\n";
    TRY(write_whole_file(staging + "/state.json", text.data(), text.size()));
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) == 0) {
            staged.keep();
            return VmRegistration(dir);
        }
        if (errno != EEXIST)
            return Error::from_errno("rename", staging + " to " + dir);
        Error damage = Error::message("");
        auto liveness = check(record.name, nullptr, &damage);
        if (attempt == 0 && liveness == Liveness::stale) {
            remove_stale(record.name);
            continue;
        }
        if (liveness == Liveness::damaged)
            return std::move(damage).with_hint(fmt::format(
                "choose another --name, or remove {} if no VM uses it", directory(record.name)));
        break;
    }
    return Error::message(fmt::format("a VM named {} is already running", record.name))
        .with_hint("choose another --name, or stop it with 'twinbox vm stop " + record.name + "'");
}

std::vector<VmRecord> VmRegistry::list() const {
    return scan().records;
}

VmRegistry::Listing VmRegistry::scan() const {
    Listing listing;
    std::vector<std::string> names;
    if (DIR* dir = ::opendir(m_root.c_str())) {
        while (dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            if (name.starts_with(kStagingPrefix))
                remove_abandoned_staging(name);
            else if (name != "." && name != ".." && validate_vm_name(name))
                names.push_back(name);
        }
        ::closedir(dir);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        VmRecord record;
        Error damage = Error::message("");
        switch (check(name, &record, &damage)) {
            case Liveness::alive:
                listing.records.push_back(record);
                break;
            case Liveness::stale:
                remove_stale(name);
                break;
            case Liveness::damaged:
                listing.damaged.push_back(std::move(damage));
                break;
        }
    }
    return listing;
}

Result<VmRecord> VmRegistry::find(const std::string& name) const {
    auto no_such = [&] {
        return Error::message(fmt::format("no such VM: {}", name)).with_hint("see 'twinbox vm ls'");
    };
    if (!validate_vm_name(name))
        return no_such();
    VmRecord record;
    struct stat status {};
    if (::stat(directory(name).c_str(), &status) < 0)
        return no_such();
    Error damage = Error::message("");
    switch (check(name, &record, &damage)) {
        case Liveness::damaged:
            return std::move(damage).with_hint(
                fmt::format("remove {} if no VM uses it", directory(name)));
        case Liveness::alive:
            return record;
        case Liveness::stale:
            break;
    }
    remove_stale(name);
    return Error::message(
               fmt::format("VM {} is gone: the twinbox that ran it died; removed its entry", name))
        .with_hint("see 'twinbox vm ls'");
}

}  // namespace twinbox
