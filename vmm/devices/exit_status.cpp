// twinbox's exit-status port; see exit_status.h.
#include "vmm/devices/exit_status.h"

#include <algorithm>

#include "common/log.h"

namespace twinbox {

void ExitStatusPort::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
    if (offset == 0 && data.size() == 1)
        data[0] = kSignature;
}

void ExitStatusPort::write(uint64_t offset, std::span<const uint8_t> data) {
    if (offset != 0 || data.size() != 1) {
        log::debug("exit-status port: ignored a {}-byte write at offset {}", data.size(), offset);
        return;
    }
    log::debug("exit-status port: the guest's workload exited with status {}", data[0]);
    int expected = -1;
    if (!m_reported.compare_exchange_strong(expected, data[0]))
        return;  // the first report wins; the VM is already stopping
    if (m_power)
        m_power->power_off(data[0]);
}

}  // namespace twinbox
