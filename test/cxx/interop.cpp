// interop.cpp - a C++ process and a C process (the indexbus CLI, $IB_CLI,
// which cxx.mk sets) exchange messages on one region: C++ publishes and C
// receives the exact lines; C publishes lines and synthetic sequence-numbered
// messages and C++ receives the exact bytes, in order. One fresh region per
// direction (a region whose consumer has come and gone refuses publishers).
#include "check.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using indexbus::Consumer;
using indexbus::Producer;
using indexbus::Region;
using namespace std::chrono_literals;

static std::string cli()
{
    const char *p = std::getenv("IB_CLI");
    REQUIRE(p != nullptr && *p != '\0');
    return p;
}

// Run `cmd` in a shell; what it printed on stdout.
static std::string run(const std::string &cmd)
{
    std::string out;
    FILE *f = popen(cmd.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[256];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    CHECK(pclose(f) == 0);
    return out;
}

static void test_cxx_to_c()
{
    const std::string n = ibx::name("to-c");
    ibx::Unlink u(n);
    Region r = Region::create(n);
    {
        Producer p = Producer::open(r);
        p.publish("one");
        p.publish("two words");
        p.publish("three");
    }
    CHECK(run(cli() + " sub " + n + " --count 3 --timeout-ms 5000 2>/dev/null") ==
          "one\ntwo words\nthree\n");
}

static void test_c_to_cxx()
{
    const std::string n = ibx::name("from-c");
    ibx::Unlink u(n);
    Region r = Region::create(n);
    Consumer c = Consumer::open(r);
    FILE *f = popen((cli() + " pub " + n + " 2>/dev/null").c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("from C\nagain\n", f);
    CHECK(pclose(f) == 0);
    CHECK(c.recv_string(5s) == "from C");
    CHECK(c.recv_string(5s) == "again");
    // synthetic messages: 8-byte little-endian sequence numbers, then fill
    run(cli() + " pub " + n + " --count 100 --size 24 2>/dev/null");
    for (std::uint64_t i = 0; i < 100; i++) {
        std::byte buf[64];
        std::size_t len = c.recv(buf, 5s);
        CHECK(len == 24);
        std::uint64_t seq = 0;
        for (int b = 7; b >= 0; b--)
            seq = seq << 8 | std::to_integer<std::uint64_t>(buf[b]);
        CHECK(seq == i);
    }
    std::byte buf[8];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_DISCONNECTED); // the C producers closed
}

int main()
{
    test_cxx_to_c();
    test_c_to_cxx();
    return ibx::summary();
}
