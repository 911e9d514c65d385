// demo_sub.cpp - the C++ consumer of `make demo` (tools/demo.sh): a small
// user of the header-only C++17 API, <indexbus/indexbus.hpp>.
//
//     demo-sub-cxx NAME INDEX [EXPECTED]
//
// Opens region NAME, attaches consumer INDEX and receives until every
// producer is gone and everything is drained (Status::disconnected),
// checking that the 8-byte little-endian sequence numbers at the start of
// each message are 0, 1, 2, ... Then prints one summary line on stdout, in
// the format of `indexbus sub --check-seq` with the language in front (the
// time is from the first to the last message):
//
//     c++ consumer 4: 100000 messages, 6400000 bytes in 0.081 s (1.23M msg/s); seq order ok, 0 gaps
//
// Exits 1 if a message was missing, out of order or shorter than 8 bytes,
// if EXPECTED was given and a different number arrived, or on any error;
// 2 on a usage error. Built by `make demo` (g++ -std=c++17, -lindexbus).
#include <indexbus/indexbus.hpp>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char usage[] = "usage: demo-sub-cxx NAME INDEX [EXPECTED]";
// Each blocking receive waits at most this long, then simply waits again.
constexpr std::chrono::seconds wait_slice{1};

// Follows the sequence numbers the way `indexbus sub --check-seq` does:
// numbers skipped relative to 0, 1, 2, ... are gaps, a number not above the
// highest seen so far is out of order.
struct SeqCheck {
    std::uint64_t expect = 0, gaps = 0, missing = 0, out_of_order = 0, too_short = 0;

    void observe(const std::byte *msg, std::size_t len)
    {
        if (len < 8) {
            too_short++;
            return;
        }
        std::uint64_t seq = 0;
        for (int i = 7; i >= 0; i--) // little-endian, whatever the host
            seq = seq << 8 | static_cast<std::uint64_t>(msg[i]);
        if (seq < expect) {
            out_of_order++;
            return;
        }
        if (seq > expect) {
            gaps++;
            missing += seq - expect;
        }
        expect = seq + 1;
    }
    bool ok() const { return gaps == 0 && out_of_order == 0 && too_short == 0; }

    std::string str() const
    {
        char buf[160];
        int n = out_of_order ? std::snprintf(buf, sizeof buf, "seq %" PRIu64 " out of order",
                                             out_of_order)
                             : std::snprintf(buf, sizeof buf, "seq order ok");
        n += std::snprintf(buf + n, sizeof buf - n, ", %" PRIu64 " gaps", gaps);
        if (gaps)
            n += std::snprintf(buf + n, sizeof buf - n, " (%" PRIu64 " missing)", missing);
        if (too_short)
            std::snprintf(buf + n, sizeof buf - n, ", %" PRIu64 " shorter than 8 bytes", too_short);
        return buf;
    }
};

// n per secs like the CLI: "812.3k", "1.25M", "n/a".
std::string rate(std::uint64_t n, double secs)
{
    char buf[32];
    if (secs <= 0)
        return "n/a";
    double r = static_cast<double>(n) / secs;
    if (r >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2fM", r / 1e6);
    else if (r >= 1e3)
        std::snprintf(buf, sizeof buf, "%.1fk", r / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.1f", r);
    return buf;
}

bool parse_u64(const char *s, std::uint64_t &out)
{
    char *end = nullptr;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (*end != 0)
        return false;
    out = v;
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    std::uint64_t index = 0, expected = 0;
    bool want_count = argc == 4;
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "demo-sub-cxx: NAME and INDEX are required\n%s\n", usage);
        return 2;
    }
    if (!parse_u64(argv[2], index) || index > UINT32_MAX) {
        std::fprintf(stderr, "demo-sub-cxx: bad consumer index '%s'\n%s\n", argv[2], usage);
        return 2;
    }
    if (want_count && !parse_u64(argv[3], expected)) {
        std::fprintf(stderr, "demo-sub-cxx: bad expected count '%s'\n%s\n", argv[3], usage);
        return 2;
    }
    const std::string name = argv[1];
    char who[48];
    std::snprintf(who, sizeof who, "c++ consumer %" PRIu64, index);

    using clock = std::chrono::steady_clock;
    std::uint64_t msgs = 0, bytes = 0;
    clock::time_point first, last;
    SeqCheck seq;
    int recv_status = INDEXBUS_OK;
    try {
        indexbus::Region region = indexbus::Region::open(name);
        indexbus::Consumer consumer =
            indexbus::Consumer::open(region, static_cast<std::uint32_t>(index));
        std::vector<std::byte> buf(region.info().slot_data_size);
        for (;;) {
            std::size_t n = 0;
            int st = consumer.try_recv(buf, n, wait_slice);
            if (st == INDEXBUS_TIMEOUT)
                continue; // nothing yet: keep waiting
            if (st == INDEXBUS_DISCONNECTED)
                break; // producers gone, everything received
            if (st != INDEXBUS_OK) {
                recv_status = st;
                break;
            }
            last = clock::now();
            if (msgs == 0)
                first = last;
            msgs++;
            bytes += n;
            seq.observe(buf.data(), n);
        }
    } catch (const indexbus::Error &e) {
        std::fprintf(stderr, "%s: %s: %s\n", who, name.c_str(), e.what());
        return 1;
    }

    double secs = std::chrono::duration<double>(last - first).count();
    std::printf("%s: %" PRIu64 " message%s, %" PRIu64 " bytes in %.3f s (%s msg/s); %s\n", who,
                msgs, msgs == 1 ? "" : "s", bytes, secs, rate(msgs, secs).c_str(),
                seq.str().c_str());
    std::fflush(stdout);
    if (recv_status != INDEXBUS_OK) {
        std::fprintf(stderr, "%s: recv: %s\n", who, indexbus_strerror(recv_status));
        return 1;
    }
    if (!seq.ok()) {
        std::fprintf(stderr, "%s: sequence check failed\n", who);
        return 1;
    }
    if (want_count && msgs != expected) {
        std::fprintf(stderr, "%s: got %" PRIu64 " of %" PRIu64 " messages\n", who, msgs,
                     expected);
        return 1;
    }
    return 0;
}
