// The i8042 keyboard controller; see i8042.h for what is modelled.
#include "vmm/devices/i8042.h"

#include <utility>

#include "common/log.h"

namespace twinbox {

namespace {

// Status register bits ("Status Register").
constexpr uint8_t kStatusOutputFull = 0x01;    // a byte waits in the output buffer
constexpr uint8_t kStatusSystemFlag = 0x04;    // copy of command byte bit 2
constexpr uint8_t kStatusCommandLast = 0x08;   // the last write went to port 0x64
constexpr uint8_t kStatusNotInhibited = 0x10;  // the keyboard is not locked out
// Input-buffer-full (bit 1) is always clear: commands are taken at once, so
// guests polling for it before a write (Linux's kb_wait()) never wait.

// Controller commands ("Commands (I/O Address Hex 64)").
constexpr uint8_t kReadCommandByte = 0x20;
constexpr uint8_t kWriteCommandByte = 0x60;
constexpr uint8_t kDisableAux = 0xa7;
constexpr uint8_t kEnableAux = 0xa8;
constexpr uint8_t kSelfTest = 0xaa;
constexpr uint8_t kKeyboardInterfaceTest = 0xab;
constexpr uint8_t kDisableKeyboard = 0xad;
constexpr uint8_t kEnableKeyboard = 0xae;
constexpr uint8_t kReadOutputPort = 0xd0;
constexpr uint8_t kWriteOutputPort = 0xd1;
constexpr uint8_t kWriteKeyboardBuffer = 0xd2;
constexpr uint8_t kWriteAuxBuffer = 0xd3;
constexpr uint8_t kWriteAux = 0xd4;
// 0xf0-0xff pulse the output-port bits whose mask bit is 0; bit 0 is the CPU
// reset line, so 0xfe is "pulse reset", the classic keyboard-controller reboot.
constexpr uint8_t kPulseOutputPortFirst = 0xf0;

constexpr uint8_t kSelfTestPassed = 0x55;
constexpr uint8_t kInterfaceTestPassed = 0x00;

// Command byte bits (Linux drivers/input/serio/i8042.h I8042_CTR_*).
constexpr uint8_t kCommandByteSystemFlag = 0x04;
constexpr uint8_t kCommandByteKeyboardDisabled = 0x10;
constexpr uint8_t kCommandByteAuxDisabled = 0x20;

// Output port bit 0: low holds the CPU in reset ("Output Port").
constexpr uint8_t kOutputPortNotReset = 0x01;

}  // namespace

I8042::I8042(std::shared_ptr<PowerControl> power) : m_power(std::move(power)) {}

void I8042::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(m_mutex);
    uint8_t value = 0xff;  // unused offsets 1-3: nothing drives the bus
    if (offset == static_cast<uint64_t>(I8042Register::data))
        value = read_data();
    else if (offset == static_cast<uint64_t>(I8042Register::status_command))
        value = read_status();
    // The controller has 8-bit ports; wider reads see the byte then open bus.
    for (size_t index = 0; index < data.size(); ++index) data[index] = index == 0 ? value : 0xff;
}

void I8042::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty())
        return;
    bool reset = false;
    {
        std::lock_guard lock(m_mutex);
        uint8_t output_port_before = m_output_port;
        if (offset == static_cast<uint64_t>(I8042Register::data))
            write_data(data[0]);
        else if (offset == static_cast<uint64_t>(I8042Register::status_command))
            write_command(data[0]);
        // A pulse command or output-port write that drove the reset line low.
        reset =
            (output_port_before & kOutputPortNotReset) && !(m_output_port & kOutputPortNotReset);
        m_output_port |= kOutputPortNotReset;  // the pulse ends; the line floats high again
    }
    // Outside the lock: the power controller may stop vCPUs that are waiting on it.
    if (reset) {
        log::debug("i8042: guest pulsed the reset line");
        if (m_power)
            m_power->reset();
    }
}

uint8_t I8042::read_status() const {
    uint8_t status = kStatusNotInhibited;
    if (m_output_buffer)
        status |= kStatusOutputFull;
    if (m_command_byte & kCommandByteSystemFlag)
        status |= kStatusSystemFlag;
    if (m_last_write_was_command)
        status |= kStatusCommandLast;
    return status;
}

uint8_t I8042::read_data() {
    // With nothing buffered the port reads 0 (there is no keyboard to send scancodes).
    uint8_t value = m_output_buffer.value_or(0);
    m_output_buffer.reset();
    return value;
}

void I8042::write_command(uint8_t command) {
    m_last_write_was_command = true;
    m_data_command = 0;  // a new command abandons one still waiting for its data byte
    switch (command) {
        case kReadCommandByte:
            m_output_buffer = m_command_byte;
            return;
        case kReadOutputPort:
            m_output_buffer = m_output_port;
            return;
        case kSelfTest:
            m_command_byte |= kCommandByteSystemFlag;
            m_output_buffer = kSelfTestPassed;
            return;
        case kKeyboardInterfaceTest:
            m_output_buffer = kInterfaceTestPassed;
            return;
        case kDisableKeyboard:
            m_command_byte |= kCommandByteKeyboardDisabled;
            return;
        case kEnableKeyboard:
            m_command_byte &= ~kCommandByteKeyboardDisabled;
            return;
        case kDisableAux:
            m_command_byte |= kCommandByteAuxDisabled;
            return;
        case kEnableAux:
            m_command_byte &= ~kCommandByteAuxDisabled;
            return;
        case kWriteCommandByte:
        case kWriteOutputPort:
        case kWriteKeyboardBuffer:
        case kWriteAuxBuffer:
        case kWriteAux:
            m_data_command = command;
            return;
        default:
            break;
    }
    if (command >= kPulseOutputPortFirst) {
        // Bits 0-3 of the command are a mask: a 0 pulses that output-port line low.
        m_output_port &= static_cast<uint8_t>(command | 0xf0);
        return;
    }
    // Anything else (aux loop and test commands, 0xc0 read input port...) is
    // accepted and ignored; drivers that wait for an answer time out.
}

void I8042::write_data(uint8_t value) {
    m_last_write_was_command = false;
    uint8_t command = m_data_command;
    m_data_command = 0;
    switch (command) {
        case kWriteCommandByte:
            m_command_byte = value;
            return;
        case kWriteOutputPort:
            write_output_port(value);
            return;
        default:
            // Bytes for the (absent) keyboard or mouse, or for the echo
            // commands 0xd2-0xd4: swallowed, nothing answers.
            return;
    }
}

void I8042::write_output_port(uint8_t value) {
    // Bit 0 written as 0 asserts CPU reset; write() notices the falling edge.
    m_output_port = value;
}

}  // namespace twinbox
