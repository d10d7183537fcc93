// MachineControl: the control socket's commands (stats, inspect, pause,
// resume, stop, powerdown; vmm/control/protocol.h) answered from a
// MachineView, the narrow face a Machine shows them (machine_view.h).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>

#include "vmm/control/protocol.h"
#include "vmm/control/registry.h"
#include "vmm/machine/machine_view.h"

namespace twinbox {

class MachineControl : public ControlTarget {
public:
    MachineControl(MachineView& machine, VmRecord record)
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

    MachineView& m_machine;
    VmRecord m_record;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

}  // namespace twinbox
