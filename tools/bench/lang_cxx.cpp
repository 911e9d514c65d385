// lang_cxx.cpp - the C++ side of the binding benches (langs.c defines the
// protocol; the C twin is lang_c.c), written on <indexbus/indexbus.hpp>:
//     bench-lang-cxx NAME SIZE BATCH WARMUP COUNT
// One process creates events region NAME (SIZE-byte slots, at least 64,
// default slot count, prefaulted), opens an SPSC Producer and the Consumer,
// then alternates: publish BATCH messages of SIZE bytes (try_publish when
// BATCH is 1, else one try_publish_batch of a packed buffer), then receive
// them (try_recv, or try_recv_batch of up to BATCH until all BATCH are in)
// - the non-throwing hot-path calls, returning the status. WARMUP messages
// first, untimed; then COUNT timed, in SEGMENTS equal segments, each on the
// wall clock and on the CPU clock of the thread that runs the loop. Prints
// one JSON line, like lang_c.c with "lang":"cxx"; msgs_per_cpu_s is the
// fastest segment's. Built with -std=c++17 -O2 and linked with the static
// library, as lang_c.c is.
#include <indexbus/indexbus.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace {

constexpr int segments = 5;

[[noreturn]] void fail(const char *what, int st)
{
    std::fprintf(stderr, "bench-lang-cxx: %s: %s\n", what, indexbus_strerror(st));
    std::exit(1);
}

double thread_cpu_s()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Bench {
    indexbus::Producer tx;
    indexbus::Consumer rx;
    std::vector<std::byte> msgs;  // BATCH messages of SIZE bytes, back to back
    std::vector<std::uint32_t> lens; // their lengths (all SIZE)
    std::vector<std::byte> buf;   // receive buffer: BATCH slots' worth
    std::vector<std::uint32_t> rlens;
    std::size_t size = 0;
    std::uint32_t batch = 0;

    // Publish and receive `rounds` batches.
    void run(std::uint64_t rounds)
    {
        indexbus::const_bytes one(msgs.data(), size);
        indexbus::const_bytes packed(msgs.data(), msgs.size());
        indexbus::mutable_bytes out(buf.data(), buf.size());
        indexbus::span<const std::uint32_t> ls(lens.data(), lens.size());
        int st;
        for (std::uint64_t r = 0; r < rounds; r++) {
            if (batch == 1) {
                std::size_t len = 0;
                if ((st = tx.try_publish(one)) != INDEXBUS_OK)
                    fail("try_publish", st);
                if ((st = rx.try_recv(out, len)) != INDEXBUS_OK)
                    fail("try_recv", st);
                if (len != size)
                    fail("try_recv length", INDEXBUS_CORRUPT);
                continue;
            }
            std::size_t n = 0;
            if ((st = tx.try_publish_batch(packed, ls, n)) != INDEXBUS_OK)
                fail("try_publish_batch", st);
            for (std::size_t got = 0; got < batch;) {
                std::size_t k = 0;
                indexbus::span<std::uint32_t> rl(rlens.data(), batch - got);
                if ((st = rx.try_recv_batch(out, rl, k)) != INDEXBUS_OK)
                    fail("try_recv_batch", st);
                got += k;
            }
        }
    }
};

} // namespace

int main(int argc, char **argv)
{
    if (argc != 6) {
        std::fprintf(stderr, "usage: bench-lang-cxx NAME SIZE BATCH WARMUP COUNT\n");
        return 2;
    }
    const std::string name = argv[1];
    const auto size = static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10));
    const auto batch = static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10));
    const std::uint64_t warmup = std::strtoull(argv[4], nullptr, 10);
    const std::uint64_t count = std::strtoull(argv[5], nullptr, 10);
    if (size == 0 || batch == 0 || batch > 1024 || count < std::uint64_t{batch} * segments) {
        std::fprintf(stderr, "bench-lang-cxx: bad arguments\n");
        return 2;
    }
    const std::uint32_t slot = size < 64 ? 64 : (size + 7u) & ~7u;
    indexbus::Region::try_unlink(name);
    std::uint64_t n = 0, rounds = 0;
    double secs = 0, cpu = 0, best = 0;
    try {
        indexbus_region_config cfg = indexbus::Region::config(indexbus::Kind::events);
        cfg.slot_data_size = slot;
        cfg.flags = INDEXBUS_CREATE_PREFAULT;
        indexbus::Region region = indexbus::Region::create(name, cfg);
        Bench b;
        b.tx = indexbus::Producer::open(region, indexbus::ProducerType::spsc);
        b.rx = indexbus::Consumer::open(region, 0);
        b.msgs.assign(std::size_t{batch} * size, std::byte{0x42});
        b.lens.assign(batch, size);
        b.buf.assign(std::size_t{batch} * slot, std::byte{0});
        b.rlens.assign(batch, 0);
        b.size = size;
        b.batch = batch;

        b.run(warmup / batch);
        rounds = count / batch / segments;
        using clock = std::chrono::steady_clock;
        for (int s = 0; s < segments; s++) {
            clock::time_point t0 = clock::now();
            double c0 = thread_cpu_s();
            b.run(rounds);
            double dc = thread_cpu_s() - c0;
            secs += std::chrono::duration<double>(clock::now() - t0).count();
            cpu += dc;
            double r = static_cast<double>(rounds * batch) / dc;
            if (r > best)
                best = r;
        }
        n = rounds * batch * segments;
    } catch (const indexbus::Error &e) {
        std::fprintf(stderr, "bench-lang-cxx: %s\n", e.what());
        indexbus::Region::try_unlink(name);
        return 1;
    }
    indexbus::Region::try_unlink(name);
    std::printf("{\"lang\":\"cxx\",\"size\":%u,\"batch\":%u,\"msgs\":%llu,\"segments\":%d,"
                "\"secs\":%.6f,\"cpu_secs\":%.6f,\"msgs_per_s\":%.0f,\"msgs_per_cpu_s_all\":%.0f,"
                "\"msgs_per_cpu_s\":%.0f}\n",
                size, batch, static_cast<unsigned long long>(n), segments, secs, cpu,
                static_cast<double>(n) / secs, static_cast<double>(n) / cpu, best);
    return 0;
}
