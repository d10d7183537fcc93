#include "common/size.h"

#include <fmt/core.h>

#include <cctype>
#include <cmath>
#include <string>

namespace twinbox {

Result<uint64_t> parse_size(std::string_view text, uint64_t default_unit) {
    auto bad = [&] {
        return Error::message(fmt::format("'{}' is not a size", text))
            .with_hint("write a number with an optional unit K, M or G, for example 512M or 2G");
    };
    size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        ++digits;
    if (digits == 0)
        return bad();
    double number = 0;
    try {
        size_t used = 0;
        number = std::stod(std::string(text.substr(0, digits)), &used);
        if (used != digits)
            return bad();  // "1..2"
    } catch (...) {        // std::stod reports malformed numbers by throwing
        return bad();
    }
    std::string unit(text.substr(digits));
    for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (unit.ends_with("IB"))
        unit.resize(unit.size() - 2);
    else if (unit.size() > 1 && unit.ends_with("B"))
        unit.resize(unit.size() - 1);
    uint64_t multiplier;
    if (unit.empty())
        multiplier = default_unit;
    else if (unit == "B")
        multiplier = 1;
    else if (unit == "K")
        multiplier = 1ull << 10;
    else if (unit == "M")
        multiplier = 1ull << 20;
    else if (unit == "G")
        multiplier = 1ull << 30;
    else if (unit == "T")
        multiplier = 1ull << 40;
    else
        return bad();
    double bytes = number * static_cast<double>(multiplier);
    if (!std::isfinite(bytes) || bytes >= 18446744073709551615.0)
        return bad();
    return static_cast<uint64_t>(bytes);
}

}  // namespace twinbox
