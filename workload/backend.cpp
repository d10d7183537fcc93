// Picking a backend, and finding a workload in either; see backend.h.
#include "workload/backend.h"

#include "workload/container_backend.h"
#include "workload/vm_backend.h"

namespace twinbox::workload {

std::unique_ptr<Backend> make_backend(Isolation isolation) {
    if (isolation == Isolation::vm)
        return std::make_unique<VmBackend>();
    return std::make_unique<ContainerBackend>();
}

Result<FoundWorkload> find_workload(const std::string& reference) {
    auto containers = make_backend(Isolation::container);
    auto container = containers->find(reference);
    if (container)
        return FoundWorkload{std::move(containers), std::move(*container)};
    auto vms = make_backend(Isolation::vm);
    if (auto vm = vms->find(reference))
        return FoundWorkload{std::move(vms), std::move(*vm)};
    // The container engine's message: "no such container: X" (or an ambiguous prefix).
    return std::move(container).error();
}

Backend::Listing list_workloads(bool all) {
    auto listing = make_backend(Isolation::container)->list(all);
    auto vms = make_backend(Isolation::vm)->list(all);
    for (auto& vm : vms.workloads) listing.workloads.push_back(std::move(vm));
    for (auto& error : vms.damaged) listing.damaged.push_back(std::move(error));
    return listing;
}

}  // namespace twinbox::workload
