// The demo's probe, fact parsing and side-by-side table (cli/demo_probe).
#include "cli/demo_probe.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

namespace twinbox::cli {
namespace {

TEST(DemoProbe, TravelsOnAKernelCommandLine) {
    std::string probe = demo_probe_script();
    // TWINBOX_RUN="..." on the command line: no double quotes inside, and well
    // under the 2048-byte x86 COMMAND_LINE_SIZE together with the default line.
    EXPECT_EQ(probe.find('"'), std::string::npos);
    EXPECT_LT(probe.size(), 1200u);
}

TEST(DemoProbe, RunsInTheHostShellAndReportsEveryFact) {
    // The probe is plain sh: run it here and parse what it prints.
    std::string command = "sh -c \"" + demo_probe_script() + "\"";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[4096];
    while (size_t got = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, got);
    ASSERT_EQ(WEXITSTATUS(::pclose(pipe)), 0) << output;
    auto facts = parse_demo_facts(output);
    for (const char* key :
         {"KERNEL", "PID1", "PROCESSES", "HYPERVISOR", "MEMORY", "CPUS", "HOSTNAME", "NETDEV"})
        EXPECT_TRUE(facts.count(key)) << key << " missing from:\n" << output;
    EXPECT_GT(std::stoi(facts["PROCESSES"]), 1);
    EXPECT_NE(facts["MEMORY"].find("kB"), std::string::npos);
    EXPECT_NE(facts["NETDEV"].find("lo"), std::string::npos);
}

TEST(DemoProbe, FactsArePickedOutOfConsoleNoise) {
    auto facts = parse_demo_facts(
        "[    0.512] random: crng init done\r\n"
        "twinbox-demo:KERNEL=6.1.0-28-amd64\r\n"
        "garbage twinbox-demo:PID1=/init \n"
        "twinbox-demo:=no key\n"
        "twinbox-demo:NOEQUALS\n"
        "twinbox-demo:EMPTY=\n");
    EXPECT_EQ(facts.size(), 3u);
    EXPECT_EQ(facts["KERNEL"], "6.1.0-28-amd64");
    EXPECT_EQ(facts["PID1"], "/init");
    EXPECT_EQ(facts["EMPTY"], "");
}

TEST(DemoProbe, ExitTotalFromTheStatsTable) {
    EXPECT_EQ(parse_exit_total("noise\nexits to twinbox: 1234 (exits KVM handled...)\n"), 1234u);
    EXPECT_FALSE(parse_exit_total("exits to twinbox: none"));
    EXPECT_FALSE(parse_exit_total(""));
    // 19 digits at most: a hostile or corrupt number cannot overflow.
    EXPECT_EQ(parse_exit_total("exits to twinbox: 99999999999999999999999"), 9999999999999999999u);
}

TEST(DemoProbe, RendersAKnownTable) {
    DemoRun container;
    container.name = "container";
    container.facts = {{"KERNEL", "6.1.0-host"}, {"PID1", "sh -c probe"}};
    container.elapsed = std::chrono::milliseconds(42);
    DemoRun vm;
    vm.name = "vm";
    vm.facts = {{"KERNEL", "6.1.0-guest"}, {"HYPERVISOR", "yes"}};
    vm.elapsed = std::chrono::milliseconds(5100);
    vm.vm_exits = 3170;
    DemoRun broken;
    broken.name = "broken";
    broken.error = "exited with status 125 and printed no facts";
    std::string table = render_demo({container, vm, broken});
    EXPECT_NE(
        table.find(
            "kernel (uname -r)           6.1.0-host                    6.1.0-guest                   -"),
        std::string::npos)
        << table;
    EXPECT_NE(table.find("cpuinfo 'hypervisor' flag   ?                             yes"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("42 ms"), std::string::npos);
    EXPECT_NE(table.find("5100 ms"), std::string::npos);
    EXPECT_NE(table.find("none (no VM)"), std::string::npos);
    EXPECT_NE(table.find("3170"), std::string::npos);
    EXPECT_NE(table.find("broken: exited with status 125"), std::string::npos);
}

}  // namespace
}  // namespace twinbox::cli
