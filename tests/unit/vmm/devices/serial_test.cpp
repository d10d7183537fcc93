#include "vmm/devices/serial.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/vmm/devices/fakes.h"

namespace twinbox {
namespace {

using test::read_byte;
using test::write_byte;

// Register offsets (PC16550D Table II) and bits used below, spelled out so the
// tests check the device against the datasheet rather than against itself.
constexpr uint64_t kData = 0, kInterruptEnable = 1, kInterruptId = 2, kFifoControl = 2,
                   kLineControl = 3, kModemControl = 4, kLineStatus = 5, kModemStatus = 6,
                   kScratch = 7;

class SerialTest : public ::testing::Test {
protected:
    std::shared_ptr<test::FakeInterruptLine> interrupt =
        std::make_shared<test::FakeInterruptLine>();
    std::shared_ptr<test::RecordingSink> sink = std::make_shared<test::RecordingSink>();
    Serial serial{interrupt, sink};

    void send(std::string_view text) {
        for (char character : text) write_byte(serial, kData, static_cast<uint8_t>(character));
    }
    size_t enqueue(std::string_view text) {
        return serial.enqueue_input(
            std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    }
};

TEST_F(SerialTest, StartsIdle) {
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x01);  // no interrupt, FIFOs off
    EXPECT_EQ(read_byte(serial, kLineStatus), 0x60);   // THRE and TEMT
    EXPECT_EQ(read_byte(serial, kModemStatus), 0xb0);  // DCD, DSR, CTS
    EXPECT_FALSE(interrupt->level);
}

// The checks drivers/tty/serial/8250/8250_port.c autoconfig() makes before it
// calls a port a 16550A.
TEST_F(SerialTest, PassesLinux8250Probe) {
    // Existence test: IER holds 0 and 0x0f.
    write_byte(serial, kInterruptEnable, 0x00);
    EXPECT_EQ(read_byte(serial, kInterruptEnable) & 0x0f, 0x00);
    write_byte(serial, kInterruptEnable, 0x0f);
    EXPECT_EQ(read_byte(serial, kInterruptEnable) & 0x0f, 0x0f);
    write_byte(serial, kInterruptEnable, 0x00);

    // Loopback test: MCR = LOOP | OUT2 | RTS must read back DCD | CTS.
    write_byte(serial, kModemControl, 0x10 | 0x0a);
    EXPECT_EQ(read_byte(serial, kModemStatus) & 0xf0, 0x90);
    write_byte(serial, kModemControl, 0x00);

    // FIFO detection: with LCR 0xbf, offset 2 is EFR on a 16650; on a 16550A
    // the write lands in FCR. Enabling FIFOs must set IIR bits 6 and 7.
    write_byte(serial, kLineControl, 0xbf);
    write_byte(serial, kFifoControl, 0x00);
    write_byte(serial, kLineControl, 0x00);
    write_byte(serial, kFifoControl, 0x01);
    EXPECT_EQ(read_byte(serial, kInterruptId) >> 6, 3);

    // No EFR behind LCR 0x80 or 0xbf (that would make it a 16650).
    write_byte(serial, kLineControl, 0x80);
    EXPECT_NE(read_byte(serial, kInterruptId), 0);
    write_byte(serial, kLineControl, 0xbf);
    EXPECT_NE(read_byte(serial, kInterruptId), 0);

    // Not a 16750: the 64-byte FIFO bit (FCR bit 5) does not show in IIR bit 5.
    write_byte(serial, kLineControl, 0x80);
    write_byte(serial, kFifoControl, 0x21);
    EXPECT_EQ(read_byte(serial, kInterruptId) >> 5, 6);
    write_byte(serial, kLineControl, 0x00);

    // Not an XScale UART: IER bit 6 (UUE) does not stick.
    write_byte(serial, kInterruptEnable, 0x40);
    EXPECT_EQ(read_byte(serial, kInterruptEnable) & 0x40, 0);
}

TEST_F(SerialTest, ScratchRegisterHoldsValues) {
    write_byte(serial, kScratch, 0xa5);
    EXPECT_EQ(read_byte(serial, kScratch), 0xa5);
    write_byte(serial, kScratch, 0x5a);
    EXPECT_EQ(read_byte(serial, kScratch), 0x5a);
}

TEST_F(SerialTest, TransmitsToTheSink) {
    send("hello\n");
    EXPECT_EQ(sink->text(), "hello\n");
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x60, 0x60);
}

TEST_F(SerialTest, DivisorLatchWritesDoNotTransmit) {
    write_byte(serial, kLineControl, 0x83);  // DLAB, 8 data bits
    write_byte(serial, kData, 0x01);         // DLL: 115200 baud
    write_byte(serial, kInterruptEnable, 0x00);
    EXPECT_EQ(read_byte(serial, kData), 0x01);
    write_byte(serial, kLineControl, 0x03);
    EXPECT_TRUE(sink->bytes.empty());
    EXPECT_EQ(read_byte(serial, kInterruptEnable), 0x00);
    send("x");
    EXPECT_EQ(sink->text(), "x");
}

// Linux's serial8250_do_startup() checks THRE is raised on enabling ETBEI,
// cleared by reading IIR, and raised again when ETBEI is toggled.
TEST_F(SerialTest, TransmitterEmptyInterruptFollowsLinuxStartupTest) {
    write_byte(serial, kInterruptEnable, 0x02);
    EXPECT_TRUE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x02);
    EXPECT_FALSE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x01);
    write_byte(serial, kInterruptEnable, 0x00);
    write_byte(serial, kInterruptEnable, 0x02);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x02);
    // Each transmitted byte empties THR again and re-raises THRE.
    send("a");
    EXPECT_TRUE(interrupt->level);
    write_byte(serial, kInterruptEnable, 0x00);
    EXPECT_FALSE(interrupt->level);
}

TEST_F(SerialTest, ReceivedDataRaisesInterruptUntilRead) {
    write_byte(serial, kFifoControl, 0x07);
    write_byte(serial, kInterruptEnable, 0x01);
    EXPECT_FALSE(interrupt->level);
    EXPECT_EQ(enqueue("hi"), 2u);
    EXPECT_TRUE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0xc4);
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x01, 0x01);
    EXPECT_EQ(read_byte(serial, kData), 'h');
    EXPECT_TRUE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kData), 'i');
    EXPECT_FALSE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x01, 0x00);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0xc1);
    // The line changed only when the pending state did.
    EXPECT_EQ(interrupt->levels, (std::vector<bool>{true, false}));
}

TEST_F(SerialTest, ReceivedDataWithInterruptsDisabledOnlySetsDataReady) {
    write_byte(serial, kFifoControl, 0x01);
    EXPECT_EQ(enqueue("z"), 1u);
    EXPECT_FALSE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x01, 0x01);
    EXPECT_EQ(read_byte(serial, kData), 'z');
}

TEST_F(SerialTest, FullFifoRefusesInputAndReportsRoom) {
    int callbacks = 0;
    serial.set_input_space_callback([&] { ++callbacks; });
    write_byte(serial, kFifoControl, 0x01);
    std::vector<uint8_t> bytes(Serial::kInputCapacity + 10, 'q');
    EXPECT_EQ(serial.enqueue_input(bytes), Serial::kInputCapacity);
    EXPECT_FALSE(serial.wants_input());
    EXPECT_EQ(serial.enqueue_input(bytes), 0u);
    EXPECT_EQ(callbacks, 0);
    read_byte(serial, kData);
    EXPECT_EQ(callbacks, 1);
    EXPECT_EQ(serial.input_space(), 1u);
    read_byte(serial, kData);
    EXPECT_EQ(callbacks, 1);  // once per refusal, not per byte read
    // Nothing was overrun: the host kept the rest.
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x02, 0);
}

TEST_F(SerialTest, WithoutFifosHoldsOneByte) {
    EXPECT_EQ(enqueue("ab"), 1u);
    EXPECT_FALSE(serial.wants_input());
    EXPECT_EQ(read_byte(serial, kData), 'a');
    EXPECT_TRUE(serial.wants_input());
}

TEST_F(SerialTest, FifoResetDiscardsInput) {
    write_byte(serial, kFifoControl, 0x01);
    EXPECT_EQ(enqueue("abc"), 3u);
    write_byte(serial, kFifoControl, 0x03);
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x01, 0);
    EXPECT_EQ(serial.input_space(), Serial::kInputCapacity);
}

TEST_F(SerialTest, LoopbackRoutesTransmitToReceive) {
    write_byte(serial, kFifoControl, 0x01);
    write_byte(serial, kModemControl, 0x10);
    EXPECT_EQ(serial.input_space(), 0u);  // the serial input is disconnected
    send("ok");
    EXPECT_TRUE(sink->bytes.empty());
    EXPECT_EQ(read_byte(serial, kData), 'o');
    EXPECT_EQ(read_byte(serial, kData), 'k');
    // Overflowing the FIFO in loopback flags an overrun, cleared by reading LSR.
    send(std::string(Serial::kInputCapacity + 1, 'x'));
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x03, 0x03);
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x02, 0x00);
}

TEST_F(SerialTest, LoopbackOverrunRaisesLineStatusInterrupt) {
    write_byte(serial, kModemControl, 0x10);
    write_byte(serial, kInterruptEnable, 0x05);  // received data and line status
    send("ab");                                  // no FIFO: the second byte overruns the first
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x06);
    EXPECT_EQ(read_byte(serial, kLineStatus) & 0x02, 0x02);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x04);
}

TEST_F(SerialTest, ModemStatusChangesRaiseInterruptInLoopback) {
    write_byte(serial, kModemControl, 0x10);
    read_byte(serial, kModemStatus);  // entering loopback dropped the lines; clear that
    write_byte(serial, kInterruptEnable, 0x08);
    EXPECT_FALSE(interrupt->level);
    write_byte(serial, kModemControl, 0x10 | 0x01);  // DTR drives DSR
    EXPECT_TRUE(interrupt->level);
    EXPECT_EQ(read_byte(serial, kInterruptId), 0x00);
    EXPECT_EQ(read_byte(serial, kModemStatus), 0x20 | 0x02);  // DSR and its change
    EXPECT_FALSE(interrupt->level);
}

TEST_F(SerialTest, WideAccessesReachConsecutiveRegisters) {
    const uint8_t pair[2] = {'A', 0x01};  // THR then IER
    serial.write(kData, pair);
    EXPECT_EQ(sink->text(), "A");
    EXPECT_EQ(read_byte(serial, kInterruptEnable), 0x01);
}

// The console thread and a vCPU thread at once: every byte arrives, in order,
// and the input-space callback may call back into the device without deadlock.
TEST_F(SerialTest, ConcurrentInputArrivesInOrder) {
    write_byte(serial, kFifoControl, 0x01);
    write_byte(serial, kInterruptEnable, 0x01);
    std::mutex mutex;
    std::condition_variable room;
    bool has_room = false;
    serial.set_input_space_callback([&] {
        EXPECT_TRUE(serial.wants_input());  // re-entering the device is allowed
        std::lock_guard lock(mutex);
        has_room = true;
        room.notify_one();
    });
    constexpr size_t kTotal = 20000;
    std::thread console([&] {
        std::vector<uint8_t> pending;
        for (size_t index = 0; index < kTotal; ++index)
            pending.push_back(static_cast<uint8_t>(index));
        std::span<const uint8_t> rest(pending);
        while (!rest.empty()) {
            {
                std::lock_guard lock(mutex);
                has_room = false;
            }
            rest =
                rest.subspan(serial.enqueue_input(rest.first(std::min<size_t>(rest.size(), 100))));
            std::unique_lock lock(mutex);
            room.wait_for(lock, std::chrono::milliseconds(1), [&] { return has_room; });
        }
    });
    std::vector<uint8_t> received;
    while (received.size() < kTotal) {
        if (read_byte(serial, kLineStatus) & 0x01)
            received.push_back(read_byte(serial, kData));
    }
    console.join();
    for (size_t index = 0; index < kTotal; ++index)
        ASSERT_EQ(received[index], static_cast<uint8_t>(index)) << "byte " << index;
    EXPECT_FALSE(interrupt->level);
}

}  // namespace
}  // namespace twinbox
