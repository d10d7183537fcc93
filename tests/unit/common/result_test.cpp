// Error (common/result.h): the exit status and kind it carries survive the
// context that callers add on the way up, so the one report() in cli/ exits
// with the status the failing layer chose (125/126/127, common/exit_codes.h).
#include "common/result.h"

#include <gtest/gtest.h>

#include "common/exit_codes.h"

namespace twinbox {
namespace {

Result<int> fails_with(int status) {
    return Error::message("sh: no such program").with_exit_status(status);
}

Result<int> caller(int status) {
    int value = TRY(fails_with(status).with_context("exec"));
    return value;
}

TEST(Error, DefaultsToTwinboxFailure) {
    EXPECT_EQ(Error::message("bad flag").exit_status(), exit_code::kTwinboxError);
    EXPECT_EQ(Error::from_errno("open", "/x", ENOENT).exit_status(), 125);
    EXPECT_EQ(Error::message("bad flag").kind(), Error::Kind::Other);
}

TEST(Error, StatusAndKindSurviveContextAndTry) {
    auto result = caller(exit_code::kNotFound);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().exit_status(), 127);
    EXPECT_EQ(result.error().to_string(), "exec: sh: no such program");
    auto damaged = Error::message("state.json is damaged")
                       .with_kind(Error::Kind::Damaged)
                       .with_hint("rm -f it")
                       .with_context("container c1");
    EXPECT_EQ(damaged.kind(), Error::Kind::Damaged);
    EXPECT_EQ(damaged.exit_status(), 125);
}

TEST(ExitCodes, ShellConventions) {
    EXPECT_EQ(exit_code::for_signal(9), 137);
    EXPECT_EQ(exit_code::of_wait_status(42 << 8), 42);  // WIFEXITED, status 42
    EXPECT_EQ(exit_code::of_wait_status(15), 143);      // WIFSIGNALED, SIGTERM
}

}  // namespace
}  // namespace twinbox
