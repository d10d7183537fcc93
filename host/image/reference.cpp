// Parsing NAME[:TAG][@DIGEST] by hand, component by component, so that the
// error names the part that is wrong.
#include "host/image/reference.h"

#include <fmt/core.h>

#include "host/image/digest.h"

namespace twinbox::image {

namespace {

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
bool valid_component(std::string_view text) {
    if (text.empty() || !lower_alnum(text.front()) || !lower_alnum(text.back()))
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        if (lower_alnum(text[i]))
            continue;
        size_t run = i;
        while (run < text.size() && !lower_alnum(text[run])) ++run;
        std::string_view separator = text.substr(i, run - i);
        bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
        if (separator != "." && separator != "_" && separator != "__" && !dashes)
            return false;
        i = run - 1;
    }
    return true;
}

bool valid_domain(std::string_view text) {
    auto colon = text.find(':');
    std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
        std::string_view port = text.substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
    }
    if (host.empty() || host.front() == '-' || host.back() == '-' || host.front() == '.' ||
        host.back() == '.' || host.find("..") != std::string_view::npos)
        return false;
    for (char c : host)
        if (!alnum(c) && c != '-' && c != '.')
            return false;
    return true;
}

bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128 || !(alnum(tag[0]) || tag[0] == '_'))
        return false;
    for (char c : tag)
        if (!alnum(c) && c != '_' && c != '.' && c != '-')
            return false;
    return true;
}

Error bad(std::string_view text, std::string_view why) {
    return Error::message(fmt::format("invalid image reference \"{:.100}\": {}", text, why))
        .with_hint("use NAME[:TAG] with lowercase letters, digits and . _ - / in the name");
}

}  // namespace

std::string Reference::to_string() const {
    if (!tag.empty())
        return name + ":" + tag;
    return name + "@" + digest;
}

Result<Reference> parse_reference(std::string_view text) {
    if (text.empty())
        return bad(text, "it is empty");
    Reference reference;
    std::string_view rest = text;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        reference.digest = std::string(rest.substr(at + 1));
        if (!digest_hex(reference.digest))
            return bad(text, "the part after @ is not a sha256:<64 hex digits> digest");
        rest = rest.substr(0, at);
    }
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        reference.tag = std::string(rest.substr(colon + 1));
        if (!valid_tag(reference.tag))
            return bad(text, "the tag may hold only letters, digits, _ . - (at most 128)");
        rest = rest.substr(0, colon);
    } else if (reference.digest.empty()) {
        reference.tag = "latest";
    }
    if (rest.size() > 255)
        return bad(text, "the name is longer than 255 characters");
    size_t start = 0;
    bool first = true;
    for (;;) {
        size_t end = rest.find('/', start);
        std::string_view part =
            rest.substr(start, end == std::string_view::npos ? end : end - start);
        bool is_domain =
            first && end != std::string_view::npos &&
            (part.find_first_of(".:") != std::string_view::npos || part == "localhost");
        if (is_domain ? !valid_domain(part) : !valid_component(part))
            return bad(text, part.empty()
                                 ? "a name component is empty"
                                 : fmt::format("\"{:.60}\" is not a valid name component", part));
        first = false;
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    reference.name = std::string(rest);
    return reference;
}

}  // namespace twinbox::image
