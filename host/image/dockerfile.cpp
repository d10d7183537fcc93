// Dockerfile parsing: lines -> instructions (continuations, comments,
// exec/shell form, flags), and the variable and key=value grammar.
#include "host/image/dockerfile.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "common/json_reader.h"

namespace twinbox::image {

namespace {

const std::set<std::string> kKeywords = {"FROM", "RUN", "COPY",       "ENV",    "ARG",  "WORKDIR",
                                         "USER", "CMD", "ENTRYPOINT", "EXPOSE", "LABEL"};
const std::set<std::string> kUnsupported = {"ADD",   "VOLUME",      "ONBUILD",   "STOPSIGNAL",
                                            "SHELL", "HEALTHCHECK", "MAINTAINER"};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

Error at_line(int line, std::string_view what) {
    return Error::message(fmt::format("Dockerfile line {}: {}", line, what));
}

Result<Instruction> make_instruction(int line, std::string_view joined) {
    Instruction instruction;
    instruction.line = line;
    auto space = joined.find_first_of(" \t");
    std::string keyword(joined.substr(0, space));
    std::transform(keyword.begin(), keyword.end(), keyword.begin(), ::toupper);
    if (kUnsupported.contains(keyword))
        return at_line(line,
                       fmt::format("{} is not in the Dockerfile subset twinbox builds", keyword));
    if (!kKeywords.contains(keyword))
        return at_line(line, fmt::format("unknown instruction {:.40}", keyword))
            .with_hint(
                "twinbox knows FROM RUN COPY ENV ARG WORKDIR USER CMD ENTRYPOINT EXPOSE LABEL");
    instruction.keyword = keyword;
    std::string_view rest = space == std::string_view::npos ? "" : trim(joined.substr(space));
    // Flags (--chown=0:0) come first, for COPY and RUN.
    while (rest.starts_with("--")) {
        auto end = rest.find_first_of(" \t");
        std::string flag(rest.substr(2, end == std::string_view::npos ? end : end - 2));
        auto equals = flag.find('=');
        std::string name = flag.substr(0, equals);
        if (keyword != "COPY" || (name != "chown" && name != "chmod"))
            return at_line(line, fmt::format("{} does not take --{}{}", keyword, name,
                                             name == "from" ? " (no multi-stage builds)" : ""));
        instruction.flags[name] = equals == std::string::npos ? "" : flag.substr(equals + 1);
        rest = end == std::string_view::npos ? "" : trim(rest.substr(end));
    }
    instruction.text = std::string(rest);
    if (instruction.text.empty())
        return at_line(line, fmt::format("{} needs an argument", keyword));
    if (rest.starts_with("[") &&
        (keyword == "RUN" || keyword == "CMD" || keyword == "ENTRYPOINT" || keyword == "COPY")) {
        // Exec form is a JSON array of strings; anything else Docker takes as
        // shell form, so text that does not read as one is not an error here.
        auto array = json_reader::parse(rest);
        std::vector<std::string> args;
        if (array && json_reader::read(json_reader::Node(*array, "", "exec form"), args)) {
            instruction.args = std::move(args);
            instruction.exec_form = true;
            if (instruction.args.empty() && keyword != "CMD" && keyword != "ENTRYPOINT")
                return at_line(line, fmt::format("{} [] has nothing to run", keyword));
            return instruction;
        }
    }
    instruction.args = {instruction.text};
    return instruction;
}

}  // namespace

Result<std::vector<Instruction>> parse_dockerfile(std::string_view text) {
    std::vector<Instruction> instructions;
    std::string joined;
    int start_line = 0, number = 0;
    bool continuing = false;
    size_t position = 0;
    while (position <= text.size()) {
        auto end = text.find('\n', position);
        std::string_view raw =
            text.substr(position, end == std::string_view::npos ? end : end - position);
        position = end == std::string_view::npos ? text.size() + 1 : end + 1;
        ++number;
        std::string_view line = trim(raw);
        if (line.starts_with("#"))
            continue;  // a comment (or a parser directive, which twinbox ignores)
        if (line.empty())
            continue;  // blank lines end nothing, not even a continuation (as Docker)
        if (!continuing)
            start_line = number;
        bool continues = line.ends_with("\\");
        if (continues)
            line.remove_suffix(1);
        joined += line;
        if (continues) {
            continuing = true;
            joined += ' ';
            continue;
        }
        continuing = false;
        if (!trim(joined).empty())
            instructions.push_back(TRY(make_instruction(start_line, trim(joined))));
        joined.clear();
    }
    if (continuing)
        return at_line(start_line, "the line continuation (\\) runs into the end of the file");
    if (instructions.empty())
        return Error::message("the Dockerfile has no instructions");
    return instructions;
}

Result<std::string> expand_variables(std::string_view text,
                                     const std::map<std::string, std::string>& vars) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        if (c != '$' || i + 1 == text.size()) {
            out += c;
            continue;
        }
        std::string name, modifier, word;
        if (text[i + 1] == '{') {
            auto close = text.find('}', i + 2);
            if (close == std::string_view::npos)
                return Error::message(fmt::format("missing }} in \"{:.80}\"", text));
            std::string inner(text.substr(i + 2, close - i - 2));
            auto colon = inner.find(':');
            name = inner.substr(0, colon);
            if (colon != std::string::npos) {
                if (colon + 1 >= inner.size() ||
                    (inner[colon + 1] != '-' && inner[colon + 1] != '+'))
                    return Error::message(fmt::format("unsupported modifier in ${{{}}}", inner));
                modifier = inner.substr(colon + 1, 1);
                word = inner.substr(colon + 2);
            }
            i = close;
        } else {
            size_t j = i + 1;
            while (j < text.size() &&
                   (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
                ++j;
            if (j == i + 1) {
                out += '$';
                continue;
            }
            name = std::string(text.substr(i + 1, j - i - 1));
            i = j - 1;
        }
        if (name.empty())
            return Error::message(fmt::format("empty variable name in \"{:.80}\"", text));
        auto found = vars.find(name);
        bool set = found != vars.end() && !found->second.empty();
        if (modifier == "-")
            out += set ? found->second : word;
        else if (modifier == "+")
            out += set ? word : "";
        else if (found != vars.end())
            out += found->second;
    }
    return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(
    std::string_view text, const std::map<std::string, std::string>& vars, bool allow_legacy) {
    // Words, with quotes and backslash escapes removed (after expansion).
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < text.size())
                word += text[++i];
            else
                word += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (quote)
        return Error::message(fmt::format("unterminated quote in \"{:.80}\"", text));
    if (in_word)
        words.push_back(word);
    std::vector<std::pair<std::string, std::string>> pairs;
    if (words.empty())
        return Error::message("expected KEY=VALUE");
    if (words[0].find('=') == std::string::npos) {
        // Old form: ENV KEY the rest of the line.
        auto space = trim(text).find_first_of(" \t");
        if (!allow_legacy || space == std::string_view::npos)
            return Error::message(fmt::format("expected KEY=VALUE, got \"{:.80}\"", text));
        std::string value = TRY(expand_variables(trim(trim(text).substr(space)), vars));
        return std::vector<std::pair<std::string, std::string>>{{words[0], value}};
    }
    for (const auto& item : words) {
        auto equals = item.find('=');
        if (equals == std::string::npos || equals == 0)
            return Error::message(fmt::format("expected KEY=VALUE, got \"{:.80}\"", item));
        pairs.emplace_back(item.substr(0, equals),
                           TRY(expand_variables(item.substr(equals + 1), vars)));
    }
    return pairs;
}

}  // namespace twinbox::image
