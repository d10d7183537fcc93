#include "cloud/api/xml.h"

#include <map>
#include <pugixml.hpp>
#include <sstream>

namespace twinbox::cloud::api {

namespace {

struct XmlRoot {
    const char* action;
    const char* shape;
};
struct XmlName {
    const char* shape;
    const char* member;  // "" for a list's item element
    const char* xml;
    const char* target;  // "" for a scalar
};
#include "cloud/api/ec2_xml_names.inc"

struct Entry {
    std::string_view xml, target;
};
using Table = std::map<std::pair<std::string_view, std::string_view>, Entry>;

const Table& table() {
    static const Table names = [] {
        Table built;
        for (const auto& row : kXmlNames) built[{row.shape, row.member}] = {row.xml, row.target};
        return built;
    }();
    return names;
}

const Entry* lookup(std::string_view shape, std::string_view member) {
    auto found = table().find({shape, member});
    return found == table().end() ? nullptr : &found->second;
}

// XML 1.0 has no place for most control characters (section 2.2, Char);
// one in a tag value or a message is left out rather than breaking the document.
std::string xml_safe(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r')
            out += c;
    return out;
}

std::string scalar_text(const nlohmann::json& value) {
    if (value.is_string())
        return xml_safe(value.get<std::string>());
    if (value.is_boolean())
        return value.get<bool>() ? "true" : "false";
    if (value.is_null())
        return "";
    return value.dump();
}

void write(pugi::xml_node parent, std::string_view name, const nlohmann::json& value,
           std::string_view shape);

// A list: one <item> (or the model's item name) per element.
void write_list(pugi::xml_node element, const nlohmann::json& value, std::string_view shape) {
    const Entry* item = lookup(shape, "");
    std::string item_name = item ? std::string(item->xml) : "item";
    std::string_view item_shape = item ? item->target : "";
    for (const auto& element_value : value) write(element, item_name, element_value, item_shape);
}

void write_members(pugi::xml_node element, const nlohmann::json& value, std::string_view shape) {
    for (const auto& [key, member] : value.items()) {
        const Entry* entry = lookup(shape, key);
        std::string name = entry ? std::string(entry->xml) : key;
        if (!entry && !name.empty())
            name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
        write(element, name, member, entry ? entry->target : "");
    }
}

void write(pugi::xml_node parent, std::string_view name, const nlohmann::json& value,
           std::string_view shape) {
    pugi::xml_node element = parent.append_child(std::string(name).c_str());
    if (value.is_array())
        write_list(element, value, shape);
    else if (value.is_object())
        write_members(element, value, shape);
    else
        element.text().set(scalar_text(value).c_str());
}

std::string text_of(const pugi::xml_document& document) {
    std::ostringstream out;
    document.save(out, "", pugi::format_raw, pugi::encoding_utf8);
    return out.str();
}

pugi::xml_document declared() {
    pugi::xml_document document;
    auto declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    return document;
}

const XmlRoot* root_of(std::string_view action) {
    for (const auto& root : kXmlRoots)
        if (action == root.action)
            return &root;
    return nullptr;
}

}  // namespace

bool has_xml_shape(std::string_view action) {
    return root_of(action) != nullptr;
}

std::string response_xml(std::string_view action, const nlohmann::json& result,
                         std::string_view request_id) {
    pugi::xml_document document = declared();
    pugi::xml_node response = document.append_child((std::string(action) + "Response").c_str());
    response.append_attribute("xmlns") = kEc2Namespace;
    response.append_child("requestId").text().set(std::string(request_id).c_str());
    const XmlRoot* root = root_of(action);
    std::string_view shape = root ? root->shape : "";
    if (shape.empty() && !result.is_object())
        response.append_child("return").text().set("true");
    else if (result.is_object())
        write_members(response, result, shape);
    return text_of(document);
}

std::string error_xml(std::string_view code, std::string_view message,
                      std::string_view request_id) {
    pugi::xml_document document = declared();
    pugi::xml_node response = document.append_child("Response");
    pugi::xml_node error = response.append_child("Errors").append_child("Error");
    error.append_child("Code").text().set(std::string(code).c_str());
    error.append_child("Message").text().set(xml_safe(std::string(message)).c_str());
    response.append_child("RequestID").text().set(std::string(request_id).c_str());
    return text_of(document);
}

}  // namespace twinbox::cloud::api
