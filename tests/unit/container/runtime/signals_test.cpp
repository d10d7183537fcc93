// Signal names as users type them (container/runtime/signals).
#include "container/runtime/signals.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace twinbox::container {
namespace {

TEST(SignalNames, NumbersNamesAndPrefixes) {
    EXPECT_EQ(*parse_signal("9"), SIGKILL);
    EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
    EXPECT_EQ(*parse_signal("SIGTERM"), SIGTERM);
    EXPECT_EQ(*parse_signal("sigusr1"), SIGUSR1);
    EXPECT_EQ(*parse_signal("hup"), SIGHUP);
    EXPECT_EQ(*parse_signal("WINCH"), SIGWINCH);
}

TEST(SignalNames, RealTimeSignals) {
    EXPECT_EQ(*parse_signal("RTMIN"), SIGRTMIN);
    EXPECT_EQ(*parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
    EXPECT_EQ(*parse_signal("RTMAX-1"), SIGRTMAX - 1);
    EXPECT_FALSE(parse_signal("RTMIN-1"));
    EXPECT_FALSE(parse_signal("RTMIN+100"));
}

TEST(SignalNames, NonsenseIsRejected) {
    for (const char* text : {"", "0", "-9", "65", "SIG", "KILLL", "9x", "SIGKILL "})
        EXPECT_FALSE(parse_signal(text)) << text;
}

TEST(SignalNames, NumbersBackToNames) {
    EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
}

}  // namespace
}  // namespace twinbox::container
