// The state of detached VMs; see vm_records.h.
#include "workload/vm_records.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/twinbox_root.h"
#include "vmm/control/proc_stat.h"

namespace twinbox::workload {

namespace fs = std::filesystem;

VmRecordStore VmRecordStore::open_default() {
    return VmRecordStore(twinbox_run_root() + "/vm-workloads");
}

Result<void> VmRecordStore::reserve(const std::string& id) const {
    std::error_code error;
    fs::create_directories(m_root, error);
    if (error)
        return Error::from_errno("mkdir", m_root, error.value())
            .with_hint("is TWINBOX_ROOT writable?");
    if (::mkdir(directory(id).c_str(), 0700) < 0)
        return Error::from_errno("mkdir", directory(id));
    if (::mkdir(scratch(id).c_str(), 0700) < 0)
        return Error::from_errno("mkdir", scratch(id));
    return ok();
}

Result<void> VmRecordStore::save(const VmWorkloadRecord& record) const {
    nlohmann::json json = {{"id", record.id},
                           {"name", record.name},
                           {"image", record.image},
                           {"command", record.command},
                           {"created", record.created},
                           {"created_unix_ms", record.created_unix_ms},
                           {"started", record.started},
                           {"started_unix_ms", record.started_unix_ms},
                           {"supervisor_pid", record.supervisor_pid},
                           {"supervisor_start", record.supervisor_start},
                           {"finished", record.finished},
                           {"auto_remove", record.auto_remove}};
    if (record.exit_code)
        json["exit_code"] = *record.exit_code;
    // Written aside and renamed: a reader never sees half a file.
    std::string path = directory(record.id) + "/state.json";
    std::string partial = path + ".partial";
    {
        std::ofstream file(partial, std::ios::trunc);
        file << json.dump(2) << "\n";
        if (!file.flush())
            return Error::from_errno("write", partial);
    }
    if (::rename(partial.c_str(), path.c_str()) < 0)
        return Error::from_errno("rename", path);
    return ok();
}

Result<VmWorkloadRecord> VmRecordStore::load(const std::string& id) const {
    std::string path = directory(id) + "/state.json";
    std::ifstream file(path);
    if (!file)
        return Error::message(fmt::format("no VM {}", id));
    // nlohmann::json throws on bad input; a damaged file is named, not trusted.
    auto json = nlohmann::json::parse(file, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return Error::message(fmt::format("{} is damaged (not a JSON object)", path))
            .with_hint(fmt::format("remove {}", directory(id)));
    VmWorkloadRecord record;
    record.id = json.value("id", id);
    record.name = json.value("name", id);
    record.image = json.value("image", "");
    record.command = json.value("command", std::vector<std::string>{});
    record.created = json.value("created", "");
    record.created_unix_ms = json.value("created_unix_ms", int64_t{0});
    record.started = json.value("started", record.created);
    record.started_unix_ms = json.value("started_unix_ms", record.created_unix_ms);
    record.supervisor_pid = json.value("supervisor_pid", pid_t{0});
    record.supervisor_start = json.value("supervisor_start", uint64_t{0});
    record.finished = json.value("finished", "");
    record.auto_remove = json.value("auto_remove", false);
    if (json.contains("exit_code") && json["exit_code"].is_number_integer())
        record.exit_code = json["exit_code"].get<int>();
    return record;
}

std::vector<VmWorkloadRecord> VmRecordStore::list() const {
    std::vector<VmWorkloadRecord> records;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(m_root, error))
        if (auto record = load(entry.path().filename().string()))
            records.push_back(std::move(*record));
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.created_unix_ms < b.created_unix_ms; });
    return records;
}

Result<void> VmRecordStore::remove(const std::string& id) const {
    std::error_code error;
    fs::remove_all(directory(id), error);
    if (error)
        return Error::from_errno("rm -r", directory(id), error.value());
    return ok();
}

Result<VmWorkloadRecord> VmRecordStore::find(const std::string& reference) const {
    std::vector<VmWorkloadRecord> matches;
    for (auto& record : list()) {
        if (record.id == reference || record.name == reference)
            return record;
        if (!reference.empty() && record.id.starts_with(reference))
            matches.push_back(record);
    }
    if (matches.size() == 1)
        return matches.front();
    if (matches.size() > 1)
        return Error::message(
            fmt::format("{} matches more than one VM; give more of its id", reference));
    return Error::message(fmt::format("no such container or VM: {}", reference));
}

bool VmRecordStore::supervisor_alive(const VmWorkloadRecord& record) {
    return record.supervisor_pid > 0 &&
           live_process_start(record.supervisor_pid) == record.supervisor_start;
}

}  // namespace twinbox::workload
