// stream.cpp - byte streams through StreamWriter / StreamReader
// (Region::create_stream): write takes what fits (0 when full), write_all
// waits and throws StreamError carrying how many bytes went in, read
// returns 0 at end of stream, the end and reader-gone are latched
// (Region::stream_state), the read end is handed over mid-record, and
// writers on threads keep each write contiguous. Then the tests of seed 003
// (rusm_otp's bounded byte stream) with the writers in other processes:
// back-pressure until the reader drains, end of stream after the writer
// drops, a write that fails once the reader is gone, and a cloned writer
// feeding the same stream, which ends only after both writers drop; and a
// writer that dies instead of closing, or gives up (abort), for an end that
// is not clean.
#include "check.hpp"

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using indexbus::Region;
using indexbus::Status;
using indexbus::StreamError;
using indexbus::StreamReader;
using indexbus::StreamState;
using indexbus::StreamWriter;
using namespace std::chrono_literals;

static constexpr std::uint64_t RING = 4096;
static constexpr std::size_t CHUNK = 2040; // the largest record of a 4 KiB ring: two fill it

// Byte i of a test pattern tagged `tag`.
static std::byte pat(unsigned tag, std::size_t i)
{
    return static_cast<std::byte>((tag * 131u + i * 7u + (i >> 8)) & 0xffu);
}
static std::vector<std::byte> pattern(unsigned tag, std::size_t len, std::size_t from = 0)
{
    std::vector<std::byte> v(len);
    for (std::size_t i = 0; i < len; i++)
        v[i] = pat(tag, from + i);
    return v;
}

// Everything up to the end of stream (a hang guard on each read).
static std::vector<std::byte> drain(StreamReader &rd)
{
    std::vector<std::byte> out;
    std::byte buf[1000];
    for (;;) {
        std::size_t n = rd.read(buf, 10s);
        if (n == 0)
            return out;
        out.insert(out.end(), buf, buf + n);
    }
}

// Exactly len bytes (a hang guard on each read).
static std::vector<std::byte> drain_some(StreamReader &rd, std::size_t len)
{
    std::vector<std::byte> out(len);
    std::size_t at = 0;
    while (at < len) {
        std::size_t n = rd.read(indexbus::mutable_bytes(out).subspan(at), 10s);
        REQUIRE(n > 0);
        at += n;
    }
    return out;
}

// Fork a child that runs f and exits 0 only if it threw nothing and every
// check passed.
template <class F>
static pid_t spawn(F f)
{
    std::fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ibx::failures = 0; // the child's own checks
        int code = 0;
        try {
            code = f();
        } catch (const indexbus::Error &e) {
            std::fprintf(stderr, "child: %s (%s)\n", e.what(), indexbus_status_name(e.code().value()));
            code = 1;
        }
        std::fflush(stderr);
        _exit(code == 0 && ibx::failures == 0 ? 0 : 1);
    }
    return pid;
}
static int join(pid_t pid)
{
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A round trip, the end of stream, and the latched state.
static void test_basics()
{
    const std::string n = ibx::name("st-basic");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    indexbus_info i = r.info();
    CHECK(i.kind == INDEXBUS_KIND_STREAM && i.byte_capacity == RING && i.max_record == CHUNK);
    StreamState s = r.stream_state();
    CHECK(s.flags == 0 && s.writers_aborted == 0);
    CHECK(!s.ended() && !s.reader_gone() && !s.aborted() && !s.ended_cleanly());

    StreamReader rd = StreamReader::open(r);
    CHECK_THROWS(StreamReader::open(r), Status::busy); // one read end
    StreamWriter w = StreamWriter::open(r);
    CHECK(r.info().stream_writers == 1);
    CHECK(w.write("hello, ") == 7);
    w.write_all("stream", 1s);
    CHECK(w.write("") == 0);
    std::size_t z = 99;
    CHECK_ST(w.try_write(indexbus::const_bytes(), z), INDEXBUS_OK);
    CHECK(z == 0);

    char buf[64];
    std::size_t got = rd.read(indexbus::as_writable_bytes(buf, 4));
    CHECK(got == 4 && std::memcmp(buf, "hell", 4) == 0);
    got = rd.read(indexbus::as_writable_bytes(buf, sizeof buf), 1s);
    CHECK(got == 9 && std::memcmp(buf, "o, stream", 9) == 0);
    CHECK(r.info().stream_bytes_read == 13);
    std::size_t len = 99;
    CHECK_ST(rd.try_read(indexbus::as_writable_bytes(buf, sizeof buf), len), INDEXBUS_EMPTY);
    CHECK_THROWS(rd.read(indexbus::as_writable_bytes(buf, sizeof buf), 20ms), Status::timeout);
    CHECK_ST(rd.try_read(indexbus::as_writable_bytes(buf, sizeof buf), len, 1ms),
             INDEXBUS_TIMEOUT);
    CHECK_THROWS(rd.read(indexbus::mutable_bytes(), 1s), Status::invalid_argument);

    w.write_all("tail");
    w.close(); // the only writer: the stream ends
    CHECK(!w);
    s = r.stream_state();
    CHECK(s.ended() && !s.reader_gone() && !s.aborted() && s.ended_cleanly());
    CHECK(r.info().stream_writers == 0);
    CHECK_THROWS(StreamWriter::open(r), Status::disconnected); // latched: no late writer
    CHECK(rd.read_to_end(1s) == "tail");
    CHECK(rd.read(indexbus::as_writable_bytes(buf, sizeof buf)) == 0); // and again
    CHECK_ST(rd.try_read(indexbus::as_writable_bytes(buf, sizeof buf), len),
             INDEXBUS_DISCONNECTED);

    // empty handles
    StreamWriter none;
    CHECK_THROWS(none.write("x"), Status::invalid_argument);
    StreamReader nr;
    CHECK_THROWS(nr.hand_over(), Status::invalid_argument);
    CHECK_THROWS(Region::create_stream(ibx::name("st-bad"), 1000), Status::invalid_argument);
    const std::string evn = ibx::name("st-ev");
    ibx::Unlink evu(evn);
    Region ev = ibx::small_events(evn);
    CHECK_THROWS(StreamWriter::open(ev), Status::wrong_kind);
    CHECK_THROWS(StreamReader::open(ev), Status::wrong_kind);
    CHECK_THROWS(ev.stream_state(), Status::wrong_kind);
}

// write takes what fits (0 when full); write_all throws StreamError with
// the exact count that went in, and those bytes are a complete prefix.
static void test_full()
{
    const std::string n = ibx::name("st-full");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamReader rd = StreamReader::open(r);
    StreamWriter w = StreamWriter::open(r);
    const std::vector<std::byte> big = pattern(1, 10000);
    // one reservation takes at most half the ring: a record of 2040 bytes;
    // two of them fill the 4 KiB ring
    std::size_t first = w.write(big);
    CHECK(first == CHUNK);
    first += w.write(indexbus::const_bytes(big).subspan(first));
    CHECK(first == 2 * CHUNK);
    CHECK(w.write(indexbus::const_bytes(big).subspan(first)) == 0);
    std::size_t k = 99;
    CHECK_ST(w.try_write("x", k), INDEXBUS_FULL);
    CHECK(k == 0);
    // up to max_record: all or nothing
    try {
        w.write_all("0123456789", 20ms);
        CHECK(!"write_all on a full stream returned");
    } catch (const StreamError &e) {
        CHECK(e.status() == Status::timeout && e.code() == Status::timeout);
        CHECK(e.written() == 0);
    }
    std::vector<std::byte> out = drain_some(rd, first);
    CHECK(out == pattern(1, first));
    // more than max_record: the prefix that fitted, then TIMEOUT
    try {
        w.write_all(indexbus::const_bytes(big).subspan(first), 20ms);
        CHECK(!"write_all of 10000 bytes into 4096 returned");
    } catch (const StreamError &e) {
        CHECK(e.status() == Status::timeout);
        CHECK(e.written() == 2 * CHUNK);
    }
    std::size_t done = 0;
    CHECK_ST(w.try_write_all(indexbus::const_bytes(big).subspan(first + 2 * CHUNK), done, 1ms),
             INDEXBUS_TIMEOUT);
    CHECK(done == 0);
    out = drain_some(rd, 2 * CHUNK);
    CHECK(out == pattern(1, 2 * CHUNK, first));
    w.close();
    CHECK(drain(rd).empty());
}

// The reader closes: writes fail with DISCONNECTED and nothing reopens it.
static void test_reader_gone()
{
    const std::string n = ibx::name("st-gone");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamReader rd = StreamReader::open(r);
    StreamWriter w = StreamWriter::open(r);
    CHECK(w.write("before") == 6);
    rd.close();
    CHECK(r.stream_state().reader_gone());
    CHECK_THROWS(w.write("x"), Status::disconnected);
    CHECK_THROWS(w.write(""), Status::disconnected);
    try {
        w.write_all("after", 1s);
        CHECK(!"write_all after the reader left returned");
    } catch (const StreamError &e) {
        CHECK(e.status() == Status::disconnected && e.written() == 0);
    }
    CHECK_THROWS(StreamWriter::open(r), Status::disconnected);
    CHECK_THROWS(StreamReader::open(r), Status::disconnected);
}

// The read end handed over mid-record: the next reader continues at the
// very next byte, and the stream did not end.
static void test_hand_over()
{
    const std::string n = ibx::name("st-hand");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamWriter w = StreamWriter::open(r);
    const std::vector<std::byte> v = pattern(7, 1000);
    w.write_all(v, 1s);
    std::vector<std::byte> got(1000);
    {
        StreamReader rd = StreamReader::open(r);
        CHECK(rd.read(indexbus::mutable_bytes(got).first(300), 1s) == 300);
        rd.hand_over();
        CHECK(!rd);
    }
    CHECK(!r.stream_state().reader_gone());
    CHECK(w.write("!") == 1); // writers keep writing
    StreamReader rd2 = StreamReader::open(r);
    std::size_t at = 300;
    while (at < 1000)
        at += rd2.read(indexbus::mutable_bytes(got).subspan(at), 1s);
    CHECK(got == v);
    w.close();
    CHECK(rd2.read_to_end(1s) == "!");
}

// Writers on four threads, 200 writes each of 1..300 bytes: every write
// arrives whole, in order per writer.
static void test_writers_contiguous()
{
    const std::string n = ibx::name("st-mw");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, 16384);
    StreamReader rd = StreamReader::open(r);
    constexpr unsigned W = 4, PER = 200;
    std::vector<StreamWriter> ws;
    for (unsigned t = 0; t < W; t++)
        ws.push_back(StreamWriter::open(r));
    std::vector<std::thread> th;
    for (unsigned t = 0; t < W; t++)
        th.emplace_back([&, t] {
            for (unsigned k = 0; k < PER; k++) {
                // a header (writer, length) and a body that depends on both
                std::size_t len = 1 + (k * 37u + t) % 300;
                std::vector<std::byte> msg = pattern(t * 1000 + k, len + 3);
                msg[0] = static_cast<std::byte>(t);
                msg[1] = static_cast<std::byte>(len & 0xff);
                msg[2] = static_cast<std::byte>(len >> 8);
                ws[t].write_all(msg, 10s);
            }
            ws[t].close();
        });
    std::vector<std::byte> all = drain(rd);
    for (auto &x : th)
        x.join();
    unsigned next[W] = {};
    std::size_t at = 0, records = 0;
    while (at + 3 <= all.size()) {
        unsigned t = static_cast<unsigned>(all[at]);
        std::size_t len = static_cast<std::size_t>(all[at + 1]) |
                          static_cast<std::size_t>(all[at + 2]) << 8;
        REQUIRE(t < W && at + 3 + len <= all.size());
        unsigned k = next[t]++;
        CHECK(len == 1 + (k * 37u + t) % 300);
        std::vector<std::byte> want = pattern(t * 1000 + k, len + 3);
        CHECK(std::memcmp(all.data() + at + 3, want.data() + 3, len) == 0);
        at += 3 + len;
        records++;
    }
    CHECK(at == all.size() && records == W * PER);
    for (unsigned t = 0; t < W; t++)
        CHECK(next[t] == PER);
    CHECK(r.stream_state().ended_cleanly());
}

// ---- seed 003, across processes ----

// writer_applies_backpressure_until_the_reader_drains: a writer process
// fills the stream, then its second write is still pending after 20 ms and
// completes after a read. The child reports each step through a pipe.
static void test_seed_backpressure()
{
    const std::string n = ibx::name("st-bp");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamReader rd = StreamReader::open(r);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = spawn([&] {
        close(fds[0]);
        Region cr = Region::open(n);
        StreamWriter w = StreamWriter::open(cr);
        w.write_all(std::string(2 * CHUNK, '1'), 10s); // fills it
        char one = 'a';
        CHECK(write(fds[1], &one, 1) == 1);
        w.write_all(std::string(CHUNK, '2'), 10s); // waits for a read
        char two = 'b';
        CHECK(write(fds[1], &two, 1) == 1);
        return 0;
    });
    close(fds[1]);
    char c = 0;
    REQUIRE(read(fds[0], &c, 1) == 1 && c == 'a');
    std::this_thread::sleep_for(20ms);
    // still pending after 20 ms: the stream is full, the child said nothing
    CHECK(r.info().bytes_free == 0);
    pollfd pfd = {fds[0], POLLIN, 0};
    CHECK(poll(&pfd, 1, 0) == 0);
    std::string first(CHUNK, '\0');
    std::size_t got = 0;
    while (got < CHUNK) // a read frees room for the second write
        got += rd.read(indexbus::as_writable_bytes(first.data() + got, CHUNK - got), 10s);
    CHECK(first == std::string(CHUNK, '1'));
    REQUIRE(read(fds[0], &c, 1) == 1 && c == 'b'); // it completed
    close(fds[0]);
    CHECK(rd.read_to_end(10s) == std::string(CHUNK, '1') + std::string(CHUNK, '2'));
    CHECK(join(pid) == 0);
}

// read_returns_none_after_the_writer_drops (writers = 1) and
// a_cloned_writer_fans_into_the_same_stream (writers = 2: a writer in this
// process and its "clone", another writer, in a child): the end comes only
// once every writer is gone.
static void test_seed_end_after_writers_drop(unsigned writers)
{
    const std::string n = ibx::name("st-eos");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamReader rd = StreamReader::open(r);
    StreamWriter w = StreamWriter::open(r);
    int go[2], joined[2];
    REQUIRE(pipe(go) == 0 && pipe(joined) == 0);
    pid_t pid = -1;
    if (writers == 2)
        pid = spawn([&] {
            close(go[1]);
            Region cr = Region::open(n);
            StreamWriter clone = StreamWriter::open(cr); // a new seat on the same stream
            CHECK(write(joined[1], "j", 1) == 1);
            clone.write_all("2", 10s);
            char c;
            CHECK(read(go[0], &c, 1) == 1); // drop when the parent says
            clone.close();
            return 0;
        });
    char j;
    REQUIRE(writers == 1 || read(joined[0], &j, 1) == 1);
    close(joined[0]);
    close(joined[1]);
    close(go[0]);
    w.write_all("1", 10s);
    std::set<char> got;
    char buf[8];
    for (unsigned k = 0; k < writers; k++) {
        std::size_t m = rd.read(indexbus::as_writable_bytes(buf, 1), 10s);
        CHECK(m == 1);
        got.insert(buf[0]);
    }
    CHECK(got.size() == writers && got.count('1') == 1 && (writers == 1 || got.count('2') == 1));
    w.close(); // our writer drops
    if (writers == 2) {
        // the clone is still there: no end of stream
        CHECK(!r.stream_state().ended());
        CHECK_THROWS(rd.read(indexbus::as_writable_bytes(buf, 1), 20ms), Status::timeout);
        CHECK(write(go[1], "x", 1) == 1);
        CHECK(join(pid) == 0);
    }
    close(go[1]);
    CHECK(rd.read(indexbus::as_writable_bytes(buf, sizeof buf), 10s) == 0); // end of stream
    CHECK(r.stream_state().ended_cleanly());
}

// write_fails_once_the_reader_is_gone: a reader process takes the read end
// and drops it; then the write fails (nothing of it is written).
static void test_seed_reader_gone()
{
    const std::string n = ibx::name("st-sgone");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamWriter w = StreamWriter::open(r);
    pid_t pid = spawn([&] {
        Region cr = Region::open(n);
        StreamReader rd = StreamReader::open(cr);
        return 0; // dropped unread
    });
    CHECK(join(pid) == 0);
    try {
        w.write_all("x", 1s);
        CHECK(!"write_all after the reader dropped returned");
    } catch (const StreamError &e) {
        CHECK(e.status() == Status::disconnected && e.written() == 0);
    }
    CHECK(r.info().stream_bytes_read == 0);
}

// A writer process that dies instead of closing: once recovered, the
// stream ends, but not cleanly.
static void test_writer_dies()
{
    const std::string n = ibx::name("st-dies");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamReader rd = StreamReader::open(r);
    pid_t pid = spawn([&] {
        Region cr = Region::open(n);
        StreamWriter w = StreamWriter::open(cr);
        w.write_all("last words", 10s);
        std::fflush(stderr);
        _exit(0); // no close
        return 0;
    });
    CHECK(join(pid) == 0);
    CHECK(r.recover().dead == 1);
    StreamState s = r.stream_state();
    CHECK(s.ended() && s.aborted() && !s.ended_cleanly() && s.writers_aborted == 1);
    CHECK(r.info().writers_aborted == 1);
    CHECK(rd.read_to_end(10s) == "last words"); // the data stays, then the end
}

// A writer (in another process) that gives up: abort() marks the stream
// aborted at once, with no recovery, while another writer is still
// attached; the stream ends when that one closes, not cleanly. What the
// aborted writer wrote is read.
static void test_writer_abort()
{
    const std::string n = ibx::name("st-abort");
    ibx::Unlink u(n);
    Region r = Region::create_stream(n, RING);
    StreamReader rd = StreamReader::open(r);
    StreamWriter other = StreamWriter::open(r);
    pid_t pid = spawn([&] {
        Region cr = Region::open(n);
        StreamWriter w = StreamWriter::open(cr);
        w.write_all("half a ", 10s);
        w.abort();
        CHECK(!w);
        w.abort(); // nothing on an empty handle
        return 0;
    });
    CHECK(join(pid) == 0);
    StreamState s = r.stream_state();
    CHECK(s.aborted() && !s.ended() && s.writers_aborted == 1);
    CHECK(r.info().stream_writers == 1 && r.info().writers_aborted == 1);
    other.write_all("message", 10s);
    other.close();
    s = r.stream_state();
    CHECK(s.ended() && s.aborted() && !s.ended_cleanly() && s.writers_aborted == 1);
    CHECK(rd.read_to_end(10s) == "half a message");
    CHECK(r.recover().dead == 0); // nobody died
    CHECK(r.stream_state().writers_aborted == 1);
}

int main()
{
    // first: fork before any thread exists
    test_seed_backpressure();
    test_seed_end_after_writers_drop(1);
    test_seed_end_after_writers_drop(2);
    test_seed_reader_gone();
    test_writer_dies();
    test_writer_abort();
    test_basics();
    test_full();
    test_reader_gone();
    test_hand_over();
    test_writers_contiguous();
    return ibx::summary();
}
