#include "vmm/arch/x86_64/acpi/aml.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace twinbox::aml {
namespace {

// Decodes a PkgLength (ACPI 6.5 section 20.2.4); returns the value and sets `size` to its bytes.
uint32_t decode_package_length(const Bytes& bytes, size_t offset, size_t* size) {
    uint8_t lead = bytes.at(offset);
    size_t following = lead >> 6;
    *size = 1 + following;
    if (following == 0)
        return lead & 0x3f;
    uint32_t value = lead & 0x0f;
    for (size_t i = 0; i < following; ++i)
        value |= static_cast<uint32_t>(bytes.at(offset + 1 + i)) << (4 + 8 * i);
    return value;
}

Bytes text_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

Bytes concatenate(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

TEST(AmlPackageLength, EncodesValuesAtEachSizeBoundary) {
    EXPECT_EQ(encode_package_length(0), (Bytes{0x00}));
    EXPECT_EQ(encode_package_length(63), (Bytes{0x3f}));
    EXPECT_EQ(encode_package_length(64), (Bytes{0x40, 0x04}));
    EXPECT_EQ(encode_package_length(4095), (Bytes{0x4f, 0xff}));
    EXPECT_EQ(encode_package_length(4096), (Bytes{0x80, 0x00, 0x01}));
    EXPECT_EQ(encode_package_length(0xfffff), (Bytes{0x8f, 0xff, 0xff}));
    EXPECT_EQ(encode_package_length(1024 * 1024), (Bytes{0xc0, 0x00, 0x00, 0x01}));
    EXPECT_EQ(encode_package_length(kMaxPackageLength), (Bytes{0xcf, 0xff, 0xff, 0xff}));
}

TEST(AmlPackageLength, CountsItsOwnBytes) {
    EXPECT_EQ(package_length(62), (Bytes{0x3f}));                // 62 + 1 = 63 fits one byte
    EXPECT_EQ(package_length(63), (Bytes{0x41, 0x04}));          // 63 + 2 = 65
    EXPECT_EQ(package_length(4093), (Bytes{0x4f, 0xff}));        // 4093 + 2 = 4095
    EXPECT_EQ(package_length(4094), (Bytes{0x81, 0x00, 0x01}));  // 4094 + 3 = 4097
    EXPECT_EQ(package_length(0xffffc).size(), 3u);               // 0xffffc + 3 = 0xfffff
    EXPECT_EQ(package_length(0xffffd).size(), 4u);
    EXPECT_EQ(package_length(1024 * 1024), (Bytes{0xc4, 0x00, 0x00, 0x01}));  // 1 MiB + 4
}

TEST(AmlPackageLength, RoundTripsWithTheShortestEncoding) {
    for (size_t body = 0; body < 70'000; ++body) {
        Bytes encoded = package_length(body);
        size_t size = 0;
        ASSERT_EQ(decode_package_length(encoded, 0, &size), body + encoded.size()) << body;
        ASSERT_EQ(size, encoded.size());
        // Shortest: with one byte fewer, the value would not have fit.
        if (encoded.size() > 1) {
            size_t smaller_limit = encoded.size() == 2   ? 0x3f
                                   : encoded.size() == 3 ? 0xfff
                                                         : 0xfffff;
            ASSERT_GT(body + encoded.size() - 1, smaller_limit) << body;
        }
    }
}

TEST(AmlData, IntegersUseTheShortestConstant) {
    EXPECT_EQ(integer(0), (Bytes{0x00}));
    EXPECT_EQ(integer(1), (Bytes{0x01}));
    EXPECT_EQ(integer(2), (Bytes{0x0a, 0x02}));
    EXPECT_EQ(integer(0xff), (Bytes{0x0a, 0xff}));
    EXPECT_EQ(integer(0x100), (Bytes{0x0b, 0x00, 0x01}));
    EXPECT_EQ(integer(0xffff), (Bytes{0x0b, 0xff, 0xff}));
    EXPECT_EQ(integer(0x10000), (Bytes{0x0c, 0x00, 0x00, 0x01, 0x00}));
    EXPECT_EQ(integer(0xd000'0000), (Bytes{0x0c, 0x00, 0x00, 0x00, 0xd0}));
    EXPECT_EQ(integer(0x1'0000'0000), (Bytes{0x0e, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST(AmlData, StringsAreNulTerminated) {
    EXPECT_EQ(string("LNRO0005"), concatenate({{0x0d}, text_bytes("LNRO0005"), {0x00}}));
    EXPECT_EQ(string(""), (Bytes{0x0d, 0x00}));
}

TEST(AmlData, EisaIdsAreCompressed) {
    static_assert(eisa_id("PNP0501") == 0x0105d041);
    static_assert(eisa_id("PNP0A03") == 0x030ad041);
    EXPECT_EQ(integer(eisa_id("PNP0501")), (Bytes{0x0c, 0x41, 0xd0, 0x05, 0x01}));
}

TEST(AmlData, PackageCountsItsElements) {
    Bytes s5 = package({integer(5), integer(0), integer(0), integer(0)});
    EXPECT_EQ(s5, (Bytes{0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00}));
}

TEST(AmlData, BufferStartsWithItsSize) {
    EXPECT_EQ(buffer({0xaa, 0xbb}), (Bytes{0x11, 0x05, 0x0a, 0x02, 0xaa, 0xbb}));
}

TEST(AmlNames, ShortSegmentsArePaddedWithUnderscores) {
    auto encode = [](const Path& path) {
        Bytes out;
        path.encode(out);
        return out;
    };
    EXPECT_EQ(encode("_HID"), text_bytes("_HID"));
    EXPECT_EQ(encode("_SB"), text_bytes("_SB_"));
    EXPECT_EQ(encode("\\_SB"), text_bytes("\\_SB_"));
    EXPECT_EQ(encode("^FOO"), text_bytes("^FOO_"));
    EXPECT_EQ(encode("\\"), (Bytes{'\\', 0x00}));
    EXPECT_EQ(encode("\\_SB.COM1"), concatenate({{'\\', 0x2e}, text_bytes("_SB_COM1")}));
    EXPECT_EQ(encode("\\_SB.PCI0.ISA"),
              concatenate({{'\\', 0x2f, 0x03}, text_bytes("_SB_PCI0ISA_")}));
    EXPECT_EQ(encode(Path::numbered("VR", 0)), text_bytes("VR00"));
    EXPECT_EQ(encode(Path::numbered("VR", 10)), text_bytes("VR0A"));
    EXPECT_EQ(encode(Path::numbered("\\V", 255)), text_bytes("V_FF"));
}

TEST(AmlNames, TheValidatorRejectsWhatAmlCannotEncode) {
    // Literals are checked by this function at compile time.
    static_assert(detail::is_valid_path("_S5"));
    static_assert(detail::is_valid_path("\\_SB.VR00"));
    static_assert(detail::is_valid_path("^^PCI0"));
    static_assert(!detail::is_valid_path(""));
    static_assert(!detail::is_valid_path("TOOLONG"));
    static_assert(!detail::is_valid_path("1ABC"));  // digits cannot lead
    static_assert(!detail::is_valid_path("abc"));   // lower case
    static_assert(!detail::is_valid_path("_SB..X"));
    static_assert(!detail::is_valid_path("_SB."));
    static_assert(!detail::is_valid_path("\\^X"));
}

TEST(AmlObjects, NameScopeDeviceMethod) {
    EXPECT_EQ(name("_UID", integer(0)), concatenate({{0x08}, text_bytes("_UID"), {0x00}}));
    // Device (COM1) {}: ExtOpPrefix DeviceOp PkgLength(5) "COM1".
    EXPECT_EQ(device("COM1", {}), concatenate({{0x5b, 0x82, 0x05}, text_bytes("COM1")}));
    // Scope (\_SB) {}: ScopeOp PkgLength(6) '\' "_SB_".
    EXPECT_EQ(scope("\\_SB", {}), concatenate({{0x10, 0x06}, text_bytes("\\_SB_")}));
    // Method (_STA, 0) { Return (0x0F) }: PkgLength covers name, flags and the Return.
    EXPECT_EQ(method("_STA", 0, {return_value(integer(0x0f))}),
              concatenate({{0x14, 0x09}, text_bytes("_STA"), {0x00, 0xa4, 0x0a, 0x0f}}));
    EXPECT_EQ(method("_DSM", 4, {})[6], 0x04);  // ArgCount in MethodFlags
}

// What the Generic Event Device's _EVT is made of (ACPI 6.5 sections
// 20.2.5.2-20.2.5.4), byte by byte.
TEST(AmlObjects, RegionFieldAndEventMethodTerms) {
    // OperationRegion (EREG, SystemIO, 0x602, One): ExtOpPrefix OpRegionOp name space offset
    // length.
    EXPECT_EQ(operation_region("EREG", RegionSpace::system_io, 0x602, 1),
              concatenate({{0x5b, 0x80}, text_bytes("EREG"), {0x01, 0x0b, 0x02, 0x06, 0x01}}));
    // Field (EREG, ByteAcc, NoLock, Preserve) { ESEL, 8 }: PkgLength 11 covers the body.
    EXPECT_EQ(
        field("EREG", FieldAccess::byte, FieldUpdate::preserve, {{"ESEL", 8}}),
        concatenate({{0x5b, 0x81, 0x0b}, text_bytes("EREG"), {0x01}, text_bytes("ESEL"), {0x08}}));
    // Local0 = ESEL: StoreOp NameString Local0Op.
    EXPECT_EQ(store(reference("ESEL"), local(0)),
              concatenate({{0x70}, text_bytes("ESEL"), {0x60}}));
    // If ((Local0 & One)) { Notify (\_SB.PWRB, 0x80) }: IfOp PkgLength AndOp Local0 One
    // NullName, then NotifyOp DualNamePrefix path BytePrefix 0x80.
    Bytes notify_button = notify("\\_SB.PWRB", 0x80);
    EXPECT_EQ(notify_button,
              concatenate({{0x86, 0x5c, 0x2e}, text_bytes("_SB_PWRB"), {0x0a, 0x80}}));
    EXPECT_EQ(if_then(bitwise_and(local(0), integer(1)), {notify_button}),
              concatenate({{0xa0, 0x12, 0x7b, 0x60, 0x01, 0x00}, notify_button}));
}

TEST(AmlObjects, LargeBodiesGetLongerPackageLengths) {
    std::vector<Bytes> names;
    for (int i = 0; i < 1000; ++i) names.push_back(name("_UID", integer(0x12345678)));
    Bytes big = device("BIG0", names);  // 1000 * 10 + 4 bytes of body
    size_t size = 0;
    ASSERT_EQ(big[0], 0x5b);
    EXPECT_EQ(decode_package_length(big, 2, &size), big.size() - 2);
    EXPECT_EQ(size, 3u);
}

TEST(AmlResources, DescriptorsMatchTheSpecLayouts) {
    using namespace resource;
    EXPECT_EQ(io_port(0x3f8, 0x3f8, 0, 8), (Bytes{0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08}));
    EXPECT_EQ(fixed_io(0x64, 1), (Bytes{0x4b, 0x64, 0x00, 0x01}));
    EXPECT_EQ(irq_no_flags(4), (Bytes{0x22, 0x10, 0x00}));
    EXPECT_EQ(memory32_fixed(true, 0xd000'0000, 0x200),
              (Bytes{0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00}));
    EXPECT_EQ(extended_interrupt(Trigger::edge, Polarity::active_high, Sharing::exclusive, 5),
              (Bytes{0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00}));
    EXPECT_EQ(extended_interrupt(Trigger::level, Polarity::active_low, Sharing::shared, 0x1234)[3],
              0x0d);
}

TEST(AmlResources, TemplateIsABufferEndingInAnEndTag) {
    Bytes crs = resource_template({resource::irq_no_flags(4)});
    // BufferOp PkgLength BufferSize(5) IRQ descriptor, end tag 0x79 with checksum 0.
    EXPECT_EQ(crs, (Bytes{0x11, 0x08, 0x0a, 0x05, 0x22, 0x10, 0x00, 0x79, 0x00}));
}

}  // namespace
}  // namespace twinbox::aml
