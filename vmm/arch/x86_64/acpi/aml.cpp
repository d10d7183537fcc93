// AML encoding, ACPI 6.5 chapter 20; resource descriptors, ACPI 6.5 section 6.4.
#include "vmm/arch/x86_64/acpi/aml.h"

#include <cstring>

namespace twinbox::aml {
namespace {

// The AML opcodes used here (ACPI 6.5 section 20.3, "AML Byte Stream Byte Values").
enum class Opcode : uint8_t {
    zero = 0x00,               // ZeroOp
    one = 0x01,                // OneOp
    name = 0x08,               // NameOp
    byte_prefix = 0x0a,        // BytePrefix: ByteConst follows
    word_prefix = 0x0b,        // WordPrefix
    dword_prefix = 0x0c,       // DWordPrefix
    string_prefix = 0x0d,      // StringPrefix
    qword_prefix = 0x0e,       // QWordPrefix
    scope = 0x10,              // ScopeOp
    buffer = 0x11,             // BufferOp
    package = 0x12,            // PackageOp
    method = 0x14,             // MethodOp
    dual_name_prefix = 0x2e,   // DualNamePrefix: two NameSegs follow
    multi_name_prefix = 0x2f,  // MultiNamePrefix: SegCount, then the NameSegs
    extended_prefix = 0x5b,    // ExtOpPrefix: the opcode is two bytes
    local0 = 0x60,             // Local0Op; Local1-7 follow it
    store = 0x70,              // StoreOp
    bitwise_and = 0x7b,        // AndOp
    notify = 0x86,             // NotifyOp
    if_then = 0xa0,            // IfOp
    return_value = 0xa4,       // ReturnOp
};
// The second byte of the ExtOpPrefix opcodes (ACPI 6.5 sections 20.2.5.2).
constexpr uint8_t kOperationRegionOpcode = 0x80;
constexpr uint8_t kFieldOpcode = 0x81;
constexpr uint8_t kDeviceOpcode = 0x82;

void append(Bytes& out, Opcode opcode) {
    out.push_back(static_cast<uint8_t>(opcode));
}
// Through resize and memcpy rather than vector::insert, which makes GCC 12
// report false buffer overflows at -O2.
void append(Bytes& out, const void* data, size_t size) {
    size_t end = out.size();
    out.resize(end + size);
    if (size != 0)
        std::memcpy(out.data() + end, data, size);
}
void append(Bytes& out, const Bytes& bytes) {
    append(out, bytes.data(), bytes.size());
}
// Appends `value` little-endian in `size` bytes, as every AML and resource field is stored.
void append_little_endian(Bytes& out, uint64_t value, size_t size) {
    for (size_t i = 0; i < size; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

Bytes concatenate(const std::vector<Bytes>& parts) {
    Bytes out;
    for (const Bytes& part : parts) append(out, part);
    return out;
}

// Opcode PkgLength body: the shape of every AML term with an explicit length.
Bytes with_package_length(Bytes opcode, const Bytes& body) {
    append(opcode, package_length(body.size()));
    append(opcode, body);
    return opcode;
}

}  // namespace

Bytes encode_package_length(uint32_t length) {
    if (length <= 0x3f)
        return {static_cast<uint8_t>(length)};
    // Count the bytes after the lead byte: the lead byte keeps 4 bits, each following byte 8.
    uint8_t following = length <= 0xfff ? 1 : length <= 0xfffff ? 2 : 3;
    Bytes out{static_cast<uint8_t>((following << 6) | (length & 0x0f))};
    append_little_endian(out, length >> 4, following);
    return out;
}

Bytes package_length(size_t body_length) {
    // Try each size in turn: the value must also count the PkgLength's own bytes.
    for (uint32_t own_bytes = 1; own_bytes <= 4; ++own_bytes) {
        uint64_t total = body_length + own_bytes;
        uint64_t limit = own_bytes == 1 ? 0x3f : (1ull << (4 + 8 * (own_bytes - 1))) - 1;
        if (total <= limit)
            return encode_package_length(static_cast<uint32_t>(total));
    }
    // Callers keep bodies far below 256 MiB (ACPI tables here live in 128 KiB);
    // saturate rather than wrap so a reader stops at the end of the table.
    return encode_package_length(kMaxPackageLength);
}

Path Path::numbered(const Path& prefix, uint8_t number) {
    constexpr char kHexDigits[] = "0123456789ABCDEF";
    std::string_view text = prefix.text();
    // Skip root and parent prefixes and keep the first NameSeg.
    while (!text.empty() && (text.front() == '\\' || text.front() == '^')) text.remove_prefix(1);
    text = text.substr(0, text.find('.'));
    Path path;
    path.m_text[0] = text.size() > 0 ? text[0] : '_';
    path.m_text[1] = text.size() > 1 ? text[1] : '_';
    path.m_text[2] = kHexDigits[number >> 4];
    path.m_text[3] = kHexDigits[number & 0xf];
    path.m_length = 4;
    return path;
}

void Path::encode(Bytes& out) const {
    std::string_view text = this->text();
    // RootChar or ParentPrefixChars come first, as they are written.
    while (!text.empty() && (text.front() == '\\' || text.front() == '^')) {
        out.push_back(static_cast<uint8_t>(text.front()));
        text.remove_prefix(1);
    }
    std::vector<std::string_view> segments;
    while (!text.empty()) {
        size_t dot = text.find('.');
        segments.push_back(text.substr(0, dot));
        text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    }
    if (segments.empty()) {
        out.push_back(0x00);  // NullName: the path is just "\" (ACPI 6.5 section 20.2.2)
        return;
    }
    if (segments.size() == 2) {
        append(out, Opcode::dual_name_prefix);
    } else if (segments.size() > 2) {
        append(out, Opcode::multi_name_prefix);
        out.push_back(
            static_cast<uint8_t>(segments.size()));  // SegCount; at most 32 fit in kMaxLength
    }
    for (std::string_view segment : segments) {
        for (size_t i = 0; i < 4; ++i) out.push_back(i < segment.size() ? segment[i] : '_');
    }
}

Bytes integer(uint64_t value) {
    if (value == 0)
        return {static_cast<uint8_t>(Opcode::zero)};
    if (value == 1)
        return {static_cast<uint8_t>(Opcode::one)};
    Bytes out;
    if (value <= 0xff) {
        append(out, Opcode::byte_prefix);
        append_little_endian(out, value, 1);
    } else if (value <= 0xffff) {
        append(out, Opcode::word_prefix);
        append_little_endian(out, value, 2);
    } else if (value <= 0xffff'ffff) {
        append(out, Opcode::dword_prefix);
        append_little_endian(out, value, 4);
    } else {
        append(out, Opcode::qword_prefix);
        append_little_endian(out, value, 8);
    }
    return out;
}

Bytes string(std::string_view text) {
    Bytes out;
    append(out, Opcode::string_prefix);
    append(out, text.data(), text.size());
    out.push_back(0x00);  // NullChar
    return out;
}

Bytes buffer(const Bytes& data) {
    // BufferSize is a TermArg, normally an integer constant.
    Bytes body = integer(data.size());
    append(body, data);
    return with_package_length({static_cast<uint8_t>(Opcode::buffer)}, body);
}

Bytes package(const std::vector<Bytes>& elements) {
    // NumElements is one byte; larger packages would need VarPackageOp, which twinbox never needs.
    Bytes body{static_cast<uint8_t>(elements.size() <= 0xff ? elements.size() : 0xff)};
    for (size_t i = 0; i < elements.size() && i < 0xff; ++i) append(body, elements[i]);
    return with_package_length({static_cast<uint8_t>(Opcode::package)}, body);
}

Bytes name(const Path& path, const Bytes& object) {
    Bytes out;
    append(out, Opcode::name);
    path.encode(out);
    append(out, object);
    return out;
}

Bytes scope(const Path& path, const std::vector<Bytes>& terms) {
    Bytes body;
    path.encode(body);
    append(body, concatenate(terms));
    return with_package_length({static_cast<uint8_t>(Opcode::scope)}, body);
}

Bytes device(const Path& path, const std::vector<Bytes>& terms) {
    Bytes body;
    path.encode(body);
    append(body, concatenate(terms));
    return with_package_length({static_cast<uint8_t>(Opcode::extended_prefix), kDeviceOpcode},
                               body);
}

Bytes method(const Path& path, uint8_t argument_count, const std::vector<Bytes>& terms) {
    Bytes body;
    path.encode(body);
    // MethodFlags: bits 0-2 ArgCount, bit 3 SerializeFlag (0: NotSerialized), bits 4-7 SyncLevel 0.
    body.push_back(argument_count & 0x7);
    append(body, concatenate(terms));
    return with_package_length({static_cast<uint8_t>(Opcode::method)}, body);
}

Bytes operation_region(const Path& path, RegionSpace space, uint64_t offset, uint64_t length) {
    Bytes out;
    append(out, Opcode::extended_prefix);
    out.push_back(kOperationRegionOpcode);
    path.encode(out);
    out.push_back(static_cast<uint8_t>(space));
    append(out, integer(offset));
    append(out, integer(length));
    return out;
}

Bytes field(const Path& region, FieldAccess access, FieldUpdate update,
            const std::vector<FieldUnit>& units) {
    Bytes body;
    region.encode(body);
    // FieldFlags: bits 0-3 AccessType, bit 4 LockRule (0: NoLock), bits 5-6 UpdateRule.
    body.push_back(
        static_cast<uint8_t>(static_cast<uint8_t>(access) | static_cast<uint8_t>(update) << 5));
    for (const FieldUnit& unit : units) {
        // NamedField: NameSeg, then the width in bits in PkgLength's encoding
        // (a value, not a length that counts itself).
        unit.name.encode(body);
        append(body, encode_package_length(unit.bits));
    }
    return with_package_length({static_cast<uint8_t>(Opcode::extended_prefix), kFieldOpcode}, body);
}

Bytes reference(const Path& path) {
    Bytes out;
    path.encode(out);
    return out;
}

Bytes local(uint8_t index) {
    return {static_cast<uint8_t>(static_cast<uint8_t>(Opcode::local0) + (index & 0x7))};
}

Bytes store(const Bytes& source, const Bytes& target) {
    Bytes out;
    append(out, Opcode::store);
    append(out, source);
    append(out, target);
    return out;
}

Bytes bitwise_and(const Bytes& left, const Bytes& right) {
    Bytes out;
    append(out, Opcode::bitwise_and);
    append(out, left);
    append(out, right);
    out.push_back(0x00);  // Target: NullName, the result is only the expression's value
    return out;
}

Bytes if_then(const Bytes& predicate, const std::vector<Bytes>& terms) {
    Bytes body = predicate;
    append(body, concatenate(terms));
    return with_package_length({static_cast<uint8_t>(Opcode::if_then)}, body);
}

Bytes notify(const Path& object, uint8_t value) {
    Bytes out;
    append(out, Opcode::notify);
    object.encode(out);
    append(out, integer(value));
    return out;
}

Bytes return_value(const Bytes& value) {
    Bytes out;
    append(out, Opcode::return_value);
    append(out, value);
    return out;
}

namespace resource {
namespace {

// Small resource item tags (ACPI 6.5 section 6.4.2): bits 6-3 are the item
// name, bits 2-0 the length of the data that follows.
constexpr uint8_t kIrqTwoByteTag = 0x22;  // IRQ descriptor without its information byte
constexpr uint8_t kIoPortTag = 0x47;      // I/O port descriptor, 7 bytes of data
constexpr uint8_t kFixedIoTag = 0x4b;     // fixed location I/O port descriptor, 3 bytes
// Large resource item tags (ACPI 6.5 section 6.4.3): bit 7 set, then the item
// name; a 16-bit little-endian data length follows the tag.
constexpr uint8_t kMemory32FixedTag = 0x86;
constexpr uint8_t kExtendedInterruptTag = 0x89;

}  // namespace

Bytes io_port(uint16_t minimum, uint16_t maximum, uint8_t alignment, uint8_t length) {
    // Information byte bit 0: the device decodes all 16 address bits (Decode16).
    Bytes out{kIoPortTag, 0x01};
    append_little_endian(out, minimum, 2);
    append_little_endian(out, maximum, 2);
    out.push_back(alignment);
    out.push_back(length);
    return out;
}

Bytes fixed_io(uint16_t base, uint8_t length) {
    Bytes out{kFixedIoTag};
    append_little_endian(out, base & 0x3ff, 2);  // only 10 address bits are decoded
    out.push_back(length);
    return out;
}

Bytes irq_no_flags(uint8_t irq) {
    Bytes out{kIrqTwoByteTag};
    append_little_endian(out, 1u << (irq & 0xf), 2);  // bit n of the mask is ISA IRQ n
    return out;
}

Bytes memory32_fixed(bool writable, uint32_t base, uint32_t length) {
    Bytes out{kMemory32FixedTag};
    append_little_endian(out, 9, 2);  // data length: information byte, base, length
    out.push_back(writable ? 0x01 : 0x00);
    append_little_endian(out, base, 4);
    append_little_endian(out, length, 4);
    return out;
}

Bytes extended_interrupt(Trigger trigger, Polarity polarity, Sharing sharing, uint32_t interrupt) {
    // Interrupt vector flags (ACPI 6.5 section 6.4.3.6): bit 0 consumer, bit 1 edge,
    // bit 2 active low, bit 3 shared, bit 4 wake capable (never, here).
    uint8_t flags = 0x01;
    if (trigger == Trigger::edge)
        flags |= 0x02;
    if (polarity == Polarity::active_low)
        flags |= 0x04;
    if (sharing == Sharing::shared)
        flags |= 0x08;
    Bytes out{kExtendedInterruptTag};
    append_little_endian(out, 6, 2);  // data length: flags, table length, one 32-bit interrupt
    out.push_back(flags);
    out.push_back(1);  // interrupt table length
    append_little_endian(out, interrupt, 4);
    return out;
}

}  // namespace resource

Bytes resource_template(const std::vector<Bytes>& descriptors) {
    Bytes data = concatenate(descriptors);
    // End tag: small item name 0xf, length 1, then a checksum byte; 0 means
    // "treat as correct" (ACPI 6.5 section 6.4.2.9).
    data.push_back(0x79);
    data.push_back(0x00);
    return buffer(data);
}

}  // namespace twinbox::aml
