// The Dockerfile subset twinbox builds (Docker's "Dockerfile reference";
// the parser mirrors moby/buildkit frontend/dockerfile/parser):
//
//   FROM image|scratch      RUN cmd | RUN ["exe","arg"]   COPY [--chown=U:G] src... dest
//   ENV K=V ... | ENV K V   ARG NAME[=default]             WORKDIR /path
//   USER user[:group]       CMD / ENTRYPOINT (both forms)  EXPOSE 80[/tcp] ...
//   LABEL k=v ...
//
// A line ending in "\" continues on the next; lines starting with "#" are
// comments (also inside a continuation); keywords are case-insensitive.
// Variables ($VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}) are expanded in
// FROM, COPY, ENV, ARG, WORKDIR, USER, EXPOSE and LABEL, not in RUN, CMD
// or ENTRYPOINT (the shell or the program sees them).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace twinbox::image {

struct Instruction {
    int line = 0;         // where it starts, for errors
    std::string keyword;  // upper case: "RUN"
    std::string text;     // the arguments, continuations joined
    bool exec_form = false;
    std::vector<std::string> args;             // exec form: the JSON array; shell form: {text}
    std::map<std::string, std::string> flags;  // COPY --chown=...

    std::string to_string() const { return keyword + " " + text; }
};

// Splits the file into instructions; every syntax error names its line.
Result<std::vector<Instruction>> parse_dockerfile(std::string_view text);

// Expands $VAR and ${VAR...} with `vars`; "\$" is a literal "$".
Result<std::string> expand_variables(std::string_view text,
                                     const std::map<std::string, std::string>& vars);

// ENV and LABEL arguments: K=V pairs (quotes and backslashes as in the
// shell), or the old single "K V" form. Values are expanded with `vars`.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(
    std::string_view text, const std::map<std::string, std::string>& vars, bool allow_legacy);

}  // namespace twinbox::image
