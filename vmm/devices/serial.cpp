// The 16550A UART; see serial.h for what is modelled and the datasheet sections.
#include "vmm/devices/serial.h"

#include <algorithm>
#include <utility>

namespace twinbox {

namespace {

// Interrupt Enable Register bits (section 8.7). Bits 4-7 always read 0.
constexpr uint8_t kEnableReceivedData = 0x01;      // ERBFI
constexpr uint8_t kEnableTransmitterEmpty = 0x02;  // ETBEI
constexpr uint8_t kEnableLineStatus = 0x04;        // ELSI
constexpr uint8_t kEnableModemStatus = 0x08;       // EDSSI
constexpr uint8_t kInterruptEnableMask = 0x0f;

// Interrupt Identification Register values (Table IV), highest priority first.
constexpr uint8_t kIdentifyLineStatus = 0x06;
constexpr uint8_t kIdentifyReceivedData = 0x04;
constexpr uint8_t kIdentifyTransmitterEmpty = 0x02;
constexpr uint8_t kIdentifyModemStatus = 0x00;
constexpr uint8_t kIdentifyNone = 0x01;  // bit 0 set: no interrupt pending
// IIR bits 6-7 are both set while FCR bit 0 enables the FIFOs (section 8.6);
// this is how Linux tells a 16550A from an 8250/16450.
constexpr uint8_t kIdentifyFifosEnabled = 0xc0;

// FIFO Control Register bits (section 8.5).
constexpr uint8_t kFifoEnable = 0x01;
constexpr uint8_t kFifoClearReceive = 0x02;
constexpr uint8_t kFifoKeptBits = 0xc9;  // enable, DMA mode select, receive trigger level

// Line Control Register bit 7: Divisor Latch Access Bit (section 8.1).
constexpr uint8_t kDivisorLatchAccess = 0x80;

// Modem Control Register bits (section 8.8). Bits 5-7 are always 0.
constexpr uint8_t kDataTerminalReady = 0x01;
constexpr uint8_t kRequestToSend = 0x02;
constexpr uint8_t kOut1 = 0x04;
constexpr uint8_t kOut2 = 0x08;
constexpr uint8_t kLoopback = 0x10;
constexpr uint8_t kModemControlMask = 0x1f;

// Line Status Register bits (section 8.4).
constexpr uint8_t kDataReady = 0x01;
constexpr uint8_t kOverrunError = 0x02;
constexpr uint8_t kTransmitterHoldingEmpty = 0x20;
constexpr uint8_t kTransmitterEmpty = 0x40;

// Modem Status Register bits (section 8.9): changes in the low nibble, the
// input lines themselves in the high nibble.
constexpr uint8_t kDeltaClearToSend = 0x01;
constexpr uint8_t kDeltaDataSetReady = 0x02;
constexpr uint8_t kTrailingEdgeRingIndicator = 0x04;
constexpr uint8_t kDeltaDataCarrierDetect = 0x08;
constexpr uint8_t kClearToSend = 0x10;
constexpr uint8_t kDataSetReady = 0x20;
constexpr uint8_t kRingIndicator = 0x40;
constexpr uint8_t kDataCarrierDetect = 0x80;

}  // namespace

Serial::Serial(std::shared_ptr<InterruptLine> interrupt, std::shared_ptr<ByteSink> output)
    : m_interrupt(std::move(interrupt)), m_output(std::move(output)) {}

void Serial::read(uint64_t offset, std::span<uint8_t> data) {
    std::function<void()> callback;
    {
        std::lock_guard lock(m_mutex);
        // A wider access (inw/inl) reaches consecutive registers, as on the ISA bus.
        for (size_t index = 0; index < data.size(); ++index)
            data[index] = read_register(offset + index);
        callback = finish_access();
    }
    if (callback)
        callback();
}

void Serial::write(uint64_t offset, std::span<const uint8_t> data) {
    std::function<void()> callback;
    {
        std::lock_guard lock(m_mutex);
        for (size_t index = 0; index < data.size(); ++index)
            write_register(offset + index, data[index]);
        callback = finish_access();
    }
    if (callback)
        callback();
}

size_t Serial::enqueue_input(std::span<const uint8_t> bytes) {
    std::lock_guard lock(m_mutex);
    size_t accepted = std::min(bytes.size(), input_space_locked());
    m_receive_fifo.insert(m_receive_fifo.end(), bytes.begin(), bytes.begin() + accepted);
    if (accepted < bytes.size())
        m_input_refused = true;
    // The callback cannot be due here: no room appeared, so drop the result.
    finish_access();
    return accepted;
}

size_t Serial::input_space() const {
    std::lock_guard lock(m_mutex);
    return input_space_locked();
}

void Serial::set_input_space_callback(std::function<void()> callback) {
    std::lock_guard lock(m_mutex);
    m_input_space_callback = std::move(callback);
}

uint8_t Serial::read_register(uint64_t offset) {
    switch (static_cast<SerialRegister>(offset)) {
        case SerialRegister::receive_buffer: {
            if (divisor_latch_selected())
                return m_divisor_low;
            // An empty FIFO reads as 0 (the chip would repeat its last byte).
            if (m_receive_fifo.empty())
                return 0;
            uint8_t byte = m_receive_fifo.front();
            m_receive_fifo.pop_front();
            return byte;
        }
        case SerialRegister::interrupt_enable:
            return divisor_latch_selected() ? m_divisor_high : m_interrupt_enable;
        case SerialRegister::interrupt_identification: {
            uint8_t identification = interrupt_identification();
            // Reading IIR while it reports THRE clears that interrupt (Table IV, "Reset Control").
            if (identification == kIdentifyTransmitterEmpty)
                m_transmitter_empty_pending = false;
            if (m_fifo_control & kFifoEnable)
                identification |= kIdentifyFifosEnabled;
            return identification;
        }
        case SerialRegister::line_control:
            return m_line_control;
        case SerialRegister::modem_control:
            return m_modem_control;
        case SerialRegister::line_status: {
            uint8_t status = line_status();
            m_line_errors = 0;  // reading LSR clears the error bits (section 8.4)
            return status;
        }
        case SerialRegister::modem_status: {
            uint8_t status = modem_inputs() | m_modem_changes;
            m_modem_changes = 0;  // reading MSR clears the delta bits (section 8.9)
            return status;
        }
        case SerialRegister::scratch:
            return m_scratch;
    }
    return 0xff;  // beyond the eight registers: nothing drives the bus
}

void Serial::write_register(uint64_t offset, uint8_t value) {
    switch (static_cast<SerialRegister>(offset)) {
        case SerialRegister::transmit_holding:
            if (divisor_latch_selected())
                m_divisor_low = value;  // a divisor write never transmits
            else
                transmit(value);
            return;
        case SerialRegister::interrupt_enable:
            if (divisor_latch_selected())
                m_divisor_high = value;
            else
                write_interrupt_enable(value);
            return;
        case SerialRegister::fifo_control:
            write_fifo_control(value);
            return;
        case SerialRegister::line_control:
            m_line_control = value;
            return;
        case SerialRegister::modem_control:
            write_modem_control(value);
            return;
        case SerialRegister::line_status:
        case SerialRegister::modem_status:
            return;  // writable only for factory testing (sections 8.4, 8.9): ignored
        case SerialRegister::scratch:
            m_scratch = value;
            return;
    }
}

void Serial::transmit(uint8_t byte) {
    if (loopback()) {
        // The transmitter output feeds the receiver (section 8.8). A byte that
        // finds the FIFO full is lost and flags an overrun, as on the chip.
        if (m_receive_fifo.size() < receive_capacity())
            m_receive_fifo.push_back(byte);
        else
            m_line_errors |= kOverrunError;
    } else if (m_output) {
        m_output->write(std::span<const uint8_t>(&byte, 1));
    }
    // The byte left at once, so THR is empty again: writing THR cleared the
    // THRE interrupt and the instant transmission raises it anew.
    m_transmitter_empty_pending = true;
}

void Serial::write_interrupt_enable(uint8_t value) {
    uint8_t previous = m_interrupt_enable;
    m_interrupt_enable = value & kInterruptEnableMask;
    // Enabling ETBEI while THR is empty (always, here) raises THRE. Linux's
    // 8250 driver relies on this at start-up (its UART_BUG_THRE/TXEN tests)
    // and to start transmitting; only the rising edge counts, as in QEMU.
    bool rising = !(previous & kEnableTransmitterEmpty) && (value & kEnableTransmitterEmpty);
    if (rising)
        m_transmitter_empty_pending = true;
}

void Serial::write_fifo_control(uint8_t value) {
    // Changing FCR bit 0 clears both FIFOs (section 8.5); so does bit 1.
    bool enable_changed = (value ^ m_fifo_control) & kFifoEnable;
    if (enable_changed || (value & kFifoClearReceive))
        m_receive_fifo.clear();
    // Bits 1 and 2 clear themselves; the transmit FIFO is always empty here.
    m_fifo_control = value & kFifoKeptBits;
}

void Serial::write_modem_control(uint8_t value) {
    uint8_t before = modem_inputs();
    m_modem_control = value & kModemControlMask;
    uint8_t after = modem_inputs();
    // Latch changes of the inputs into the MSR delta bits (section 8.9). They
    // only change when loopback mode starts, stops, or drives them.
    uint8_t changed = before ^ after;
    if (changed & kClearToSend)
        m_modem_changes |= kDeltaClearToSend;
    if (changed & kDataSetReady)
        m_modem_changes |= kDeltaDataSetReady;
    if (changed & kDataCarrierDetect)
        m_modem_changes |= kDeltaDataCarrierDetect;
    if ((before & kRingIndicator) && !(after & kRingIndicator))
        m_modem_changes |= kTrailingEdgeRingIndicator;
}

uint8_t Serial::line_status() const {
    uint8_t status = m_line_errors | kTransmitterHoldingEmpty | kTransmitterEmpty;
    if (!m_receive_fifo.empty())
        status |= kDataReady;
    return status;
}

uint8_t Serial::modem_inputs() const {
    if (!loopback())
        return kDataCarrierDetect | kDataSetReady | kClearToSend;
    // In loopback the four outputs drive the four inputs (section 8.8):
    // RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    uint8_t inputs = 0;
    if (m_modem_control & kRequestToSend)
        inputs |= kClearToSend;
    if (m_modem_control & kDataTerminalReady)
        inputs |= kDataSetReady;
    if (m_modem_control & kOut1)
        inputs |= kRingIndicator;
    if (m_modem_control & kOut2)
        inputs |= kDataCarrierDetect;
    return inputs;
}

uint8_t Serial::interrupt_identification() const {
    // Table IV: the highest-priority enabled condition wins.
    if ((m_interrupt_enable & kEnableLineStatus) && m_line_errors)
        return kIdentifyLineStatus;
    if ((m_interrupt_enable & kEnableReceivedData) && !m_receive_fifo.empty())
        return kIdentifyReceivedData;
    if ((m_interrupt_enable & kEnableTransmitterEmpty) && m_transmitter_empty_pending)
        return kIdentifyTransmitterEmpty;
    if ((m_interrupt_enable & kEnableModemStatus) && m_modem_changes)
        return kIdentifyModemStatus;
    return kIdentifyNone;
}

bool Serial::divisor_latch_selected() const {
    return m_line_control & kDivisorLatchAccess;
}

bool Serial::loopback() const {
    return m_modem_control & kLoopback;
}

size_t Serial::receive_capacity() const {
    // Without FIFOs the chip has a single receive buffer register.
    return (m_fifo_control & kFifoEnable) ? kInputCapacity : 1;
}

size_t Serial::input_space_locked() const {
    if (loopback())
        return 0;
    size_t used = m_receive_fifo.size();
    return used < receive_capacity() ? receive_capacity() - used : 0;
}

std::function<void()> Serial::finish_access() {
    bool pending = interrupt_identification() != kIdentifyNone;
    if (pending != m_interrupt_level && m_interrupt) {
        m_interrupt->set_level(pending);
        m_interrupt_level = pending;
    }
    if (m_input_refused && input_space_locked() > 0) {
        m_input_refused = false;
        return m_input_space_callback;
    }
    return {};
}

}  // namespace twinbox
