// A small builder for ACPI Machine Language (AML), the byte code inside the
// DSDT: ACPI 6.5 chapter 20 ("ACPI Machine Language Specification") for the
// encoding, and chapter 19 (ASL) for what each construct means.
//
// Each function returns the bytes of one AML term, so a table reads like the
// ASL it stands for:
//
//     aml::scope("\\_SB", {
//         aml::device("COM1", {
//             aml::name("_HID", aml::integer(aml::eisa_id("PNP0501"))),
//         }),
//     })
//
// is the AML for `Scope (\_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501")) } }`.
// Names and EISA IDs written as string literals are checked by the compiler
// (consteval), so a typo is a build error, not a table Linux rejects at boot.
//
// Models: QEMU hw/acpi/aml-build.c, Cloud Hypervisor's acpi_tables aml.rs.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace twinbox::aml {

using Bytes = std::vector<uint8_t>;

// The largest value a PkgLength can hold: four bytes carry 4 + 3 * 8 = 28 bits
// (ACPI 6.5 section 20.2.4).
inline constexpr uint32_t kMaxPackageLength = (1u << 28) - 1;

// Encodes a PkgLength (ACPI 6.5 section 20.2.4) whose value is `length`, the
// number of bytes it covers including its own. One byte holds up to 63; longer
// values set the two high bits of the lead byte to the count of bytes that
// follow (1-3), keep their low nibble in the lead byte and the rest in the
// following bytes, least significant first. `length` must not exceed
// kMaxPackageLength.
Bytes encode_package_length(uint32_t length);

// The PkgLength for a body of `body_length` bytes. The encoding counts its own
// bytes, so a 63-byte body needs a 2-byte PkgLength (63 + 1 = 64 does not fit
// in one byte) with the value 65.
Bytes package_length(size_t body_length);

namespace detail {
// Not constexpr on purpose: reaching it during constant evaluation makes the
// compiler reject the invalid literal.
inline void invalid_literal_see_aml_h() {}
constexpr bool is_lead_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || c == '_';
}
constexpr bool is_name_char(char c) {
    return is_lead_name_char(c) || (c >= '0' && c <= '9');
}
// A NameString (ACPI 6.5 section 20.2.2): an optional root '\' or parent '^'
// prefixes, then NameSegs of 1-4 characters separated by '.'.
constexpr bool is_valid_path(std::string_view text) {
    size_t index = 0;
    if (index < text.size() && text[index] == '\\') {
        ++index;
    } else {
        while (index < text.size() && text[index] == '^') ++index;
    }
    if (index == text.size())
        return text == "\\";  // the root itself
    size_t segment_length = 0;
    for (; index < text.size(); ++index) {
        char c = text[index];
        if (c == '.') {
            if (segment_length == 0)
                return false;
            segment_length = 0;
            continue;
        }
        bool valid = segment_length == 0 ? is_lead_name_char(c) : is_name_char(c);
        if (!valid || ++segment_length > 4)
            return false;
    }
    return segment_length > 0;
}
}  // namespace detail

// An AML NameString such as "_HID", "\\_SB" or "\\_SB.COM1" (ACPI 6.5
// section 20.2.2). Segments shorter than four characters are padded with '_'
// when encoded, as ASL does: "_SB" becomes "_SB_".
class Path {
public:
    static constexpr size_t kMaxLength = 64;

    // From a string literal, checked at compile time.
    consteval Path(const char* text) {
        std::string_view view(text);
        if (view.size() > kMaxLength || !detail::is_valid_path(view))
            detail::invalid_literal_see_aml_h();
        for (char c : view) m_text[m_length++] = c;
    }

    // A generated four-character NameSeg for the n-th of several devices: the
    // first two characters of `prefix` (padded with '_') and `number` as two
    // hex digits, so numbered("VR", 10) is "VR0A". Always a valid NameSeg,
    // because `prefix` was checked when it was built.
    static Path numbered(const Path& prefix, uint8_t number);

    std::string_view text() const { return {m_text.data(), m_length}; }

    // Appends the NameString encoding: prefixes, then one NameSeg,
    // DualNamePrefix + two, or MultiNamePrefix + count + segments.
    void encode(Bytes& out) const;

private:
    Path() = default;
    std::array<char, kMaxLength> m_text{};
    size_t m_length = 0;
};

// A compressed EISA ID (ACPI 6.5 section 19.6.35, EISAID macro): three
// upper-case letters of five bits each ('A' is 1) and four hex digits, stored
// as a 32-bit integer whose bytes are in the order the ID is read. Checked at
// compile time: "PNP0501" becomes 0x0105d041.
consteval uint32_t eisa_id(const char* text) {
    std::string_view id(text);
    auto hex = [](char c) -> uint32_t {
        if (c >= '0' && c <= '9')
            return static_cast<uint32_t>(c - '0');
        if (c >= 'A' && c <= 'F')
            return static_cast<uint32_t>(c - 'A' + 10);
        detail::invalid_literal_see_aml_h();
        return 0;
    };
    if (id.size() != 7)
        detail::invalid_literal_see_aml_h();
    uint32_t value = 0;
    for (size_t i = 0; i < 3; ++i) {
        if (id[i] < 'A' || id[i] > 'Z')
            detail::invalid_literal_see_aml_h();
        value = (value << 5) | static_cast<uint32_t>(id[i] - 'A' + 1);
    }
    for (size_t i = 3; i < 7; ++i) value = (value << 4) | hex(id[i]);
    // `value` now reads as the ID from its most significant bit down; AML
    // stores integers little-endian, so swap the bytes to keep that order in memory.
    return ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >> 8) & 0xff00) |
           (value >> 24);
}

// Data objects (ACPI 6.5 section 20.2.3).

// The shortest encoding of `value`: ZeroOp, OneOp, or ByteConst, WordConst,
// DWordConst, QWordConst.
Bytes integer(uint64_t value);
// A String: StringPrefix, the characters, a NUL. `text` must be ASCII 0x01-0x7f.
Bytes string(std::string_view text);
// A Buffer: BufferOp PkgLength BufferSize ByteList (ACPI 6.5 section 20.2.5.4).
Bytes buffer(const Bytes& data);
// A Package: PackageOp PkgLength NumElements PackageElementList (ACPI 6.5
// section 20.2.5.4). NumElements is one byte, so elements past the 255th are
// left out (twinbox's packages have four).
Bytes package(const std::vector<Bytes>& elements);

// Namespace modifiers and named objects (ACPI 6.5 sections 20.2.5.1-20.2.5.2).

// Name (path, object): NameOp NameString DataRefObject.
Bytes name(const Path& path, const Bytes& object);
// Scope (path) { terms }: ScopeOp PkgLength NameString TermList.
Bytes scope(const Path& path, const std::vector<Bytes>& terms);
// Device (path) { terms }: ExtOpPrefix DeviceOp PkgLength NameString TermList.
Bytes device(const Path& path, const std::vector<Bytes>& terms);
// Method (path, argument_count, NotSerialized) { terms }: MethodOp PkgLength
// NameString MethodFlags TermList. `argument_count` is 0-7.
Bytes method(const Path& path, uint8_t argument_count, const std::vector<Bytes>& terms);
// Return (value): ReturnOp ArgObject (ACPI 6.5 section 20.2.5.3).
Bytes return_value(const Bytes& value);

// OperationRegion (path, space, offset, length): ExtOpPrefix OpRegionOp
// NameString RegionSpace RegionOffset RegionLen (ACPI 6.5 section 20.2.5.2;
// the space values are section 19.6.100's).
enum class RegionSpace : uint8_t { system_memory = 0x00, system_io = 0x01 };
Bytes operation_region(const Path& path, RegionSpace space, uint64_t offset, uint64_t length);

// Field (region, access, NoLock, update) { name, bits ... }: ExtOpPrefix
// FieldOp PkgLength NameString FieldFlags FieldList (ACPI 6.5 sections
// 20.2.5.2 and 19.6.48).
enum class FieldAccess : uint8_t { any = 0, byte = 1, word = 2, dword = 3 };
enum class FieldUpdate : uint8_t { preserve = 0, write_as_ones = 1, write_as_zeros = 2 };
struct FieldUnit {
    Path name;  // one NameSeg
    uint32_t bits;
};
Bytes field(const Path& region, FieldAccess access, FieldUpdate update,
            const std::vector<FieldUnit>& units);

// Expressions and statements inside a method (ACPI 6.5 sections 20.2.5.3-20.2.5.4).

// A named object used as a value or a target: its NameString.
Bytes reference(const Path& path);
// Local0 ... Local7: Local0Op + index.
Bytes local(uint8_t index);
// Store (source, target): StoreOp TermArg SuperName.
Bytes store(const Bytes& source, const Bytes& target);
// And (left, right): AndOp Operand Operand Target, with no target (NullName).
Bytes bitwise_and(const Bytes& left, const Bytes& right);
// If (predicate) { terms }: IfOp PkgLength Predicate TermList.
Bytes if_then(const Bytes& predicate, const std::vector<Bytes>& terms);
// Notify (object, value): NotifyOp NotifyObject NotifyValue.
Bytes notify(const Path& object, uint8_t value);

// Resource data (ACPI 6.5 section 6.4), the contents of a _CRS buffer.
// Only the descriptors twinbox needs; each function returns one descriptor.
namespace resource {

enum class Trigger { level, edge };
enum class Polarity { active_high, active_low };
enum class Sharing { exclusive, shared };

// IO (Decode16, minimum, maximum, alignment, length): I/O port descriptor (ACPI 6.5
// section 6.4.2.5).
Bytes io_port(uint16_t minimum, uint16_t maximum, uint8_t alignment, uint8_t length);
// FixedIO (base, length): fixed location I/O port descriptor, 10-bit decode (ACPI 6.5
// section 6.4.2.6).
Bytes fixed_io(uint16_t base, uint8_t length);
// IRQNoFlags () { irq }: the two-byte IRQ descriptor, which means an
// edge-triggered, active-high, exclusive ISA IRQ 0-15 (ACPI 6.5 section 6.4.2.1).
Bytes irq_no_flags(uint8_t irq);
// Memory32Fixed (ReadWrite or ReadOnly, base, length) (ACPI 6.5 section 6.4.3.4).
Bytes memory32_fixed(bool writable, uint32_t base, uint32_t length);
// Interrupt (ResourceConsumer, trigger, polarity, sharing) { interrupt }: the
// extended interrupt descriptor with one GSI (ACPI 6.5 section 6.4.3.6).
Bytes extended_interrupt(Trigger trigger, Polarity polarity, Sharing sharing, uint32_t interrupt);

}  // namespace resource

// ResourceTemplate () { descriptors }: a Buffer holding the descriptors and an
// end tag (ACPI 6.5 section 6.4.2.9) whose checksum is 0, which tells the
// reader not to check it.
Bytes resource_template(const std::vector<Bytes>& descriptors);

}  // namespace twinbox::aml
