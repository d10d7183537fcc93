// The Dockerfile parser: every instruction, continuations, comments, exec
// and shell form, flags, bad lines; variables and KEY=VALUE lists; the
// build cache key chain; .dockerignore.
#include "host/image/dockerfile.h"

#include <gtest/gtest.h>

#include "host/image/build_context.h"
#include "host/image/builder.h"

namespace twinbox::image {
namespace {

TEST(Dockerfile, ParsesEveryInstruction) {
    auto parsed = parse_dockerfile(R"(# a comment
ARG BASE=busybox
FROM ${BASE}:latest
ARG VERSION=1
ENV A=1 B="two words"
ENV LEGACY the rest of the line
LABEL org.example.name="demo" version=$VERSION
WORKDIR /app
COPY --chown=1000:1000 src/ /app/src/
copy ["a b.txt", "/app/"]
RUN echo hello \
    && echo world
RUN ["/bin/echo", "exec", "form"]
USER nobody
EXPOSE 8080 53/udp
ENTRYPOINT ["/bin/sh", "-c"]
CMD echo hi
)");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    const auto& steps = *parsed;
    ASSERT_EQ(steps.size(), 15u);
    EXPECT_EQ(steps[0].keyword, "ARG");
    EXPECT_EQ(steps[1].keyword, "FROM");
    EXPECT_EQ(steps[1].text, "${BASE}:latest");
    EXPECT_EQ(steps[1].line, 3);
    EXPECT_EQ(steps[5].keyword, "LABEL");
    EXPECT_EQ(steps[7].keyword, "COPY");
    EXPECT_EQ(steps[7].flags.at("chown"), "1000:1000");
    EXPECT_EQ(steps[7].text, "src/ /app/src/");
    EXPECT_EQ(steps[8].keyword, "COPY");  // keywords are case-insensitive
    EXPECT_TRUE(steps[8].exec_form);
    EXPECT_EQ(steps[8].args, (std::vector<std::string>{"a b.txt", "/app/"}));
    EXPECT_EQ(steps[9].keyword, "RUN");
    EXPECT_FALSE(steps[9].exec_form);
    EXPECT_EQ(steps[9].text, "echo hello  && echo world");
    EXPECT_EQ(steps[9].line, 11);
    EXPECT_EQ(steps[10].line, 13);
    EXPECT_TRUE(steps[10].exec_form);
    EXPECT_EQ(steps[10].args, (std::vector<std::string>{"/bin/echo", "exec", "form"}));
    EXPECT_EQ(steps[12].keyword, "EXPOSE");
    EXPECT_TRUE(steps[13].exec_form);
    EXPECT_FALSE(steps[14].exec_form);
    EXPECT_EQ(steps[14].args, std::vector<std::string>{"echo hi"});
}

TEST(Dockerfile, CommentsInsideContinuationsAndBlankLines) {
    auto parsed = parse_dockerfile("FROM scratch\nRUN a \\\n# comment\n  b \\\n\n  c\nCMD x\n");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    ASSERT_EQ(parsed->size(), 3u);
    EXPECT_EQ((*parsed)[1].text, "a  b  c");
}

TEST(Dockerfile, InvalidJsonIsShellForm) {
    auto parsed = parse_dockerfile("FROM scratch\nRUN [not json\nCMD [\"a\", 1]\n");
    ASSERT_TRUE(parsed);
    EXPECT_FALSE((*parsed)[1].exec_form);
    EXPECT_FALSE((*parsed)[2].exec_form);  // not all strings
}

TEST(Dockerfile, BadLinesNameTheirLine) {
    struct Case {
        const char* text;
        const char* expect;
    };
    for (const Case& c :
         {Case{"FROM scratch\nFOO bar\n", "line 2: unknown instruction FOO"},
          Case{"FROM scratch\nRUN echo \\\n", "line 2: the line continuation"},
          Case{"FROM scratch\nRUN\n", "line 2: RUN needs an argument"},
          Case{"FROM scratch\nADD x /\n", "line 2: ADD is not in the Dockerfile"},
          Case{"FROM scratch\nCOPY --from=a x /\n", "line 2: COPY does not take --from"},
          Case{"FROM scratch\nRUN --mount=type=cache ls\n", "RUN does not take --mount"},
          Case{"FROM scratch\nRUN []\n", "RUN [] has nothing"},
          Case{"# only a comment\n\n", "no instructions"}}) {
        auto parsed = parse_dockerfile(c.text);
        ASSERT_FALSE(parsed) << c.text;
        std::string error = parsed.error().to_string();
        EXPECT_NE(error.find(c.expect), std::string::npos) << error;
        EXPECT_EQ(error.find('\n'), std::string::npos);
    }
}

TEST(Variables, ExpandsLikeDocker) {
    std::map<std::string, std::string> vars = {{"A", "1"}, {"EMPTY", ""}, {"NAME", "app"}};
    EXPECT_EQ(*expand_variables("$A-${A}-$NAME/x", vars), "1-1-app/x");
    EXPECT_EQ(*expand_variables("${MISSING:-def}${A:-def}", vars), "def1");
    EXPECT_EQ(*expand_variables("${A:+set}${EMPTY:+set}${MISSING:+set}", vars), "set");
    EXPECT_EQ(*expand_variables("\\$A $ $MISSING.", vars), "$A $ .");
    EXPECT_FALSE(expand_variables("${A", vars));
    EXPECT_FALSE(expand_variables("${A:?x}", vars));
    EXPECT_FALSE(expand_variables("${}", vars));
}

TEST(Variables, KeyValueListsAndTheLegacyForm) {
    std::map<std::string, std::string> vars = {{"V", "5"}};
    auto pairs = parse_key_values(R"(A=1 B="two words" C=$V D=a\ b E='x y')", vars, true);
    ASSERT_TRUE(pairs) << pairs.error().to_string();
    ASSERT_EQ(pairs->size(), 5u);
    EXPECT_EQ((*pairs)[1], (std::pair<std::string, std::string>{"B", "two words"}));
    EXPECT_EQ((*pairs)[2].second, "5");
    EXPECT_EQ((*pairs)[3].second, "a b");
    EXPECT_EQ((*pairs)[4].second, "x y");
    auto legacy = parse_key_values("KEY some value $V", vars, true);
    ASSERT_TRUE(legacy);
    EXPECT_EQ((*legacy)[0], (std::pair<std::string, std::string>{"KEY", "some value 5"}));
    EXPECT_FALSE(parse_key_values("KEY some value", vars, false));
    EXPECT_FALSE(parse_key_values("A=\"open", vars, true));
    EXPECT_FALSE(parse_key_values("=x", vars, true));
}

TEST(BuildCache, KeysChainFromTheParent) {
    std::string root = chain_key("", "FROM sha256:abc");
    std::string run = chain_key(root, "RUN echo hi");
    EXPECT_EQ(run, chain_key(chain_key("", "FROM sha256:abc"), "RUN echo hi"));
    EXPECT_EQ(run.size(), 64u);
    // Another base, or another step before, changes every key after it.
    EXPECT_NE(run, chain_key(chain_key("", "FROM sha256:abd"), "RUN echo hi"));
    EXPECT_NE(chain_key(run, "RUN b"), chain_key(chain_key(root, "RUN echo ho"), "RUN b"));
    EXPECT_NE(chain_key(root, "RUN a"), chain_key(root, "RUN b"));
}

TEST(DockerIgnore, PatternsExceptionsAndDirectories) {
    auto ignore = DockerIgnore::from_text(
        "# comment\n*.log\nbuild\n!build/keep.txt\n/secret\n**/*.tmp\ndocs/*.md\n!docs/README.md\n");
    EXPECT_TRUE(ignore.ignored("app.log"));
    EXPECT_FALSE(ignore.ignored("src/app.log"));  // * does not cross /
    EXPECT_TRUE(ignore.ignored("build"));
    EXPECT_TRUE(ignore.ignored("build/out/a.o"));
    EXPECT_FALSE(ignore.ignored("build/keep.txt"));
    EXPECT_TRUE(ignore.ignored("secret"));
    EXPECT_TRUE(ignore.ignored("a/b/c.tmp"));
    EXPECT_TRUE(ignore.ignored("docs/guide.md"));
    EXPECT_FALSE(ignore.ignored("docs/README.md"));
    EXPECT_FALSE(ignore.ignored("src/main.c"));
}

}  // namespace
}  // namespace twinbox::image
