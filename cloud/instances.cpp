// The instance verbs (see instances.h): records under the store's lock,
// workloads outside it.
#include "cloud/instances.h"

#include <fmt/core.h>

#include <algorithm>
#include <thread>

#include "cloud/aws_error.h"
#include "cloud/ids.h"
#include "cloud/instance_json.h"
#include "cloud/instance_services.h"
#include "cloud/instance_types.h"
#include "cloud/instance_workload.h"
#include "cloud/key_pairs.h"
#include "common/log.h"

namespace twinbox::cloud {

namespace {

workload::Isolation isolation_of(const InstanceRecord& record) {
    return record.isolation == "container" ? workload::Isolation::container
                                           : workload::Isolation::vm;
}

// A graceful shutdown first (SIGTERM; a VM: the ACPI power button), as EC2's
// stop, then a kill. A container gets docker's 10 s. A VM's guest shuts its
// OS down and syncs its writable disk, which takes longer (far longer under
// emulation): a kill too early can lose what the guest had not yet written
// back, so it gets 120 s, as EC2 too waits for the OS (--force skips that).
std::chrono::seconds stop_timeout(const InstanceRecord& record) {
    return isolation_of(record) == workload::Isolation::vm ? std::chrono::seconds(120)
                                                           : std::chrono::seconds(10);
}

Error not_found(std::string_view id) {
    return aws_error("InvalidInstanceID.NotFound",
                     fmt::format("The instance ID '{}' does not exist", id));
}

Result<void> check_ids(const std::vector<std::string>& ids) {
    for (const auto& id : ids) TRY(check_instance_id(id));
    return ok();
}

// Every id names a record (EC2 refuses the whole call otherwise).
Result<void> check_known(const std::vector<InstanceRecord>& records,
                         const std::vector<std::string>& ids) {
    for (const auto& id : ids)
        if (std::none_of(records.begin(), records.end(),
                         [&](const InstanceRecord& record) { return record.instance_id == id; }))
            return not_found(id);
    return ok();
}

// The lease is taken as the workload starts; a VM's may follow its VMM a
// moment later, so it is looked for a little while.
std::string read_back_ip(const InstanceRecord& record) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        std::string ip = workload_private_ip(record.workload, isolation_of(record), record.network);
        if (!ip.empty())
            return ip;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return "";
}

// Sets fields of the records named in `ids` under the lock.
Result<void> update_each(const StateStore& store, const std::vector<std::string>& ids,
                         const std::function<void(InstanceRecord&)>& change) {
    return update_instances(store, [&](std::vector<InstanceRecord>& records) -> Result<void> {
        for (const auto& id : ids)
            if (InstanceRecord* record = find_instance(records, id))
                change(*record);
        return ok();
    });
}

struct Checked {
    AmiRef ami;
    const InstanceType* type = nullptr;
    unsigned count = 1;
    std::string user_data;  // base64
    workload::Isolation isolation = workload::Isolation::vm;
};

// All of run-instances' checks, before anything is made.
Result<Checked> check_run(const StateStore& store, const RunInstancesInput& input) {
    Checked checked;
    auto isolation = workload::parse_isolation(input.isolation);
    if (!isolation)
        return aws_error(
            "InvalidParameterValue",
            fmt::format("--isolation '{}': expected vm or container", input.isolation));
    checked.isolation = *isolation;
    if (!is_id(input.image_id, "ami"))
        return aws_error("InvalidAMIID.Malformed",
                         fmt::format("Invalid id: \"{}\" (expecting \"ami-...\")", input.image_id));
    checked.ami = TRY(lookup_ami(store, input.image_id));
    auto host = TRY(host_capacity());
    checked.type = TRY(check_capacity(input.instance_type, host));
    // As EC2's MinCount/MaxCount: as many as fit, and at least MinCount.
    uint64_t fit = host.available_memory_mib / std::max<uint64_t>(checked.type->memory_mib, 1);
    if (fit < input.count.min)
        return aws_error(
            "InsufficientInstanceCapacity",
            fmt::format("There is not enough capacity to fulfill your request: {} "
                        "{} instances need {} MiB, this host has {} MiB available.",
                        input.count.min, checked.type->name,
                        input.count.min * checked.type->memory_mib, host.available_memory_mib));
    checked.count = static_cast<unsigned>(std::min<uint64_t>(input.count.max, fit));
    if (!input.key_name.empty())
        TRY(describe_key_pairs(store, {input.key_name}));
    if (input.user_data)
        checked.user_data = TRY(encode_user_data(*input.user_data));
    return checked;
}

// Removes what a failed run-instances made: its workloads and its records.
void undo_run(const StateStore& store, const std::vector<InstanceRecord>& made) {
    for (const auto& record : made)
        if (auto removed =
                remove_workload(record.workload, isolation_of(record), stop_timeout(record));
            !removed)
            log::warn("removing {}: {}", record.workload, removed.error().to_string());
    auto dropped = update_instances(store, [&](std::vector<InstanceRecord>& records) {
        std::erase_if(records, [&](const InstanceRecord& record) {
            return !made.empty() && record.reservation_id == made.front().reservation_id;
        });
        return ok();
    });
    if (!dropped)
        log::warn("dropping the records of the failed launch: {}", dropped.error().to_string());
    stop_metadata_service_if_idle();
}

}  // namespace

Result<std::vector<InstanceRecord>> run_instances(const StateStore& store,
                                                  const RunInstancesInput& input) {
    Checked checked = TRY(check_run(store, input));
    auto now = Clock::now();
    std::vector<InstanceRecord> made;
    std::string reservation = TRY(new_id("r"));
    for (unsigned index = 0; index < checked.count; ++index) {
        InstanceRecord record;
        record.instance_id = TRY(new_id("i"));
        record.reservation_id = reservation;
        record.image_id = checked.ami.image_id;
        record.instance_type = std::string(checked.type->name);
        record.key_name = input.key_name;
        record.isolation = workload::isolation_name(checked.isolation);
        record.workload = record.instance_id;
        record.network = "bridge";
        record.state = InstanceState::pending;
        record.launch_time = ec2_timestamp(now);
        record.user_data = checked.user_data;
        record.http_tokens = input.http_tokens;
        record.launch_index = static_cast<int>(index);
        record.tags = input.tags;
        record.client_token = input.client_token;
        made.push_back(std::move(record));
    }
    // The records first (a client token seen before returns that launch,
    // as EC2's idempotency), so the metadata service knows the instances.
    std::vector<InstanceRecord> earlier;
    TRY(update_instances(store, [&](std::vector<InstanceRecord>& records) -> Result<void> {
        if (!input.client_token.empty())
            for (const auto& record : records)
                if (record.client_token == input.client_token)
                    earlier.push_back(record);
        if (earlier.empty())
            records.insert(records.end(), made.begin(), made.end());
        return ok();
    }));
    if (!earlier.empty())
        return earlier;

    if (auto started = ensure_metadata_service(made.front().network); !started) {
        undo_run(store, made);
        return std::move(started).error();
    }
    std::vector<InstanceRecord> launched;
    for (auto& record : made) {
        LaunchPlan plan{record.workload, checked.ami.image_reference, checked.isolation,
                        checked.type, record.network};
        if (auto started = launch_workload(plan); !started) {
            launched.push_back(record);  // it may have left a stopped workload behind
            undo_run(store, launched);
            return std::move(started).error().with_context(
                fmt::format("launching {}", record.instance_id));
        }
        launched.push_back(record);
        record.private_ip = read_back_ip(record);
        record.state = InstanceState::running;
    }
    TRY(update_instances(store, [&](std::vector<InstanceRecord>& records) -> Result<void> {
        for (const auto& record : made)
            if (InstanceRecord* stored = find_instance(records, record.instance_id)) {
                stored->private_ip = record.private_ip;
                stored->state = record.state;
            }
        return ok();
    }));
    return made;
}

Result<std::vector<InstanceRecord>> describe_instances(const StateStore& store,
                                                       const std::vector<std::string>& ids,
                                                       const std::vector<Filter>& filters) {
    TRY(check_ids(ids));
    std::vector<InstanceRecord> all;
    TRY(update_instances(store, [&](std::vector<InstanceRecord>& records) -> Result<void> {
        auto now = Clock::now();
        drop_expired(records, now);
        for (auto& record : records) {
            if (record.state == InstanceState::terminated)
                continue;
            auto observed = observe_workload(record.workload, isolation_of(record));
            if (!observed)
                continue;
            bool was_stopped = record.state == InstanceState::stopped;
            if (reconcile(record, *observed, now)) {
                if (record.state == InstanceState::stopped)
                    record.private_ip.clear();
                else if (was_stopped && record.state == InstanceState::running)
                    record.private_ip =
                        workload_private_ip(record.workload, isolation_of(record), record.network);
            }
        }
        all = records;
        return ok();
    }));
    TRY(check_known(all, ids));
    std::vector<InstanceRecord> shown;
    for (const auto& record : all) {
        bool named =
            ids.empty() || std::find(ids.begin(), ids.end(), record.instance_id) != ids.end();
        if (named && matches_filters(record, filters))
            shown.push_back(record);
    }
    return shown;
}

namespace {

// Under the lock: every id known, and those in `from` moved to `through`
// (the in-flight state); returns each id's state before.
Result<std::vector<InstanceState>> begin_change(const StateStore& store,
                                                const std::vector<std::string>& ids,
                                                std::vector<InstanceState> from,
                                                InstanceState through, bool terminated_ok) {
    TRY(check_ids(ids));
    std::vector<InstanceState> before;
    TRY(update_instances(store, [&](std::vector<InstanceRecord>& records) -> Result<void> {
        TRY(check_known(records, ids));
        before.clear();
        for (const auto& id : ids) {
            InstanceRecord& record = *find_instance(records, id);
            if (record.state == InstanceState::terminated && !terminated_ok)
                return aws_error("IncorrectInstanceState",
                                 fmt::format("This instance '{}' is not in a state from which it "
                                             "can be changed: it is terminated.",
                                             id));
            bool moves = std::find(from.begin(), from.end(), record.state) != from.end();
            bool settled = moves || record.state == InstanceState::terminated ||
                           record.state == through || record.state == InstanceState::stopped ||
                           record.state == InstanceState::running;
            if (!settled)
                return aws_error("IncorrectInstanceState",
                                 fmt::format("The instance '{}' is {}; try again when it is not.",
                                             id, instance_state_name(record.state)));
        }
        for (const auto& id : ids) {
            InstanceRecord& record = *find_instance(records, id);
            before.push_back(record.state);
            if (std::find(from.begin(), from.end(), record.state) != from.end())
                record.state = through;
        }
        return ok();
    }));
    return before;
}

InstanceRecord record_of(const StateStore& store, const std::string& id) {
    auto records = read_instances(store);
    if (records)
        for (const auto& record : *records)
            if (record.instance_id == id)
                return record;
    return {};
}

}  // namespace

Result<nlohmann::json> stop_instances(const StateStore& store, const std::vector<std::string>& ids,
                                      bool force) {
    auto before =
        TRY(begin_change(store, ids, {InstanceState::running}, InstanceState::stopping, false));
    nlohmann::json changes = nlohmann::json::array();
    for (size_t index = 0; index < ids.size(); ++index) {
        const std::string& id = ids[index];
        InstanceState now_state = before[index];
        if (before[index] == InstanceState::running) {
            InstanceRecord record = record_of(store, id);
            auto stopped = stop_workload(record.workload, isolation_of(record),
                                         force ? std::chrono::seconds(0) : stop_timeout(record));
            if (!stopped) {
                (void)update_each(store, {id},
                                  [](InstanceRecord& r) { r.state = InstanceState::running; });
                return std::move(stopped).error().with_context(fmt::format("stopping {}", id));
            }
            auto when = Clock::now();
            TRY(update_each(store, {id}, [&](InstanceRecord& r) {
                r.state = InstanceState::stopped;
                r.state_reason = user_initiated(when);
                r.private_ip.clear();
            }));
            now_state = InstanceState::stopped;
        }
        changes.push_back(state_change_json(id, before[index], now_state));
    }
    return changes;
}

Result<nlohmann::json> start_instances(const StateStore& store,
                                       const std::vector<std::string>& ids) {
    auto before =
        TRY(begin_change(store, ids, {InstanceState::stopped}, InstanceState::pending, false));
    nlohmann::json changes = nlohmann::json::array();
    for (size_t index = 0; index < ids.size(); ++index) {
        const std::string& id = ids[index];
        InstanceState now_state = before[index];
        if (before[index] == InstanceState::stopped) {
            InstanceRecord record = record_of(store, id);
            TRY(ensure_metadata_service(record.network));
            if (auto started = start_workload(record.workload, isolation_of(record)); !started) {
                (void)update_each(store, {id},
                                  [](InstanceRecord& r) { r.state = InstanceState::stopped; });
                return std::move(started).error().with_context(fmt::format("starting {}", id));
            }
            std::string ip = read_back_ip(record);
            TRY(update_each(store, {id}, [&](InstanceRecord& r) {
                r.state = InstanceState::running;
                r.state_reason.clear();
                r.private_ip = ip;
            }));
            now_state = InstanceState::running;
        }
        changes.push_back(state_change_json(id, before[index], now_state));
    }
    return changes;
}

Result<void> reboot_instances(const StateStore& store, const std::vector<std::string>& ids) {
    auto stopped = TRY(stop_instances(store, ids, false));
    std::vector<std::string> again;
    for (size_t index = 0; index < ids.size(); ++index)
        if (stopped[index]["PreviousState"]["Name"] == "running")
            again.push_back(ids[index]);
    if (!again.empty())
        TRY(start_instances(store, again));
    return ok();
}

Result<nlohmann::json> terminate_instances(const StateStore& store,
                                           const std::vector<std::string>& ids) {
    auto before = TRY(begin_change(store, ids,
                                   {InstanceState::running, InstanceState::stopped,
                                    InstanceState::pending, InstanceState::stopping},
                                   InstanceState::shutting_down, true));
    nlohmann::json changes = nlohmann::json::array();
    for (size_t index = 0; index < ids.size(); ++index) {
        const std::string& id = ids[index];
        if (before[index] != InstanceState::terminated) {
            InstanceRecord record = record_of(store, id);
            if (auto removed =
                    remove_workload(record.workload, isolation_of(record), stop_timeout(record));
                !removed)
                return std::move(removed).error().with_context(fmt::format("terminating {}", id));
            auto when = Clock::now();
            TRY(update_each(store, {id}, [&](InstanceRecord& r) {
                r.state = InstanceState::terminated;
                r.state_reason = user_initiated(when);
                r.terminated_at = ec2_timestamp(when);
                r.private_ip.clear();
            }));
        }
        changes.push_back(state_change_json(id, before[index], InstanceState::terminated));
    }
    stop_metadata_service_if_idle();
    return changes;
}

Result<ConsoleOutput> get_console_output(const StateStore& store, const std::string& id) {
    TRY(check_instance_id(id));
    auto records = TRY(read_instances(store));
    auto record = std::find_if(records.begin(), records.end(),
                               [&](const InstanceRecord& r) { return r.instance_id == id; });
    if (record == records.end())
        return not_found(id);
    ConsoleOutput output{id, ec2_timestamp(Clock::now()), ""};
    if (record->state != InstanceState::terminated)
        output.output =
            TRY(workload_console(record->workload, isolation_of(*record), kConsoleLimit));
    return output;
}

}  // namespace twinbox::cloud
