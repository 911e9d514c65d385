// agent.cpp - the C++ conformance agent (conformance/PROTOCOL.md), on the
// header-only C++17 API <indexbus/indexbus.hpp>.
//
//   agent-cxx <command> --region NAME [options]   (golden: then its op list)
//
// JSON lines on stdout, free text on stderr; exit 0 = done, 1 = failed (after
// an {"ev":"fail"} line), 2 = usage. A failing call throws indexbus::Error;
// main reports its status by name. The hot retry loops use the try_ calls.
// The status name is indexbus_status_name: the C++ API has no spelling of
// its own for it (Status is an enum class over the same values).
#include <indexbus/indexbus.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using indexbus::Consumer;
using indexbus::Producer;
using indexbus::Region;
using indexbus::Router;
using clk = std::chrono::steady_clock;

constexpr auto wait_consumers_bound = 10s;
constexpr auto full_retry_bound = 20s;

// ---- output -----------------------------------------------------------------

std::string json_str(const std::string &s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char u[8];
            std::snprintf(u, sizeof u, "\\u%04x", c);
            out += u;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

const char *status_name(int st) { return indexbus_status_name(st); }

// A failure with a status that no call returned (e.g. our own TIMEOUT bound).
struct Fail {
    int status;
    std::string what;
};

struct Usage {
    std::string what;
};

void print_msg(indexbus::const_bytes m)
{
    static const char hexd[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(m.size() * 2);
    for (std::byte b : m) {
        hex += hexd[std::to_integer<unsigned>(b) >> 4];
        hex += hexd[std::to_integer<unsigned>(b) & 15];
    }
    std::printf("{\"ev\":\"msg\",\"len\":%zu,\"hex\":\"%s\"}\n", m.size(), hex.c_str());
}

// Payload rule: message k of producer p, s bytes.
void payload(std::byte *b, std::uint32_t p, std::uint32_t k, std::size_t s)
{
    for (std::size_t j = 0; j < s; j++) {
        std::uint32_t v = j < 4   ? p >> (8 * j)
                          : j < 8 ? k >> (8 * (j - 4))
                                  : p * 31u + k * 17u + static_cast<std::uint32_t>(j) * 7u;
        b[j] = static_cast<std::byte>(v & 0xffu);
    }
}

// ---- options ------------------------------------------------------------------

// Options of one command or op: name -> value ("" for flags).
class Opts {
public:
    // Parse argv[i..] up to the first word that is not an option; returns its index.
    int parse(const std::string &cmd, int argc, char **argv, int i,
              const std::set<std::string> &allowed, const std::set<std::string> &required)
    {
        static const std::set<std::string> flags = {"--zero-copy", "--borrow", "--wait",
                                                    "--wait-reader", "--hold", "--release",
                                                    "--hex", "--retry-disconnected"};
        vals_.clear();
        for (; i < argc && std::string(argv[i]).rfind("--", 0) == 0; i++) {
            std::string o = argv[i];
            if (!allowed.count(o))
                throw Usage{cmd + ": unknown option '" + o + "'"};
            if (vals_.count(o))
                throw Usage{cmd + ": option " + o + " given twice"};
            if (flags.count(o)) {
                vals_[o] = "";
            } else {
                if (i + 1 >= argc)
                    throw Usage{cmd + ": option " + o + " needs a value"};
                vals_[o] = argv[++i];
            }
        }
        for (const std::string &o : required)
            if (!vals_.count(o))
                throw Usage{cmd + ": " + o + " is required"};
        return i;
    }
    bool has(const std::string &o) const { return vals_.count(o) != 0; }
    std::string str(const std::string &o, const std::string &dflt) const
    {
        auto it = vals_.find(o);
        return it == vals_.end() ? dflt : it->second;
    }
    std::uint64_t num(const std::string &o, std::uint64_t dflt) const
    {
        auto it = vals_.find(o);
        if (it == vals_.end())
            return dflt;
        const std::string &s = it->second;
        char *end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(s.c_str(), &end, 10);
        if (errno != 0 || s.empty() || *end != '\0' || s[0] == '-')
            throw Usage{o + ": not a number: '" + s + "'"};
        return v;
    }
    std::uint32_t u32(const std::string &o, std::uint32_t dflt) const
    {
        std::uint64_t v = num(o, dflt);
        if (v > UINT32_MAX)
            throw Usage{o + ": out of range"};
        return static_cast<std::uint32_t>(v);
    }
    // "--sizes 0,8,64"
    std::vector<std::uint32_t> sizes(const std::string &dflt) const
    {
        std::vector<std::uint32_t> out;
        std::string s = str("--sizes", dflt);
        std::stringstream in(s);
        std::string item;
        while (std::getline(in, item, ',')) {
            char *end = nullptr;
            unsigned long v = std::strtoul(item.c_str(), &end, 10);
            if (item.empty() || *end != '\0' || item[0] == '-' || v > UINT32_MAX)
                throw Usage{"--sizes: bad list"};
            out.push_back(static_cast<std::uint32_t>(v));
        }
        if (out.empty() || s.back() == ',')
            throw Usage{"--sizes: bad list"};
        return out;
    }

private:
    std::map<std::string, std::string> vals_;
};

template <class E>
E pick(const std::map<std::string, E> &names, const std::string &s, const char *what)
{
    auto it = names.find(s);
    if (it == names.end())
        throw Usage{std::string("bad ") + what + " '" + s + "'"};
    return it->second;
}

indexbus::Kind kind_of(const std::string &s)
{
    return pick<indexbus::Kind>({{"events", indexbus::Kind::events},
                                 {"fanout", indexbus::Kind::fanout},
                                 {"log", indexbus::Kind::log},
                                 {"stream", indexbus::Kind::stream},
                                 {"rpc", indexbus::Kind::rpc}},
                                s, "kind");
}
indexbus::ProducerType type_of(const std::string &s)
{
    return pick<indexbus::ProducerType>({{"spsc", indexbus::ProducerType::spsc},
                                         {"mpsc", indexbus::ProducerType::mpsc}},
                                        s, "producer type");
}
indexbus::Mode mode_of(const std::string &s)
{
    return pick<indexbus::Mode>({{"broadcast", indexbus::Mode::broadcast},
                                 {"work-queue", indexbus::Mode::work_queue}},
                                s, "mode");
}
indexbus::Source source_of(const std::string &s)
{
    return pick<indexbus::Source>({{"any", indexbus::Source::any},
                                   {"spsc", indexbus::Source::spsc},
                                   {"mpsc", indexbus::Source::mpsc}},
                                  s, "source");
}

// ---- shared by the commands -----------------------------------------------------

// The region of create's options (the command or the golden op): slot geometry for events
// and fanout regions, ring bytes and the largest record for byte logs and streams, cells
// and the largest request and reply for request/response.
Region create_region(const std::string &name, const Opts &o)
{
    indexbus::Kind kind = kind_of(o.str("--kind", ""));
    bool ring = kind == indexbus::Kind::log || kind == indexbus::Kind::stream;
    bool rpc = kind == indexbus::Kind::rpc;
    for (const char *opt : {"--slots", "--slot-size", "--queue", "--consumers"})
        if ((ring || rpc) && o.has(opt))
            throw Usage{std::string("create: ") + opt + " is for events and fanout regions"};
    for (const char *opt : {"--bytes", "--max-record"})
        if (!ring && o.has(opt))
            throw Usage{std::string("create: ") + opt + " is for byte logs and streams only"};
    for (const char *opt : {"--cells", "--max-request", "--max-reply"})
        if (!rpc && o.has(opt))
            throw Usage{std::string("create: ") + opt + " is for --kind rpc only"};
    if (ring) {
        std::uint64_t bytes = o.num("--bytes", 0);
        if (!bytes)
            bytes = INDEXBUS_LOG_DEFAULT_BYTES;
        std::uint32_t max_record = o.u32("--max-record", 0);
        return kind == indexbus::Kind::log ? Region::create_log(name, bytes, max_record)
                                           : Region::create_stream(name, bytes, max_record);
    }
    if (rpc)
        return Region::create_rpc(name, o.u32("--cells", 0), o.u32("--max-request", 0),
                                  o.u32("--max-reply", 0));
    indexbus_region_config cfg = Region::config(kind);
    if (std::uint32_t v = o.u32("--slots", 0))
        cfg.slot_count = v;
    if (std::uint32_t v = o.u32("--slot-size", 0))
        cfg.slot_data_size = v;
    if (std::uint32_t v = o.u32("--queue", 0))
        cfg.queue_capacity = v;
    if (std::uint32_t v = o.u32("--consumers", 0))
        cfg.consumer_count = v;
    return Region::create(name, cfg);
}

// Call `attempt` (returning a status) until it is not FULL, or not at all
// again if !retry; FULL for longer than the bound is a TIMEOUT failure.
template <class F>
int retry_full(F attempt, bool retry, const std::string &what)
{
    clk::time_point deadline{};
    for (;;) {
        int st = attempt();
        if (st != INDEXBUS_FULL || !retry)
            return st;
        if (deadline == clk::time_point{})
            deadline = clk::now() + full_retry_bound;
        else if (clk::now() > deadline)
            throw Fail{INDEXBUS_TIMEOUT, what + ": FULL for 20 s"};
        std::this_thread::yield();
    }
}

void check(int st, const std::string &what)
{
    if (st != INDEXBUS_OK)
        throw Fail{st, what};
}

// The largest message a region takes: a slot's data, or a byte log's largest record.
std::size_t max_message(const indexbus_info &in)
{
    return in.kind == INDEXBUS_KIND_LOG ? in.max_record : in.slot_data_size;
}

// Publish message k of producer p (size s), copying or through a claim: of exactly s
// bytes on a byte log, a slot elsewhere. wait: the blocking publish / claim (20 s) instead
// of retrying on FULL.
void publish_one(Producer &tx, std::vector<std::byte> &buf, std::uint32_t p, std::uint32_t k,
                 std::uint32_t s, bool zero_copy, bool retry, bool is_log = false,
                 bool wait = false)
{
    const std::string at = " message " + std::to_string(k);
    if (!zero_copy) {
        payload(buf.data(), p, k, s);
        indexbus::const_bytes msg(buf.data(), s);
        if (wait) {
            check(tx.try_publish_wait(msg, full_retry_bound), "publish wait" + at);
            return;
        }
        check(retry_full([&] { return tx.try_publish(msg); }, retry, "publish" + at),
              "publish" + at);
        return;
    }
    indexbus::Claim claim;
    if (wait)
        check(tx.try_claim_wait(s, claim, full_retry_bound), "claim wait" + at);
    else if (is_log)
        check(retry_full([&] { return tx.try_claim(s, claim); }, retry, "claim" + at),
              "claim" + at);
    else
        check(retry_full([&] { return tx.try_claim(claim); }, retry, "claim" + at), "claim" + at);
    if (claim.buffer().size() < s)
        throw Fail{INDEXBUS_TOO_LARGE, "claimed capacity < " + std::to_string(s)};
    payload(claim.data(), p, k, s);
    check(retry_full([&] { return claim.try_commit(s); }, retry, "commit" + at), "commit" + at);
}

// Publish messages k = from..from+count-1 of producer p in batches of up to `batch`.
// Copy: the batch publish call (a FULL after some messages goes on with the rest, if
// retry). zero_copy (byte logs): the in-place batch claim, filled, then committed whole;
// a batch the call finds TOO_LARGE (more than half the ring) is halved.
void publish_batches(Producer &tx, std::uint32_t p, std::uint32_t from, std::uint32_t count,
                     const std::vector<std::uint32_t> &sizes, std::uint32_t batch,
                     std::size_t maxmsg, bool zero_copy, bool retry)
{
    std::vector<std::byte> buf(static_cast<std::size_t>(batch) * maxmsg + 1);
    std::vector<std::uint32_t> lens(batch);
    indexbus::BatchClaim claim;
    clk::time_point deadline{};
    std::uint32_t end = from + count, n = batch;
    for (std::uint32_t k = from; k < end;) {
        n = std::min(n, end - k);
        for (std::uint32_t i = 0; i < n; i++)
            lens[i] = sizes[(k + i) % sizes.size()];
        indexbus::span<const std::uint32_t> ls(lens.data(), n);
        int st;
        if (zero_copy) {
            st = tx.try_claim_batch(ls, claim);
            if (st == INDEXBUS_OK) {
                for (std::uint32_t i = 0; i < n; i++)
                    payload(claim[i].data(), p, k + i, lens[i]);
                check(claim.try_commit(n), "commit batch at message " + std::to_string(k));
                k += n;
                n = batch;
                deadline = clk::time_point{};
                continue;
            }
            if (st == INDEXBUS_TOO_LARGE && n > 1) {
                n /= 2;
                continue;
            }
        } else {
            std::size_t off = 0, done = 0;
            for (std::uint32_t i = 0; i < n; i++) {
                payload(buf.data() + off, p, k + i, lens[i]);
                off += lens[i];
            }
            st = tx.try_publish_batch(indexbus::const_bytes(buf.data(), off), ls, done);
            k += static_cast<std::uint32_t>(done);
            if (st == INDEXBUS_OK || (st == INDEXBUS_FULL && done > 0 && retry)) {
                deadline = clk::time_point{};
                continue;
            }
        }
        const std::string what =
            (zero_copy ? "claim batch at message " : "publish batch at message ") +
            std::to_string(k);
        if (st != INDEXBUS_FULL || !retry)
            throw Fail{st, what};
        if (deadline == clk::time_point{})
            deadline = clk::now() + full_retry_bound;
        else if (clk::now() > deadline)
            throw Fail{INDEXBUS_TIMEOUT, what + ": FULL for 20 s"};
        std::this_thread::yield();
    }
}

// ---- commands --------------------------------------------------------------------

void cmd_create(const std::string &name, const Opts &o)
{
    create_region(name, o);
    std::puts("{\"ev\":\"created\"}");
}

void cmd_unlink(const std::string &name, const Opts &)
{
    Region::unlink(name);
    std::puts("{\"ev\":\"unlinked\"}");
}

void cmd_produce(const std::string &name, const Opts &o)
{
    auto type = type_of(o.str("--type", "spsc"));
    std::uint32_t p = o.u32("--producer", 0), count = o.u32("--count", 0);
    std::vector<std::uint32_t> sizes = o.sizes("0");
    bool zero_copy = o.has("--zero-copy"), wait = o.has("--wait");
    std::uint32_t batch = o.u32("--batch", 0), want = o.u32("--wait-consumers", 0);
    if (o.has("--batch") && batch == 0)
        throw Usage{"produce: --batch must be at least 1"};
    if (wait && batch)
        throw Usage{"produce: --wait and --batch exclude each other"};
    Region r = Region::open(name);
    indexbus_info in = r.info();
    bool is_log = in.kind == INDEXBUS_KIND_LOG;
    std::size_t maxmsg = max_message(in);
    if (zero_copy && batch && !is_log)
        throw Usage{"produce: --zero-copy with --batch (the batch claim) is for byte logs only"};
    for (std::uint32_t s : sizes)
        if (s > maxmsg)
            throw Usage{"produce: size " + std::to_string(s) + " > the largest message"};
    Producer tx = Producer::open(r, type);
    if (want) {
        auto deadline = clk::now() + wait_consumers_bound;
        while (r.info().consumers_live < want) {
            if (clk::now() > deadline)
                throw Fail{INDEXBUS_TIMEOUT, "waiting for " + std::to_string(want) + " consumers"};
            std::this_thread::sleep_for(1ms);
        }
    }
    if (batch == 0) {
        std::vector<std::byte> buf(maxmsg + 1);
        for (std::uint32_t k = 0; k < count; k++)
            publish_one(tx, buf, p, k, sizes[k % sizes.size()], zero_copy, !wait, is_log, wait);
    } else {
        publish_batches(tx, p, 0, count, sizes, batch, maxmsg, zero_copy, true);
    }
    tx.close();
    std::printf("{\"ev\":\"done\",\"published\":%u}\n", count);
}

void cmd_route(const std::string &name, const Opts &o)
{
    indexbus::RunOptions run;
    run.mode = mode_of(o.str("--mode", "broadcast"));
    run.source = source_of(o.str("--source", "any"));
    run.exit_on_disconnect = true;
    Region r = Region::open(name);
    Router rt = Router::open(r);
    std::uint64_t routed = rt.run(run);
    std::printf("{\"ev\":\"done\",\"routed\":%llu}\n", static_cast<unsigned long long>(routed));
}

void cmd_consume(const std::string &name, const Opts &o)
{
    std::uint32_t index = o.u32("--index", 0), batch = o.u32("--batch", 0);
    bool borrow = o.has("--borrow"), limited = o.has("--count");
    auto timeout = std::chrono::milliseconds(o.num("--timeout-ms", 10000));
    std::uint64_t want = o.num("--count", 0);
    auto delay = std::chrono::milliseconds(o.num("--delay-ms", 0));
    if (o.has("--batch") && batch == 0)
        throw Usage{"consume: --batch must be at least 1"};
    if (borrow && batch)
        throw Usage{"consume: --borrow and --batch exclude each other"};
    Region r = Region::open(name);
    std::size_t cap = max_message(r.info()) * (batch ? batch : 1);
    Consumer rx = Consumer::open(r, index);
    std::this_thread::sleep_for(delay); // attached, reading nothing: producers may fill it
    std::vector<std::byte> buf(cap ? cap : 1);
    std::vector<std::uint32_t> lens(batch ? batch : 1);
    std::uint64_t got = 0;
    int end = INDEXBUS_OK;
    clk::time_point idle_since{};
    while (!limited || got < want) {
        int st;
        if (batch) {
            std::size_t max = limited && want - got < batch ? want - got : batch, n = 0;
            st = rx.try_recv_batch(indexbus::mutable_bytes(buf.data(), cap),
                                   indexbus::span<std::uint32_t>(lens.data(), max), n);
            if (st == INDEXBUS_OK) {
                std::size_t off = 0;
                for (std::size_t i = 0; i < n; off += lens[i], i++)
                    print_msg(indexbus::const_bytes(buf.data() + off, lens[i]));
                got += n;
                idle_since = clk::time_point{};
                continue;
            }
            if (st == INDEXBUS_EMPTY) {
                if (idle_since == clk::time_point{})
                    idle_since = clk::now();
                else if (clk::now() - idle_since > timeout)
                    throw Fail{INDEXBUS_TIMEOUT, "batch receive: idle too long"};
                std::this_thread::yield();
                continue;
            }
        } else if (borrow) {
            indexbus::Borrow b;
            st = rx.try_recv_begin(b, timeout);
            if (st == INDEXBUS_OK) {
                print_msg(b.bytes());
                b.release();
                got++;
                continue;
            }
        } else {
            std::size_t len = 0;
            st = rx.try_recv(indexbus::mutable_bytes(buf.data(), cap), len, timeout);
            if (st == INDEXBUS_OK) {
                print_msg(indexbus::const_bytes(buf.data(), len));
                got++;
                continue;
            }
        }
        if (st == INDEXBUS_DISCONNECTED) {
            end = st;
            break;
        }
        throw Fail{st, "receive after " + std::to_string(got) + " messages"};
    }
    rx.close();
    std::printf("{\"ev\":\"end\",\"status\":\"%s\",\"count\":%llu}\n", status_name(end),
                static_cast<unsigned long long>(got));
}

// ---- byte streams and request/response --------------------------------------------

constexpr auto retry_bound = 20s;  // stream writes, requests: waits and retry bounds
constexpr auto hold_bound = 120s;  // --hold: sleep until killed, at most this long
constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ull;
constexpr std::uint64_t fnv_prime = 0x100000001b3ull;

// Stream rule: byte i of writer w's stream.
std::byte stream_byte(std::uint32_t w, std::uint64_t i)
{
    std::uint32_t x = static_cast<std::uint32_t>(i) * 2654435761u + w * 40503u;
    return static_cast<std::byte>(((x >> 24) ^ (x >> 8)) & 0xffu);
}

void stream_bytes(std::byte *b, std::uint32_t w, std::uint64_t from, std::size_t n)
{
    for (std::size_t j = 0; j < n; j++)
        b[j] = stream_byte(w, from + j);
}

std::uint64_t fnv(std::uint64_t h, indexbus::const_bytes b)
{
    for (std::byte x : b)
        h = (h ^ std::to_integer<std::uint64_t>(x)) * fnv_prime;
    return h;
}

std::string hex64(std::uint64_t h)
{
    char s[17];
    std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(h));
    return s;
}

// Reply rule: n as u32 LE, then the request reversed, each byte ^ 0x5A (n + 4 bytes).
void reply_rule(std::byte *out, indexbus::const_bytes req)
{
    std::size_t n = req.size();
    for (int j = 0; j < 4; j++)
        out[j] = static_cast<std::byte>((static_cast<std::uint32_t>(n) >> (8 * j)) & 0xffu);
    for (std::size_t j = 0; j < n; j++)
        out[4 + j] = req[n - 1 - j] ^ std::byte{0x5a};
}

std::vector<std::byte> reply_for(indexbus::const_bytes req)
{
    std::vector<std::byte> out(req.size() + 4);
    reply_rule(out.data(), req);
    return out;
}

// --hold: the handles stay open; sleep until the runner kills us.
[[noreturn]] void hold()
{
    std::fflush(stdout);
    std::this_thread::sleep_for(hold_bound);
    throw Fail{INDEXBUS_TIMEOUT, "held for 120 s and nobody killed us"};
}

bool some_mode(const Opts &o, const std::string &what)
{
    std::string m = o.str("--mode", "all");
    if (m != "all" && m != "some")
        throw Usage{what + ": bad --mode '" + m + "' (all or some)"};
    return m == "some";
}

// One call's bytes: write_all (waiting up to `timeout`), or with `some` writes that take
// what fits, again for the rest (yielding while nothing fits: 20 s bound, or failing at
// once unless `retry`).
template <class Rep, class Period>
void stream_put(indexbus::StreamWriter &w, indexbus::const_bytes data, bool some,
                std::uint64_t at, std::chrono::duration<Rep, Period> timeout, bool retry)
{
    if (!some) {
        std::size_t n = 0;
        int st = w.try_write_all(data, n, timeout);
        if (st != INDEXBUS_OK)
            throw Fail{st, "write_all of " + std::to_string(data.size()) + " bytes at byte " +
                               std::to_string(at) + " (" + std::to_string(n) + " written)"};
        return;
    }
    std::size_t done = 0;
    clk::time_point deadline{};
    while (done < data.size()) {
        std::size_t n = 0;
        int st = w.try_write(indexbus::const_bytes(data.data() + done, data.size() - done), n);
        if (st == INDEXBUS_OK) {
            done += n;
            deadline = clk::time_point{};
            continue;
        }
        const std::string what = "write at byte " + std::to_string(at + done);
        if (st != INDEXBUS_FULL || !retry)
            throw Fail{st, what};
        if (deadline == clk::time_point{})
            deadline = clk::now() + retry_bound;
        else if (clk::now() > deadline)
            throw Fail{INDEXBUS_TIMEOUT, what + ": FULL for 20 s"};
        std::this_thread::yield();
    }
}

void cmd_stream_write(const std::string &name, const Opts &o)
{
    std::uint32_t w = o.u32("--writer", 0);
    bool some = some_mode(o, "stream-write");
    bool by_bytes = o.has("--bytes");
    if (by_bytes == (o.has("--count") || o.has("--sizes")))
        throw Usage{"stream-write: either --bytes or --count and --sizes"};
    if (!by_bytes && !(o.has("--count") && o.has("--sizes")))
        throw Usage{"stream-write: --count and --sizes go together"};
    if (o.has("--chunk") && !by_bytes)
        throw Usage{"stream-write: --chunk is for --bytes"};
    std::uint64_t total = o.num("--bytes", 0), chunk = o.num("--chunk", 4096);
    std::uint32_t count = o.u32("--count", 0);
    std::vector<std::uint32_t> sizes;
    if (!by_bytes)
        sizes = o.sizes("");
    if (chunk == 0)
        throw Usage{"stream-write: --chunk must be at least 1"};
    Region r = Region::open(name);
    indexbus_info in = r.info();
    for (std::uint32_t s : sizes)
        if (s > in.max_record)
            throw Usage{"stream-write: size " + std::to_string(s) + " > max_record"};
    indexbus::StreamWriter wr = indexbus::StreamWriter::open(r);
    if (o.has("--wait-reader")) {
        auto deadline = clk::now() + wait_consumers_bound;
        while (r.info().consumers_live < 1) {
            if (clk::now() > deadline)
                throw Fail{INDEXBUS_TIMEOUT, "waiting for the reader"};
            std::this_thread::sleep_for(1ms);
        }
    }
    std::vector<std::byte> buf(by_bytes ? static_cast<std::size_t>(chunk) : in.max_record + 1);
    std::uint64_t written = 0;
    if (by_bytes) {
        while (written < total) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, total - written));
            stream_bytes(buf.data(), w, written, n);
            stream_put(wr, indexbus::const_bytes(buf.data(), n), some, written, retry_bound, true);
            written += n;
        }
    } else {
        for (std::uint32_t k = 0; k < count; k++) {
            std::size_t n = sizes[k % sizes.size()];
            payload(buf.data(), w, k, n);
            stream_put(wr, indexbus::const_bytes(buf.data(), n), some, written, retry_bound, true);
            written += n;
        }
    }
    if (o.has("--hold")) {
        std::printf("{\"ev\":\"holding\",\"written\":%llu}\n",
                    static_cast<unsigned long long>(written));
        hold();
    }
    wr.close();
    std::printf("{\"ev\":\"done\",\"written\":%llu}\n", static_cast<unsigned long long>(written));
}

void cmd_stream_read(const std::string &name, const Opts &o)
{
    std::uint64_t rsize = o.num("--read-size", 65536);
    auto timeout = std::chrono::milliseconds(o.num("--timeout-ms", 20000));
    bool limited = o.has("--max-bytes");
    std::uint64_t most = o.num("--max-bytes", 0);
    if (rsize == 0)
        throw Usage{"stream-read: --read-size must be at least 1"};
    if (o.has("--release") && o.has("--hold"))
        throw Usage{"stream-read: --release and --hold exclude each other"};
    Region r = Region::open(name);
    indexbus::StreamReader rd = indexbus::StreamReader::open(r);
    std::vector<std::byte> buf(static_cast<std::size_t>(rsize));
    std::uint64_t total = 0, h = fnv_basis;
    int end = INDEXBUS_OK;
    while (!limited || total < most) {
        std::size_t cap = static_cast<std::size_t>(
            limited ? std::min<std::uint64_t>(rsize, most - total) : rsize);
        std::size_t n = 0;
        int st = rd.try_read(indexbus::mutable_bytes(buf.data(), cap), n, timeout);
        if (st == INDEXBUS_DISCONNECTED) {
            end = st;
            break;
        }
        check(st, "read after " + std::to_string(total) + " bytes");
        indexbus::const_bytes got(buf.data(), n);
        if (o.has("--hex")) {
            static const char hexd[] = "0123456789abcdef";
            std::string hex;
            hex.reserve(2 * n);
            for (std::byte b : got) {
                hex += hexd[std::to_integer<unsigned>(b) >> 4];
                hex += hexd[std::to_integer<unsigned>(b) & 15];
            }
            std::printf("{\"ev\":\"data\",\"hex\":\"%s\"}\n", hex.c_str());
        }
        h = fnv(h, got);
        total += n;
    }
    indexbus::StreamState s = r.stream_state();
    std::printf("{\"ev\":\"end\",\"status\":\"%s\",\"bytes\":%llu,\"fnv\":\"%s\",\"ended\":%s,"
                "\"reader_gone\":%s,\"aborted\":%s,\"writers_aborted\":%u}\n",
                status_name(end), static_cast<unsigned long long>(total), hex64(h).c_str(),
                s.ended() ? "true" : "false", s.reader_gone() ? "true" : "false",
                s.aborted() ? "true" : "false", s.writers_aborted);
    if (o.has("--hold")) {
        std::puts("{\"ev\":\"holding\"}");
        hold();
    }
    if (o.has("--release"))
        rd.hand_over();
    else
        rd.close();
}

// Answer a served request by the reply rule: copied in, or written in place.
void answer(indexbus::Request &req, bool zero_copy)
{
    if (zero_copy) {
        indexbus::mutable_bytes out = req.reply_buffer();
        if (out.size() < req.size() + 4)
            throw Fail{INDEXBUS_TOO_LARGE, "reply buffer too small"};
        std::size_t n = req.size() + 4;
        reply_rule(out.data(), req.bytes());
        req.commit(n);
    } else {
        std::vector<std::byte> out = reply_for(req.bytes());
        req.reply(out);
    }
}

void cmd_serve(const std::string &name, const Opts &o)
{
    std::uint32_t count = o.u32("--count", 0);
    auto timeout = std::chrono::milliseconds(o.num("--timeout-ms", 20000));
    Region r = Region::open(name);
    indexbus::RpcServer sv = indexbus::RpcServer::open(r);
    for (std::uint32_t k = 0; k < count; k++) {
        indexbus::Request req;
        check(sv.try_serve(req, timeout), "serve request " + std::to_string(k));
        if (o.has("--hold"))
            req.defer();
        else
            answer(req, o.has("--zero-copy"));
    }
    if (o.has("--hold")) {
        std::printf("{\"ev\":\"holding\",\"count\":%u}\n", count);
        hold();
    }
    sv.close();
    std::printf("{\"ev\":\"done\",\"served\":%u}\n", count);
}

// One round trip of request k in the chosen mode; the reply is copied to `out`, its
// length to len. Returns OK or DISCONNECTED (anything else throws).
int round_trip(indexbus::RpcClient &c, const std::string &mode, indexbus::const_bytes req,
               std::vector<std::byte> &out, std::size_t &len, std::chrono::milliseconds timeout,
               std::uint32_t k)
{
    const std::string at = " " + std::to_string(k);
    int st;
    if (mode == "call") {
        st = c.try_call(req, indexbus::mutable_bytes(out.data(), out.size()), len, timeout);
        if (st != INDEXBUS_OK && st != INDEXBUS_DISCONNECTED)
            throw Fail{st, "call" + at};
        return st;
    }
    indexbus::Token token = 0;
    if (mode == "zero-copy") {
        indexbus::RequestClaim claim;
        check(c.try_claim(req.size(), claim), "claim request" + at);
        if (!req.empty())
            std::memcpy(claim.data(), req.data(), req.size()); // written in place
        st = claim.try_send(req.size(), token);
    } else {
        st = c.try_request(req, token);
    }
    if (st == INDEXBUS_DISCONNECTED)
        return st;
    check(st, "send request" + at);
    indexbus::Reply reply;
    st = c.try_wait(token, reply, timeout);
    if (st == INDEXBUS_DISCONNECTED)
        return st;
    check(st, "wait for reply" + at);
    if (reply.size() > out.size())
        throw Fail{INDEXBUS_CORRUPT, "reply" + at + " longer than max_reply"};
    if (reply.size() != 0)
        std::memcpy(out.data(), reply.data(), reply.size());
    len = reply.size();
    reply.release();
    return INDEXBUS_OK;
}

void cmd_request(const std::string &name, const Opts &o)
{
    std::uint32_t p = o.u32("--client", 0), count = o.u32("--count", 0);
    std::vector<std::uint32_t> sizes = o.sizes("");
    auto timeout = std::chrono::milliseconds(o.num("--timeout-ms", 20000));
    std::string mode = o.str("--mode", "wait");
    if (mode != "call" && mode != "wait" && mode != "zero-copy")
        throw Usage{"request: bad --mode '" + mode + "' (call, wait or zero-copy)"};
    Region r = Region::open(name);
    indexbus_info in = r.info();
    for (std::uint32_t s : sizes)
        if (s > in.max_request)
            throw Usage{"request: size " + std::to_string(s) + " > max_request"};
    indexbus::RpcClient c = indexbus::RpcClient::open(r);
    std::vector<std::byte> req(in.max_request + 1), got(in.max_reply + 1);
    std::uint64_t h = fnv_basis, reply_bytes = 0;
    for (std::uint32_t k = 0; k < count; k++) {
        std::size_t n = sizes[k % sizes.size()], len = 0;
        payload(req.data(), p, k, n);
        indexbus::const_bytes q(req.data(), n);
        bool told = false;
        clk::time_point deadline{};
        while (round_trip(c, mode, q, got, len, timeout, k) != INDEXBUS_OK) {
            if (!o.has("--retry-disconnected"))
                throw Fail{INDEXBUS_DISCONNECTED, "request " + std::to_string(k)};
            if (!told) {
                std::printf("{\"ev\":\"disconnected\",\"k\":%u}\n", k);
                std::fflush(stdout);
                told = true;
            }
            if (deadline == clk::time_point{})
                deadline = clk::now() + retry_bound;
            else if (clk::now() > deadline)
                throw Fail{INDEXBUS_DISCONNECTED,
                           "request " + std::to_string(k) + ": DISCONNECTED for 20 s"};
            std::this_thread::sleep_for(1ms);
        }
        std::vector<std::byte> want = reply_for(q);
        if (len != want.size())
            throw Fail{INDEXBUS_CORRUPT, "reply " + std::to_string(k) + ": " +
                                             std::to_string(len) + " bytes, want " +
                                             std::to_string(want.size())};
        for (std::size_t j = 0; j < len; j++)
            if (got[j] != want[j])
                throw Fail{INDEXBUS_CORRUPT,
                           "reply " + std::to_string(k) + " differs at byte " + std::to_string(j)};
        h = fnv(h, indexbus::const_bytes(got.data(), len));
        reply_bytes += len;
    }
    c.close();
    std::printf("{\"ev\":\"done\",\"requests\":%u,\"reply_bytes\":%llu,\"fnv\":\"%s\"}\n", count,
                static_cast<unsigned long long>(reply_bytes), hex64(h).c_str());
}

// One wrong call per case; the status of the Error it throws is what we report.
int error_case(const std::string &name, const std::string &c)
{
    std::byte buf[1024];
    try {
        if (c == "too_large" || c == "buffer_too_small") {
            Region r = Region::open(name);
            Producer tx = Producer::open(r);
            std::size_t n = c == "too_large" ? 65 : 10;
            payload(buf, 0, 0, n);
            tx.publish(indexbus::const_bytes(buf, n));
            Consumer rx = Consumer::open(r, 0);
            rx.recv(indexbus::mutable_bytes(buf, 4), 1s);
        } else if (c == "wrong_kind") {
            Region r = Region::open(name);
            Router::open(r);
        } else if (c == "newer_major") {
            Region::open(name);
        } else if (c == "not_ready") {
            Region::open(name, 50ms);
        } else if (c == "timeout") {
            Region r = Region::open(name);
            Consumer rx = Consumer::open(r, 0);
            rx.recv(indexbus::mutable_bytes(buf), 50ms);
        } else if (c == "log_too_large") {
            Region r = Region::open(name);
            Producer tx = Producer::open(r);
            payload(buf, 0, 0, 65);
            tx.publish(indexbus::const_bytes(buf, 65));
        } else if (c == "log_claim_too_large") {
            Region r = Region::open(name);
            Producer tx = Producer::open(r);
            tx.claim(65);
        } else if (c == "log_busy") {
            Region r = Region::open(name);
            Producer tx = Producer::open(r, indexbus::ProducerType::spsc);
            Producer::open(r, indexbus::ProducerType::mpsc);
        } else if (c == "log_wait_timeout") {
            Region r = Region::open(name);
            Producer tx = Producer::open(r);
            payload(buf, 0, 0, 56);
            indexbus::const_bytes msg(buf, 56);
            int st;
            for (int i = 0; (st = tx.try_publish(msg)) == INDEXBUS_OK; i++)
                if (i > 1000000)
                    throw Fail{INDEXBUS_INVALID_ARGUMENT, "the byte log never filled"};
            if (st != INDEXBUS_FULL)
                throw Fail{st, "filling the byte log"};
            tx.publish_wait(msg, 50ms);
        } else if (c == "stream_reader_busy") {
            Region r = Region::open(name);
            indexbus::StreamReader first = indexbus::StreamReader::open(r);
            try {
                indexbus::StreamReader::open(r).hand_over();
            } catch (...) {
                first.hand_over(); // hand over: leaves no READER_GONE behind
                throw;
            }
            first.hand_over();
        } else if (c == "stream_reader_gone") {
            Region r = Region::open(name);
            indexbus::StreamWriter w = indexbus::StreamWriter::open(r);
            indexbus::StreamReader::open(r).close();
            stream_bytes(buf, 0, 0, 1);
            w.write(indexbus::const_bytes(buf, 1));
        } else if (c == "stream_ended") {
            Region r = Region::open(name);
            indexbus::StreamWriter::open(r).close();
            indexbus::StreamWriter::open(r);
        } else if (c == "stream_read_timeout") {
            Region r = Region::open(name);
            indexbus::StreamWriter w = indexbus::StreamWriter::open(r);
            indexbus::StreamReader rd = indexbus::StreamReader::open(r);
            rd.read(indexbus::mutable_bytes(buf), 50ms);
        } else if (c == "stream_write_timeout") {
            Region r = Region::open(name);
            indexbus::StreamWriter w = indexbus::StreamWriter::open(r);
            std::uint64_t at = 0;
            for (int i = 0; i < 1000; i++, at += 1000) {
                stream_bytes(buf, 0, at, 1000);
                try {
                    w.write_all(indexbus::const_bytes(buf, 1000), 50ms);
                } catch (const indexbus::StreamError &e) {
                    if (e.written() != 0) // at most max_record: all of it or none
                        throw Fail{INDEXBUS_INVALID_ARGUMENT, "write_all half-written"};
                    throw;
                }
            }
            throw Fail{INDEXBUS_INVALID_ARGUMENT, "the stream never filled"};
        } else if (c == "rpc_wrong_kind") {
            Region r = Region::open(name);
            indexbus::RpcClient::open(r);
        } else if (c == "rpc_too_large") {
            Region r = Region::open(name);
            indexbus::RpcClient cl = indexbus::RpcClient::open(r);
            payload(buf, 0, 0, 65);
            cl.request(indexbus::const_bytes(buf, 65));
        } else if (c == "rpc_second_reply") {
            Region r = Region::open(name);
            indexbus::RpcClient cl = indexbus::RpcClient::open(r);
            indexbus::RpcServer sv = indexbus::RpcServer::open(r);
            payload(buf, 0, 0, 8);
            cl.request(indexbus::const_bytes(buf, 8));
            indexbus::Request req = sv.serve(1s);
            std::vector<std::byte> out = reply_for(req.bytes());
            indexbus::Token t = req.token();
            req.reply(out);
            sv.reply(t, out);
        } else if (c == "rpc_wait_timeout") {
            Region r = Region::open(name);
            indexbus::RpcClient cl = indexbus::RpcClient::open(r);
            payload(buf, 0, 0, 8);
            cl.wait(cl.request(indexbus::const_bytes(buf, 8)), 50ms);
        } else if (c == "rpc_no_server") {
            Region r = Region::open(name);
            indexbus::RpcServer::open(r).close();
            indexbus::RpcClient cl = indexbus::RpcClient::open(r);
            payload(buf, 0, 0, 8);
            cl.request(indexbus::const_bytes(buf, 8));
        } else {
            throw Usage{"error: unknown case '" + c + "'"};
        }
    } catch (const indexbus::Error &e) {
        return e.code().value();
    }
    return INDEXBUS_OK;
}

void cmd_error(const std::string &name, const Opts &o)
{
    const std::string c = o.str("--case", "");
    int st = error_case(name, c);
    std::printf("{\"ev\":\"error\",\"case\":%s,\"status\":\"%s\"}\n", json_str(c).c_str(),
                status_name(st));
}

// ---- golden: run an op list ------------------------------------------------------

// An open handle of the scenario, by name; closing is resetting.
struct Handle {
    std::string name;
    Producer tx;
    Router rt;
    Consumer rx;
    indexbus::StreamWriter sw;
    indexbus::StreamReader sr;
    indexbus::RpcClient cl;
    indexbus::RpcServer sv;
    std::deque<indexbus::Token> tokens; // a client's outstanding requests, oldest first
    // a server's held requests, oldest first: the token and the reply it will get
    std::deque<std::pair<indexbus::Token, std::vector<std::byte>>> held;
    void close()
    {
        tx.close();
        rt.close();
        rx.close();
        sw.close();
        sr.close();
        cl.close();
        sv.close();
    }
    bool open() const { return tx || rt || rx || sw || sr || cl || sv; }
};

struct Golden {
    int argc;
    char **argv;
    int start;
};
Golden golden_args;

void cmd_golden(const std::string &name, const Opts &)
{
    using S = std::set<std::string>;
    static const std::map<std::string, std::pair<S, S>> ops = {
        {"create",
         {{"--kind", "--slots", "--slot-size", "--queue", "--consumers", "--bytes", "--max-record",
           "--cells", "--max-request", "--max-reply"},
          {"--kind"}}},
        {"writer", {{"--name"}, {"--name"}}},
        {"reader", {{"--name"}, {"--name"}}},
        {"write",
         {{"--name", "--writer", "--from", "--bytes", "--chunk", "--mode"}, {"--name", "--bytes"}}},
        {"read", {{"--name", "--bytes", "--read-size"}, {"--name", "--bytes"}}},
        {"release", {{"--name"}, {"--name"}}},
        {"client", {{"--name"}, {"--name"}}},
        {"server", {{"--name"}, {"--name"}}},
        {"request",
         {{"--name", "--client", "--from", "--count", "--sizes", "--zero-copy"},
          {"--name", "--count", "--sizes"}}},
        {"serve", {{"--name", "--count", "--zero-copy", "--hold"}, {"--name", "--count"}}},
        {"reply", {{"--name", "--count", "--zero-copy"}, {"--name", "--count"}}},
        {"wait", {{"--name", "--count"}, {"--name", "--count"}}},
        {"cancel", {{"--name", "--count"}, {"--name", "--count"}}},
        {"producer", {{"--name", "--type"}, {"--name", "--type"}}},
        {"router", {{"--name"}, {"--name"}}},
        {"consumer", {{"--name", "--index"}, {"--name", "--index"}}},
        {"publish",
         {{"--name", "--producer", "--from", "--count", "--sizes", "--zero-copy", "--batch"},
          {"--name", "--producer", "--count", "--sizes"}}},
        {"route", {{"--name", "--count", "--mode", "--source"}, {"--name", "--count"}}},
        {"recv", {{"--name", "--count", "--borrow"}, {"--name", "--count"}}},
        {"close", {{"--name"}, {"--name"}}},
    };
    Region r;
    std::vector<std::unique_ptr<Handle>> handles; // in the order opened
    std::vector<std::byte> buf;
    bool is_log = false;
    auto find = [&](const std::string &hn) -> Handle & {
        for (auto it = handles.rbegin(); it != handles.rend(); ++it)
            if ((*it)->open() && (*it)->name == hn)
                return **it;
        throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: no open handle '" + hn + "'"};
    };
    for (int a = golden_args.start, i = 0; a < golden_args.argc; i++) {
        const std::string op = golden_args.argv[a];
        auto spec = ops.find(op);
        if (spec == ops.end())
            throw Usage{"golden: unknown op '" + op + "'"};
        Opts o;
        a = o.parse(op, golden_args.argc, golden_args.argv, a + 1, spec->second.first,
                    spec->second.second);
        const std::string hn = o.str("--name", "");
        if (op == "create") {
            if (r)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: second create"};
            r = create_region(name, o);
            indexbus_info in = r.info();
            is_log = in.kind == INDEXBUS_KIND_LOG;
            buf.resize(max_message(in) + 1);
            continue;
        }
        if (!r)
            throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: op before create"};
        if (op == "producer" || op == "router" || op == "consumer") {
            auto h = std::make_unique<Handle>();
            h->name = hn;
            if (op == "producer")
                h->tx = Producer::open(r, type_of(o.str("--type", "")));
            else if (op == "router")
                h->rt = Router::open(r);
            else
                h->rx = Consumer::open(r, o.u32("--index", 0));
            handles.push_back(std::move(h));
        } else if (op == "publish") {
            Handle &h = find(hn);
            if (!h.tx)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no producer"};
            std::uint32_t p = o.u32("--producer", 0), from = o.u32("--from", 0);
            std::uint32_t count = o.u32("--count", 0);
            std::vector<std::uint32_t> sizes = o.sizes("");
            for (std::uint32_t s : sizes)
                if (s + 1 > buf.size())
                    throw Usage{"golden: size " + std::to_string(s) + " > the largest message"};
            std::uint32_t batch = o.u32("--batch", 0);
            bool zero_copy = o.has("--zero-copy");
            if (o.has("--batch") && batch == 0)
                throw Usage{"golden: --batch must be at least 1"};
            if (batch && zero_copy && !is_log)
                throw Usage{"golden: --zero-copy with --batch is for byte logs only"};
            if (batch)
                publish_batches(h.tx, p, from, count, sizes, batch, buf.size() - 1, zero_copy,
                                false);
            else
                for (std::uint32_t k = from; k < from + count; k++)
                    publish_one(h.tx, buf, p, k, sizes[k % sizes.size()], zero_copy, false,
                                is_log);
        } else if (op == "route") {
            Handle &h = find(hn);
            if (!h.rt)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no router"};
            auto mode = mode_of(o.str("--mode", "broadcast"));
            auto source = source_of(o.str("--source", "any"));
            for (std::uint32_t k = o.u32("--count", 0); k > 0; k--)
                check(h.rt.try_route_once(source, mode), "golden op " + std::to_string(i));
        } else if (op == "recv") {
            Handle &h = find(hn);
            if (!h.rx)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no consumer"};
            for (std::uint32_t k = o.u32("--count", 0); k > 0; k--) {
                if (o.has("--borrow")) {
                    indexbus::Borrow b;
                    check(h.rx.try_recv_begin(b), "golden op " + std::to_string(i));
                    b.release();
                } else {
                    std::size_t len = 0;
                    check(h.rx.try_recv(indexbus::mutable_bytes(buf.data(), buf.size() - 1), len),
                          "golden op " + std::to_string(i));
                }
            }
        } else if (op == "writer" || op == "reader" || op == "client" || op == "server") {
            auto h = std::make_unique<Handle>();
            h->name = hn;
            if (op == "writer")
                h->sw = indexbus::StreamWriter::open(r);
            else if (op == "reader")
                h->sr = indexbus::StreamReader::open(r);
            else if (op == "client")
                h->cl = indexbus::RpcClient::open(r);
            else
                h->sv = indexbus::RpcServer::open(r);
            handles.push_back(std::move(h));
        } else if (op == "write") {
            Handle &h = find(hn);
            if (!h.sw)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no writer"};
            std::uint32_t w = o.u32("--writer", 0);
            std::uint64_t at = o.num("--from", 0), n = o.num("--bytes", 0);
            std::uint64_t chunk = o.num("--chunk", n ? n : 1), end = at + n;
            bool some = some_mode(o, "golden write");
            if (chunk == 0)
                throw Usage{"golden: --chunk must be at least 1"};
            std::vector<std::byte> data(static_cast<std::size_t>(chunk));
            while (at < end) {
                std::size_t len = static_cast<std::size_t>(std::min(chunk, end - at));
                stream_bytes(data.data(), w, at, len);
                stream_put(h.sw, indexbus::const_bytes(data.data(), len), some, at,
                           std::chrono::nanoseconds(0), false);
                at += len;
            }
        } else if (op == "read") {
            Handle &h = find(hn);
            if (!h.sr)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no reader"};
            std::uint64_t n = o.num("--bytes", 0), rs = o.num("--read-size", 65536);
            if (rs == 0)
                throw Usage{"golden: --read-size must be at least 1"};
            std::vector<std::byte> data(static_cast<std::size_t>(rs));
            for (std::uint64_t got = 0; got < n;) {
                std::size_t k = 0;
                std::size_t cap = static_cast<std::size_t>(std::min(rs, n - got));
                check(h.sr.try_read(indexbus::mutable_bytes(data.data(), cap), k),
                      "golden op " + std::to_string(i) + ": read");
                got += k;
            }
        } else if (op == "release") {
            Handle &h = find(hn);
            if (!h.sr)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no reader"};
            h.sr.hand_over();
        } else if (op == "request") {
            Handle &h = find(hn);
            if (!h.cl)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no client"};
            std::uint32_t p = o.u32("--client", 0), from = o.u32("--from", 0);
            std::uint32_t count = o.u32("--count", 0);
            std::vector<std::uint32_t> sizes = o.sizes("");
            std::vector<std::byte> data;
            for (std::uint32_t k = from; k < from + count; k++) {
                std::size_t n = sizes[k % sizes.size()];
                if (o.has("--zero-copy")) {
                    indexbus::RequestClaim claim = h.cl.claim(n);
                    payload(claim.data(), p, k, n); // written in place
                    h.tokens.push_back(claim.send(n));
                } else {
                    data.resize(n + 1);
                    payload(data.data(), p, k, n);
                    h.tokens.push_back(h.cl.request(indexbus::const_bytes(data.data(), n)));
                }
            }
        } else if (op == "serve" || op == "reply") {
            Handle &h = find(hn);
            if (!h.sv)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no server"};
            bool zero_copy = o.has("--zero-copy");
            for (std::uint32_t k = o.u32("--count", 0); k > 0; k--) {
                if (op == "reply") {
                    if (h.held.empty())
                        throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: no held request"};
                    auto [token, out] = std::move(h.held.front());
                    h.held.pop_front();
                    if (zero_copy) {
                        indexbus::mutable_bytes b = h.sv.reply_buffer(token);
                        std::memcpy(b.data(), out.data(), out.size());
                        h.sv.reply_commit(token, out.size());
                    } else {
                        h.sv.reply(token, out);
                    }
                    continue;
                }
                indexbus::Request req;
                check(h.sv.try_serve(req), "golden op " + std::to_string(i) + ": serve");
                if (o.has("--hold")) {
                    h.held.emplace_back(req.token(), reply_for(req.bytes()));
                    req.defer();
                } else {
                    answer(req, zero_copy);
                }
            }
        } else if (op == "wait" || op == "cancel") {
            Handle &h = find(hn);
            if (!h.cl)
                throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: '" + hn + "' is no client"};
            for (std::uint32_t k = o.u32("--count", 0); k > 0; k--) {
                if (h.tokens.empty())
                    throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: no outstanding request"};
                indexbus::Token t = h.tokens.front();
                h.tokens.pop_front();
                if (op == "cancel") {
                    h.cl.cancel(t);
                } else {
                    indexbus::Reply reply;
                    check(h.cl.try_wait(t, reply, std::chrono::nanoseconds(0)),
                          "golden op " + std::to_string(i) + ": wait");
                    reply.release();
                }
            }
        } else { // close
            find(hn).close();
        }
    }
    if (!r)
        throw Fail{INDEXBUS_INVALID_ARGUMENT, "golden: no create op"};
    for (auto it = handles.rbegin(); it != handles.rend(); ++it)
        (*it)->close(); // reverse order of opening
    r.close();
    std::puts("{\"ev\":\"done\"}");
}

[[noreturn]] void usage_exit(const std::string &what)
{
    std::fprintf(stderr,
                 "agent-cxx: %s\nusage: agent-cxx <create|produce|route|consume|stream-write|"
                 "stream-read|serve|request|error|golden|unlink> --region NAME [options] (see "
                 "conformance/PROTOCOL.md)\n",
                 what.c_str());
    std::exit(2);
}

[[noreturn]] void fail_exit(int status, const std::string &what)
{
    std::fprintf(stderr, "agent-cxx: %s: %s\n", what.c_str(), status_name(status));
    std::printf("{\"ev\":\"fail\",\"status\":%s,\"what\":%s}\n",
                json_str(status_name(status)).c_str(), json_str(what).c_str());
    std::fflush(stdout);
    std::exit(1);
}

} // namespace

int main(int argc, char **argv)
{
    using S = std::set<std::string>;
    using Run = void (*)(const std::string &, const Opts &);
    static const std::map<std::string, std::tuple<S, S, Run>> cmds = {
        {"create",
         {{"--region", "--kind", "--slots", "--slot-size", "--queue", "--consumers", "--bytes",
           "--max-record", "--cells", "--max-request", "--max-reply"},
          {"--region", "--kind"},
          cmd_create}},
        {"produce",
         {{"--region", "--type", "--producer", "--count", "--sizes", "--zero-copy", "--batch",
           "--wait", "--wait-consumers"},
          {"--region"},
          cmd_produce}},
        {"route", {{"--region", "--mode", "--source"}, {"--region"}, cmd_route}},
        {"consume",
         {{"--region", "--index", "--borrow", "--batch", "--timeout-ms", "--count", "--delay-ms"},
          {"--region"},
          cmd_consume}},
        {"stream-write",
         {{"--region", "--writer", "--bytes", "--chunk", "--count", "--sizes", "--mode",
           "--wait-reader", "--hold"},
          {"--region"},
          cmd_stream_write}},
        {"stream-read",
         {{"--region", "--read-size", "--timeout-ms", "--max-bytes", "--release", "--hold",
           "--hex"},
          {"--region"},
          cmd_stream_read}},
        {"serve",
         {{"--region", "--count", "--zero-copy", "--timeout-ms", "--hold"},
          {"--region", "--count"},
          cmd_serve}},
        {"request",
         {{"--region", "--client", "--count", "--sizes", "--mode", "--timeout-ms",
           "--retry-disconnected"},
          {"--region", "--count", "--sizes"},
          cmd_request}},
        {"error", {{"--region", "--case"}, {"--region", "--case"}, cmd_error}},
        {"golden", {{"--region"}, {"--region"}, cmd_golden}},
        {"unlink", {{"--region"}, {"--region"}, cmd_unlink}},
    };
    try {
        if (argc < 2)
            throw Usage{"no command"};
        auto it = cmds.find(argv[1]);
        if (it == cmds.end())
            throw Usage{std::string("unknown command '") + argv[1] + "'"};
        Opts o;
        int end = o.parse(argv[1], argc, argv, 2, std::get<0>(it->second), std::get<1>(it->second));
        if (end < argc && it->first != "golden")
            throw Usage{it->first + ": unexpected argument '" + argv[end] + "'"};
        golden_args = {argc, argv, end};
        std::get<2>(it->second)(o.str("--region", ""), o);
    } catch (const Usage &u) {
        usage_exit(u.what);
    } catch (const Fail &f) {
        fail_exit(f.status, f.what);
    } catch (const indexbus::Error &e) {
        fail_exit(e.code().value(), e.what());
    }
    std::fflush(stdout);
    return 0;
}
