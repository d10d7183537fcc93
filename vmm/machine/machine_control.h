// MachineControl: what the control socket can see and do in a Machine
// (stats, inspect, pause, resume, stop, powerdown; vmm/control/protocol.h). It is a
// friend of Machine so that Machine's own files stay about running the VM.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>

#include "vmm/control/protocol.h"
#include "vmm/control/registry.h"

namespace twinbox {

class Machine;

class MachineControl : public ControlTarget {
public:
    MachineControl(Machine& machine, VmRecord record)
        : m_machine(machine), m_record(std::move(record)) {}

    Result<nlohmann::json> stats() override;
    Result<nlohmann::json> inspect() override;
    Result<nlohmann::json> pause() override;
    Result<nlohmann::json> resume() override;
    Result<nlohmann::json> stop() override;
    Result<nlohmann::json> powerdown() override;

private:
    nlohmann::json exits() const;
    nlohmann::json vcpus() const;
    std::string state() const;

    Machine& m_machine;
    VmRecord m_record;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

}  // namespace twinbox
