// A 16550A UART, the PC's COM port: the guest console.
//
// Spec: National Semiconductor (now TI) PC16550D "Universal Asynchronous
// Receiver/Transmitter with FIFOs" datasheet, section 8 "Registers":
// Table II (Summary of Registers), 8.1 Line Control, 8.4 Line Status,
// 8.5 FIFO Control, 8.6 Interrupt Identification with Table IV (Interrupt
// Control Functions), 8.7 Interrupt Enable, 8.8 Modem Control, 8.9 Modem
// Status, 8.10 Scratchpad. Model: kvmtool hw/serial.c.
//
// What is emulated and what is simplified:
// - Transmit is instant: a byte written to THR goes straight to the ByteSink,
//   so THRE and TEMT in LSR are always set and there is no transmit FIFO.
// - Receive has a FIFO of kInputCapacity bytes (64, like Firecracker and
//   kvmtool, more than the chip's 16 so a pasted line arrives in fewer
//   rounds). With FIFOs disabled (FCR bit 0 clear, the 16450-compatible mode)
//   it holds one byte, like the chip's single receive buffer register. The
//   host never overruns it: enqueue_input() accepts what fits and the console
//   thread retries the rest when the input-space callback fires.
// - Received data raises "received data available" (IIR 0x04) as soon as one
//   byte is waiting, whatever the FCR trigger level; the character-timeout
//   interrupt (0x0C) is never needed then. Linux handles both the same way.
// - Loopback (MCR bit 4) routes transmitted bytes back into the receive FIFO
//   and the MCR outputs back into the MSR inputs, as section 8.8 describes;
//   Linux's 8250 driver probes the port with it.
// - Outside loopback the modem inputs read as carrier, DSR and CTS present
//   (a null-modem cable to a ready terminal), so getty-like code proceeds.
// - OUT2 does not gate the interrupt output (on real PCs it does): Linux sets
//   OUT2 anyway, and bare-metal guests that forget it still get interrupts.
// - The interrupt line's level follows "an interrupt is pending" (IIR bit 0
//   clear). It is updated after every register access and every input, and
//   InterruptLine::set_level() is only called when the level changes, because
//   each call costs an ioctl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>

#include "vmm/devices/bus.h"

namespace twinbox {

// The eight registers, by offset from the base port (Table II). Offsets 0 and
// 1 reach the divisor latch instead while LCR bit 7 (DLAB) is set; offset 2
// reads IIR and writes FCR.
enum class SerialRegister : uint8_t {
    receive_buffer = 0,            // RBR, read, DLAB=0: the oldest received byte
    transmit_holding = 0,          // THR, write, DLAB=0: the byte to send
    divisor_latch_low = 0,         // DLL, DLAB=1: baud divisor, low byte
    interrupt_enable = 1,          // IER, DLAB=0: which conditions interrupt (section 8.7)
    divisor_latch_high = 1,        // DLM, DLAB=1: baud divisor, high byte
    interrupt_identification = 2,  // IIR, read: highest-priority pending interrupt (8.6)
    fifo_control = 2,              // FCR, write: FIFO enable and reset (8.5)
    line_control = 3,              // LCR: word format and DLAB (8.1)
    modem_control = 4,             // MCR: DTR, RTS, OUT1, OUT2, loopback (8.8)
    line_status = 5,               // LSR: data ready, overrun, transmitter empty (8.4)
    modem_status = 6,              // MSR: CTS, DSR, RI, DCD and their changes (8.9)
    scratch = 7,                   // SCR: a spare byte for software (8.10)
};

class Serial : public BusDevice {
public:
    // COM1 on a PC: I/O ports 0x3f8-0x3ff, ISA IRQ 4 (layout::kSerialIrq).
    static constexpr uint16_t kCom1Port = 0x3f8;
    static constexpr uint64_t kPortCount = 8;
    // Bytes the receive FIFO holds while FIFOs are enabled (see the file comment).
    static constexpr size_t kInputCapacity = 64;

    Serial(std::shared_ptr<InterruptLine> interrupt, std::shared_ptr<ByteSink> output);

    std::string_view name() const override { return "serial"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Host side, called by the console thread. Queues as many of `bytes` as
    // the receive FIFO has room for and returns that count; the caller keeps
    // the rest and retries once the input-space callback has fired.
    size_t enqueue_input(std::span<const uint8_t> bytes);
    // How many bytes enqueue_input() would accept now (0 in loopback mode,
    // where the chip's serial input is disconnected).
    size_t input_space() const;
    bool wants_input() const { return input_space() > 0; }
    // Called (from a vCPU thread, without the device lock held) when room
    // appears in the receive FIFO after enqueue_input() turned bytes away.
    // Keep it short: typically it writes to an eventfd the console thread polls.
    void set_input_space_callback(std::function<void()> callback);

private:
    uint8_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint8_t value);
    void transmit(uint8_t byte);
    void write_interrupt_enable(uint8_t value);
    void write_fifo_control(uint8_t value);
    void write_modem_control(uint8_t value);
    uint8_t line_status() const;
    uint8_t modem_inputs() const;
    uint8_t interrupt_identification() const;
    bool divisor_latch_selected() const;
    bool loopback() const;
    size_t receive_capacity() const;
    size_t input_space_locked() const;
    // Sets the interrupt line to match the pending state and returns the
    // input-space callback when it is due, so the caller runs it unlocked.
    std::function<void()> finish_access();

    mutable std::mutex m_mutex;
    std::shared_ptr<InterruptLine> m_interrupt;
    std::shared_ptr<ByteSink> m_output;
    std::function<void()> m_input_space_callback;

    std::deque<uint8_t> m_receive_fifo;
    uint8_t m_interrupt_enable = 0;
    uint8_t m_fifo_control = 0;
    uint8_t m_line_control = 0;
    uint8_t m_modem_control = 0;
    uint8_t m_line_errors = 0;    // LSR error bits latched until LSR is read (overrun only)
    uint8_t m_modem_changes = 0;  // MSR delta bits latched until MSR is read
    uint8_t m_scratch = 0;
    // Power-on divisor 12: 1.8432 MHz / (16 * 12) = 9600 baud (Table III).
    uint8_t m_divisor_low = 12;
    uint8_t m_divisor_high = 0;
    bool m_transmitter_empty_pending = false;  // the THRE interrupt condition (Table IV)
    bool m_interrupt_level = false;            // what the line was last set to
    bool m_input_refused = false;              // enqueue_input() turned bytes away
};

}  // namespace twinbox
