// indexbus/indexbus.hpp - header-only C++17 API over the C ABI (indexbus.h).
//
// Nothing here is compiled into libindexbus: every call is an inline wrapper
// around an indexbus_* function, so a C++ program links -lindexbus as a C one.
//
// Conventions
//  - Handles (Region, Producer, Consumer, Router) are move-only RAII owners;
//    a default-constructed or moved-from handle is empty (operator bool).
//  - Throwing calls throw indexbus::Error, a std::system_error whose code()
//    is in indexbus::category() (messages from indexbus_strerror), on any
//    status but OK, unless their comment says otherwise.
//  - try_ calls are noexcept, for the hot path: they return the status
//    (INDEXBUS_OK, INDEXBUS_FULL, ...) as an int.
//  - Bytes are indexbus::span<T>: std::span under C++20 (__cpp_lib_span),
//    else a minimal pointer + size view with the same member names.
//  - Blocking calls take any std::chrono::duration; indexbus::forever waits
//    without limit.
//  - A handle must not be used by two threads at once, as in C, except
//    Router::stop(), which any thread may call.
//  - Handles close in any order (a Producer, Consumer or Router keeps the
//    region mapped by itself); calls on an empty handle fail with
//    Status::invalid_argument. A Claim, BatchClaim or Borrow guard must end
//    before the Producer or Consumer it came from closes.
//  - Byte logs (Kind::log, layout 1.1; Region::create_log) take records of
//    any length up to max_record, stored inline in a byte ring; Producer and
//    Consumer work on them as on events regions, plus claim(len), the
//    in-place claim_batch and space(). publish_wait and claim_wait block
//    while any region is full.
//  - Byte streams (Kind::stream, 1.1; Region::create_stream): StreamWriter
//    (any number, one seat each: "cloning" a writer is opening another) and
//    one StreamReader. End of stream is read() returning 0; a write after
//    the reader is gone throws Status::disconnected. Region::stream_state()
//    tells a clean end from one where a writer died or gave up
//    (StreamWriter::abort).
//  - Request/response (Kind::rpc, 1.1; Region::create_rpc): RpcClient
//    (call, or request + wait for a Reply borrowed in place until the guard
//    ends, or a zero-copy RequestClaim, given back if it ends unsent) and
//    RpcServer (serve a Request borrowed in place, reply once; one that
//    ends unanswered and not deferred fails: its client gets
//    Status::disconnected). Tokens are the C API's uint64_t.
#ifndef INDEXBUS_HPP
#define INDEXBUS_HPP

#include <indexbus/indexbus.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif
#if defined(__cpp_lib_span)
#include <span>
#endif

namespace indexbus {

// ---- byte views ---------------------------------------------------------------

#if defined(__cpp_lib_span)
template <class T>
using span = std::span<T>;
#else
// The subset of std::span (dynamic extent) that this API uses.
template <class T>
class span {
public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;
    using size_type = std::size_t;
    using pointer = T *;
    using reference = T &;
    using iterator = T *;

    constexpr span() noexcept = default;
    constexpr span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N>
    constexpr span(T (&array)[N]) noexcept : data_(array), size_(N) {}
    // From a span of a convertible element type (span<byte> -> span<const byte>).
    template <class U, class = std::enable_if_t<std::is_convertible<U (*)[], T (*)[]>::value>>
    constexpr span(const span<U> &other) noexcept : data_(other.data()), size_(other.size()) {}
    // From a contiguous container: std::vector, std::array, std::string ...
    template <class C,
              class P = decltype(std::data(std::declval<C &>())),
              class = decltype(std::size(std::declval<C &>())),
              class = std::enable_if_t<!std::is_same<std::remove_cv_t<C>, span>::value &&
                                       std::is_convertible<std::remove_pointer_t<P> (*)[],
                                                           T (*)[]>::value>>
    constexpr span(C &container) noexcept
        : data_(std::data(container)), size_(std::size(container)) {}

    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }
    constexpr T &operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr span first(std::size_t n) const noexcept { return span(data_, n); }
    constexpr span subspan(std::size_t offset, std::size_t n) const noexcept
    {
        return span(data_ + offset, n);
    }
    constexpr span subspan(std::size_t offset) const noexcept
    {
        return span(data_ + offset, size_ - offset);
    }

private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

using const_bytes = span<const std::byte>;
using mutable_bytes = span<std::byte>;

// Views of raw memory and of text.
inline const_bytes as_bytes(const void *data, std::size_t len) noexcept
{
    return const_bytes(static_cast<const std::byte *>(data), len);
}
inline mutable_bytes as_writable_bytes(void *data, std::size_t len) noexcept
{
    return mutable_bytes(static_cast<std::byte *>(data), len);
}
inline const_bytes as_bytes(std::string_view text) noexcept
{
    return as_bytes(text.data(), text.size());
}
// A message's bytes as text (no copy).
inline std::string_view as_string_view(const_bytes bytes) noexcept
{
    return std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

// ---- status, error category, exception --------------------------------------

// The status codes of indexbus.h (values are frozen there).
enum class Status : int {
    ok = INDEXBUS_OK,
    full = INDEXBUS_FULL,
    empty = INDEXBUS_EMPTY,
    too_large = INDEXBUS_TOO_LARGE,
    buffer_too_small = INDEXBUS_BUFFER_TOO_SMALL,
    incompatible = INDEXBUS_INCOMPATIBLE,
    not_ready = INDEXBUS_NOT_READY,
    invalid_argument = INDEXBUS_INVALID_ARGUMENT,
    wrong_kind = INDEXBUS_WRONG_KIND,
    timeout = INDEXBUS_TIMEOUT,
    disconnected = INDEXBUS_DISCONNECTED,
    corrupt = INDEXBUS_CORRUPT,
    permission = INDEXBUS_PERMISSION,
    exists = INDEXBUS_EXISTS,
    not_found = INDEXBUS_NOT_FOUND,
    io = INDEXBUS_IO,
    busy = INDEXBUS_BUSY,
    no_memory = INDEXBUS_NO_MEMORY,
    out_of_range = INDEXBUS_OUT_OF_RANGE,
    bad_state = INDEXBUS_BAD_STATE,
};

namespace detail {
class Category final : public std::error_category {
public:
    const char *name() const noexcept override { return "indexbus"; }
    std::string message(int status) const override { return indexbus_strerror(status); }
    // The statuses with a portable meaning compare equal to std::errc values.
    std::error_condition default_error_condition(int status) const noexcept override
    {
        switch (status) {
        case INDEXBUS_INVALID_ARGUMENT: return std::errc::invalid_argument;
        case INDEXBUS_TIMEOUT: return std::errc::timed_out;
        case INDEXBUS_PERMISSION: return std::errc::permission_denied;
        case INDEXBUS_EXISTS: return std::errc::file_exists;
        case INDEXBUS_NOT_FOUND: return std::errc::no_such_file_or_directory;
        case INDEXBUS_IO: return std::errc::io_error;
        case INDEXBUS_BUSY: return std::errc::device_or_resource_busy;
        case INDEXBUS_NO_MEMORY: return std::errc::not_enough_memory;
        default: return std::error_condition(status, *this);
        }
    }
};
} // namespace detail

// The error category of every indexbus status (one object per program).
inline const std::error_category &category() noexcept
{
    static const detail::Category instance;
    return instance;
}

inline std::error_code make_error_code(Status status) noexcept
{
    return std::error_code(static_cast<int>(status), category());
}

// What a throwing call throws: the status, as code() in category(), and the
// name of the C call that returned it, in what().
class Error : public std::system_error {
public:
    Error(int status, const char *call) : std::system_error(status, category(), call) {}
    Status status() const noexcept { return static_cast<Status>(code().value()); }
};

// ---- time ---------------------------------------------------------------------

// Wait without limit.
inline constexpr std::chrono::nanoseconds forever = std::chrono::nanoseconds::max();

namespace detail {
inline void check(int status, const char *call)
{
    if (status != INDEXBUS_OK)
        throw Error(status, call);
}

// Any duration as the C API's nanoseconds: zero, negative (or NaN) -> 0,
// forever or longer -> UINT64_MAX (no limit), else truncated to whole ns. The
// bounds are compared in long double nanoseconds, so no unit (picoseconds,
// hours, floating point) can overflow on the way.
template <class Rep, class Period>
constexpr std::uint64_t to_ns(std::chrono::duration<Rep, Period> d) noexcept
{
    using ldns = std::chrono::duration<long double, std::nano>;
    const ldns ns = d;
    if (!(ns > ldns::zero()))
        return 0;
    if (ns >= ldns(std::chrono::nanoseconds::max()))
        return UINT64_MAX;
    return static_cast<std::uint64_t>(ns.count());
}

struct RegionClose {
    void operator()(indexbus_region *r) const noexcept { indexbus_region_close(r); }
};
struct ProducerClose {
    void operator()(indexbus_producer *p) const noexcept { indexbus_producer_close(p); }
};
struct ConsumerClose {
    void operator()(indexbus_consumer *c) const noexcept { indexbus_consumer_close(c); }
};
struct RouterClose {
    void operator()(indexbus_router *r) const noexcept { indexbus_router_close(r); }
};
struct StreamWriterClose {
    void operator()(indexbus_stream_writer *w) const noexcept { indexbus_stream_writer_close(w); }
};
struct StreamReaderClose {
    void operator()(indexbus_stream_reader *r) const noexcept { indexbus_stream_reader_close(r); }
};
struct RpcClientClose {
    void operator()(indexbus_rpc_client *c) const noexcept { indexbus_rpc_client_close(c); }
};
struct RpcServerClose {
    void operator()(indexbus_rpc_server *s) const noexcept { indexbus_rpc_server_close(s); }
};
} // namespace detail

// ---- region -------------------------------------------------------------------

enum class Kind : std::uint32_t {
    events = INDEXBUS_KIND_EVENTS,
    fanout = INDEXBUS_KIND_FANOUT,
    log = INDEXBUS_KIND_LOG,       // 1.1: a byte log
    stream = INDEXBUS_KIND_STREAM, // 1.1: a byte stream (StreamWriter, StreamReader)
    rpc = INDEXBUS_KIND_RPC,       // 1.1: request/response (RpcClient, RpcServer)
};

// A byte stream's latched state (Region::stream_state).
struct StreamState {
    std::uint32_t flags = 0;           // INDEXBUS_STREAM_*
    std::uint32_t writers_aborted = 0; // writers that died (recovered) or aborted, saturating
    // Every writer has left: the reader drains what is there, then reads 0.
    bool ended() const noexcept { return (flags & INDEXBUS_STREAM_ENDED) != 0; }
    // The reader closed or died: writes throw Status::disconnected.
    bool reader_gone() const noexcept { return (flags & INDEXBUS_STREAM_READER_GONE) != 0; }
    // At least one writer died or aborted instead of closing.
    bool aborted() const noexcept { return (flags & INDEXBUS_STREAM_ABORTED) != 0; }
    // Ended, and every writer closed (none died).
    bool ended_cleanly() const noexcept { return ended() && !aborted(); }
};

// An open region. Producers, consumers and routers opened on it keep the
// mapping alive by themselves, so the Region may go first.
class Region {
public:
    Region() noexcept = default;
    // Adopt a handle from the C API (owned from now on).
    explicit Region(indexbus_region *adopt) noexcept : h_(adopt) {}

    // Defaults for a region of `kind` (indexbus_region_config_init; fields
    // it leaves alone, the 1.1 ones of an events or fanout config, are 0).
    static indexbus_region_config config(Kind kind = Kind::events)
    {
        indexbus_region_config cfg{};
        detail::check(indexbus_region_config_init(&cfg, static_cast<std::uint32_t>(kind)),
                      "indexbus_region_config_init");
        return cfg;
    }
    // A byte log's config: byte_capacity ring bytes (a power of two,
    // INDEXBUS_LOG_MIN_BYTES..INDEXBUS_LOG_MAX_BYTES), records of up to
    // max_record bytes (at most byte_capacity / 2 - 8; 0: the default, 64 KiB
    // or that if less). create checks them: Status::invalid_argument.
    static indexbus_region_config log_config(
        std::uint64_t byte_capacity = INDEXBUS_LOG_DEFAULT_BYTES, std::uint32_t max_record = 0)
    {
        indexbus_region_config cfg = config(Kind::log);
        cfg.byte_capacity = byte_capacity;
        cfg.max_record = max_record;
        return cfg;
    }
    // Create exclusively (Status::exists if the name is taken) and map.
    static Region create(const std::string &name, const indexbus_region_config &cfg)
    {
        indexbus_region *r = nullptr;
        detail::check(indexbus_region_create(name.c_str(), &cfg, &r), "indexbus_region_create");
        return Region(r);
    }
    static Region create(const std::string &name, Kind kind = Kind::events)
    {
        return create(name, config(kind));
    }
    // Create a byte log (see log_config).
    static Region create_log(const std::string &name,
                             std::uint64_t byte_capacity = INDEXBUS_LOG_DEFAULT_BYTES,
                             std::uint32_t max_record = 0)
    {
        return create(name, log_config(byte_capacity, max_record));
    }
    // A byte stream's config: a ring of byte_capacity bytes (as a byte log's),
    // writes split into records of at most max_record bytes (0: the default).
    static indexbus_region_config stream_config(
        std::uint64_t byte_capacity = INDEXBUS_LOG_DEFAULT_BYTES, std::uint32_t max_record = 0)
    {
        indexbus_region_config cfg = config(Kind::stream);
        cfg.byte_capacity = byte_capacity;
        cfg.max_record = max_record;
        return cfg;
    }
    static Region create_stream(const std::string &name,
                                std::uint64_t byte_capacity = INDEXBUS_LOG_DEFAULT_BYTES,
                                std::uint32_t max_record = 0)
    {
        return create(name, stream_config(byte_capacity, max_record));
    }
    // A request/response region's config: `cells` reply cells (1..4096; at
    // most that many requests outstanding at once), requests of up to
    // max_request and replies of up to max_reply bytes (8..16 MiB). 0 keeps
    // the default (64 cells, 4096 bytes).
    static indexbus_region_config rpc_config(std::uint32_t cells = 0,
                                             std::uint32_t max_request = 0,
                                             std::uint32_t max_reply = 0)
    {
        indexbus_region_config cfg = config(Kind::rpc);
        if (cells != 0)
            cfg.slot_count = cells;
        if (max_request != 0)
            cfg.slot_data_size = max_request;
        if (max_reply != 0)
            cfg.max_record = max_reply;
        return cfg;
    }
    static Region create_rpc(const std::string &name, std::uint32_t cells = 0,
                             std::uint32_t max_request = 0, std::uint32_t max_reply = 0)
    {
        return create(name, rpc_config(cells, max_request, max_reply));
    }
    // Open and validate, waiting up to ready_timeout for a racing creator.
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    static Region open(const std::string &name,
                       std::chrono::duration<Rep, Period> ready_timeout = std::chrono::seconds(1))
    {
        indexbus_open_config oc{};
        oc.size = sizeof oc;
        oc.ready_timeout_ns = detail::to_ns(ready_timeout);
        indexbus_region *r = nullptr;
        detail::check(indexbus_region_open(name.c_str(), &oc, &r), "indexbus_region_open");
        return Region(r);
    }
    // Remove the name; mapped regions keep working.
    static void unlink(const std::string &name)
    {
        detail::check(indexbus_region_unlink(name.c_str()), "indexbus_region_unlink");
    }
    static int try_unlink(const std::string &name) noexcept
    {
        return indexbus_region_unlink(name.c_str());
    }

    // The 1.1 fields are filled too: byte_capacity ... records_waiting for
    // byte logs and streams, stream_* and rpc_* for their kinds (0 else).
    indexbus_info info() const
    {
        indexbus_info i{};
        i.size = sizeof i;
        detail::check(indexbus_region_info(get(), &i), "indexbus_region_info");
        return i;
    }
    indexbus_consumer_stats consumer_stats(std::uint32_t consumer) const
    {
        indexbus_consumer_stats s{};
        s.size = sizeof s;
        detail::check(indexbus_region_consumer_stats(get(), consumer, &s),
                      "indexbus_region_consumer_stats");
        return s;
    }
    // A byte stream's latched state (Status::wrong_kind on other kinds).
    StreamState stream_state() const
    {
        StreamState st;
        detail::check(try_stream_state(st), "indexbus_stream_state");
        return st;
    }
    int try_stream_state(StreamState &out) const noexcept
    {
        return indexbus_stream_state(get(), &out.flags, &out.writers_aborted);
    }
    // Hand back what dead participants held (flags: INDEXBUS_RECOVER_*).
    indexbus_recover_report recover(std::uint32_t flags = 0)
    {
        indexbus_recover_report rep{};
        rep.size = sizeof rep;
        detail::check(indexbus_region_recover(get(), flags, &rep), "indexbus_region_recover");
        return rep;
    }

    indexbus_region *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    // Give up ownership (the caller closes it).
    indexbus_region *release() noexcept { return h_.release(); }
    void close() noexcept { h_.reset(); }

private:
    std::unique_ptr<indexbus_region, detail::RegionClose> h_;
};

// ---- producer -----------------------------------------------------------------

enum class ProducerType : std::uint32_t {
    spsc = INDEXBUS_PRODUCER_SPSC, // exclusive: one per region
    mpsc = INDEXBUS_PRODUCER_MPSC, // any number, from any processes
};

// A zero-copy claim: write into buffer(), then commit(len) (or commit(),
// all of it). Leaving scope without a successful commit (an exception
// included) aborts the claim: the slot goes back, or on a byte log the
// bytes become padding the consumer skips. Once committed or aborted the
// guard is empty (buffer() too). It refers to its producer's C handle: end
// it before that Producer closes (moving the Producer is fine).
class Claim {
public:
    Claim() noexcept = default;
    Claim(Claim &&o) noexcept
        : p_(std::exchange(o.p_, nullptr)), buf_(std::exchange(o.buf_, mutable_bytes()))
    {
    }
    Claim &operator=(Claim &&o) noexcept
    {
        if (this != &o) {
            abort();
            p_ = std::exchange(o.p_, nullptr);
            buf_ = std::exchange(o.buf_, mutable_bytes());
        }
        return *this;
    }
    Claim(const Claim &) = delete;
    Claim &operator=(const Claim &) = delete;
    ~Claim() { abort(); }

    // The claimed buffer: exactly len bytes from claim(len) or claim_wait;
    // from claim(), the slot data size (a byte log: max_record).
    mutable_bytes buffer() const noexcept { return buf_; }
    std::byte *data() const noexcept { return buf_.data(); }
    std::size_t capacity() const noexcept { return buf_.size(); }

    // Publish the first len bytes (a byte log pads the rest of the claim).
    // On failure the claim stays pending (and is aborted at scope exit
    // unless a later commit succeeds).
    void commit(std::size_t len) { detail::check(try_commit(len), "indexbus_commit"); }
    // Publish the whole buffer.
    void commit() { commit(capacity()); }
    int try_commit(std::size_t len) noexcept
    {
        if (p_ == nullptr)
            return INDEXBUS_BAD_STATE;
        int st = indexbus_commit(p_, len);
        if (st == INDEXBUS_OK) {
            p_ = nullptr;
            buf_ = mutable_bytes();
        }
        return st;
    }
    // Give the slot back unpublished (nothing if not pending).
    void abort() noexcept
    {
        if (p_ != nullptr)
            indexbus_abort(std::exchange(p_, nullptr));
        buf_ = mutable_bytes();
    }
    // True while the claim is pending.
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    friend class Producer;
    Claim(indexbus_producer *p, mutable_bytes buf) noexcept : p_(p), buf_(buf) {}
    indexbus_producer *p_ = nullptr;
    mutable_bytes buf_;
};

// An in-place batch claim on a byte log (Producer::claim_batch): record i's
// buffer is (*this)[i], exactly lens[i] bytes, all from one reservation.
// Nothing is visible until commit(n), which publishes the first n records
// with one store; the others become padding. Leaving scope without a
// successful commit (an exception included) turns them all into padding:
// the consumer receives none. Once committed or aborted the guard is empty.
// Same lifetime rule as Claim.
class BatchClaim {
public:
    BatchClaim() noexcept = default;
    BatchClaim(BatchClaim &&o) noexcept
        : p_(std::exchange(o.p_, nullptr)), bufs_(std::move(o.bufs_)), lens_(std::move(o.lens_))
    {
        o.bufs_.clear();
        o.lens_.clear();
    }
    BatchClaim &operator=(BatchClaim &&o) noexcept
    {
        if (this != &o) {
            abort();
            p_ = std::exchange(o.p_, nullptr);
            bufs_.swap(o.bufs_); // o keeps our (cleared) storage
            lens_.swap(o.lens_);
        }
        return *this;
    }
    BatchClaim(const BatchClaim &) = delete;
    BatchClaim &operator=(const BatchClaim &) = delete;
    ~BatchClaim() { abort(); }

    // Records claimed (0 once committed or aborted).
    std::size_t size() const noexcept { return lens_.size(); }
    bool empty() const noexcept { return lens_.empty(); }
    // Record i's buffer (i < size()).
    mutable_bytes operator[](std::size_t i) const noexcept
    {
        return as_writable_bytes(bufs_[i], lens_[i]);
    }

    // Publish the first n records with one store; the rest become padding.
    // On failure (Status::invalid_argument: n > size()) the claim stays
    // pending.
    void commit(std::size_t n) { detail::check(try_commit(n), "indexbus_commit_batch"); }
    // Publish them all.
    void commit() { commit(size()); }
    int try_commit(std::size_t n) noexcept
    {
        if (p_ == nullptr)
            return INDEXBUS_BAD_STATE;
        int st = indexbus_commit_batch(p_, n);
        if (st == INDEXBUS_OK)
            clear();
        return st;
    }
    // Publish none: every record becomes padding (nothing if not pending).
    void abort() noexcept
    {
        if (p_ != nullptr)
            indexbus_commit_batch(p_, 0);
        clear();
    }
    // True while the batch is pending.
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    friend class Producer;
    void clear() noexcept
    {
        p_ = nullptr;
        bufs_.clear(); // capacity kept: Producer::try_claim_batch reuses it
        lens_.clear();
    }
    indexbus_producer *p_ = nullptr;
    std::vector<void *> bufs_;
    std::vector<std::uint32_t> lens_;
};

class Producer {
public:
    Producer() noexcept = default;
    explicit Producer(indexbus_producer *adopt) noexcept : h_(adopt) {}

    static Producer open(const Region &region, ProducerType type = ProducerType::spsc)
    {
        indexbus_producer *p = nullptr;
        detail::check(indexbus_producer_open(region.get(), static_cast<std::uint32_t>(type), &p),
                      "indexbus_producer_open");
        return Producer(p);
    }

    // Copy one message into a slot and publish it.
    void publish(const_bytes msg) { detail::check(try_publish(msg), "indexbus_publish"); }
    void publish(std::string_view msg) { publish(as_bytes(msg)); }
    int try_publish(const_bytes msg) noexcept
    {
        return indexbus_publish(get(), msg.data(), msg.size());
    }
    int try_publish(std::string_view msg) noexcept { return try_publish(as_bytes(msg)); }

    // Publish lens.size() messages packed back to back in `packed`. Returns
    // how many went out, in order: fewer on FULL (backpressure, not an
    // error). Any other failure throws, though the messages before the one
    // that failed are out: try_publish_batch reports how many.
    std::size_t publish_batch(const_bytes packed, span<const std::uint32_t> lens)
    {
        std::size_t n = 0;
        int st = try_publish_batch(packed, lens, n);
        if (st != INDEXBUS_OK && st != INDEXBUS_FULL)
            throw Error(st, "indexbus_publish_batch");
        return n;
    }
    // As indexbus_publish_batch; INVALID_ARGUMENT (nothing sent) if the lens
    // add up to more than packed.size().
    int try_publish_batch(const_bytes packed, span<const std::uint32_t> lens,
                          std::size_t &published) noexcept
    {
        std::size_t total = 0;
        for (std::uint32_t l : lens)
            total += l;
        published = 0;
        if (total > packed.size())
            return INDEXBUS_INVALID_ARGUMENT;
        // an empty span may have no data(): the C call wants pointers anyway
        static const std::uint32_t none = 0;
        const void *data = packed.empty() ? static_cast<const void *>(&none) : packed.data();
        return indexbus_publish_batch(get(), data, lens.empty() ? &none : lens.data(),
                                      lens.size(), &published);
    }

    // Zero-copy: reserve a slot (throws Status::full when none is free).
    Claim claim()
    {
        Claim c;
        detail::check(try_claim(c), "indexbus_claim");
        return c;
    }
    int try_claim(Claim &out) noexcept
    {
        void *buf = nullptr;
        std::size_t cap = 0;
        int st = indexbus_claim(get(), &buf, &cap);
        if (st == INDEXBUS_OK)
            out = Claim(get(), as_writable_bytes(buf, cap));
        return st;
    }
    // Zero-copy claim of exactly len bytes (0 allowed): the buffer's size is
    // len. Byte logs: len <= max_record; events and fanout: len <= the slot
    // data size. Throws Status::too_large beyond that, Status::full when
    // there is no room now.
    Claim claim(std::size_t len)
    {
        Claim c;
        detail::check(try_claim(len, c), "indexbus_claim_len");
        return c;
    }
    int try_claim(std::size_t len, Claim &out) noexcept
    {
        void *buf = nullptr;
        int st = indexbus_claim_len(get(), len, &buf);
        if (st == INDEXBUS_OK)
            out = Claim(get(), as_writable_bytes(buf, len));
        return st;
    }

    // ---- blocking producers (every region kind) ----
    // As publish and claim(len), but while the region is full wait (spin,
    // then park until the consumer or router frees space) up to timeout:
    // Status::timeout after it, Status::disconnected once the consumers are
    // gone (a consumer that leaves or dies wakes waiting producers).
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    void publish_wait(const_bytes msg, std::chrono::duration<Rep, Period> timeout = forever)
    {
        detail::check(try_publish_wait(msg, timeout), "indexbus_publish_wait");
    }
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    void publish_wait(std::string_view msg, std::chrono::duration<Rep, Period> timeout = forever)
    {
        publish_wait(as_bytes(msg), timeout);
    }
    template <class Rep, class Period>
    int try_publish_wait(const_bytes msg, std::chrono::duration<Rep, Period> timeout) noexcept
    {
        return indexbus_publish_wait(get(), msg.data(), msg.size(), detail::to_ns(timeout));
    }
    template <class Rep, class Period>
    int try_publish_wait(std::string_view msg, std::chrono::duration<Rep, Period> timeout) noexcept
    {
        return try_publish_wait(as_bytes(msg), timeout);
    }
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    Claim claim_wait(std::size_t len, std::chrono::duration<Rep, Period> timeout = forever)
    {
        Claim c;
        detail::check(try_claim_wait(len, c, timeout), "indexbus_claim_wait");
        return c;
    }
    template <class Rep, class Period>
    int try_claim_wait(std::size_t len, Claim &out,
                       std::chrono::duration<Rep, Period> timeout) noexcept
    {
        void *buf = nullptr;
        int st = indexbus_claim_wait(get(), len, &buf, detail::to_ns(timeout));
        if (st == INDEXBUS_OK)
            out = Claim(get(), as_writable_bytes(buf, len));
        return st;
    }

    // ---- byte logs ----
    // In-place batch claim of lens.size() records of lens[i] bytes, with one
    // reservation (see BatchClaim). Throws Status::full when the whole batch
    // does not fit now, too_large if a record exceeds max_record or the
    // batch half the ring, wrong_kind on events and fanout regions (use
    // publish_batch there), bad_state while a claim is pending.
    BatchClaim claim_batch(span<const std::uint32_t> lens)
    {
        BatchClaim b;
        detail::check(try_claim_batch(lens, b), "indexbus_claim_batch");
        return b;
    }
    // As claim_batch; a finished `out` lends its storage (no allocation once
    // it has held a batch this large).
    int try_claim_batch(span<const std::uint32_t> lens, BatchClaim &out) noexcept
    {
        std::vector<void *> bufs;
        std::vector<std::uint32_t> copy;
        if (!out) {
            bufs.swap(out.bufs_);
            copy.swap(out.lens_);
        }
        try {
            bufs.resize(lens.size());
            copy.assign(lens.begin(), lens.end());
        } catch (...) {
            return INDEXBUS_NO_MEMORY;
        }
        int st = indexbus_claim_batch(get(), copy.data(), copy.size(), bufs.data());
        if (st == INDEXBUS_OK) {
            out = BatchClaim();
            out.p_ = get();
            out.bufs_.swap(bufs);
            out.lens_.swap(copy);
        } else if (!out) {
            bufs.clear();
            copy.clear();
            out.bufs_.swap(bufs); // the storage goes back
            out.lens_.swap(copy);
        }
        return st;
    }

    // Free space as this producer sees it now: byte logs, free ring bytes
    // (a record of len bytes takes 8 + len rounded up to 8, plus padding at
    // the wrap); events and fanout, messages it could publish without FULL.
    std::uint64_t space()
    {
        std::uint64_t n = 0;
        detail::check(try_space(n), "indexbus_producer_space");
        return n;
    }
    int try_space(std::uint64_t &out) noexcept { return indexbus_producer_space(get(), &out); }

    indexbus_producer *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    indexbus_producer *release() noexcept { return h_.release(); }
    void close() noexcept { h_.reset(); }

private:
    std::unique_ptr<indexbus_producer, detail::ProducerClose> h_;
};

// ---- consumer -----------------------------------------------------------------

// A message borrowed in place: valid until the guard ends (release() or
// scope exit), when the slot goes back and the guard becomes empty. It
// refers to its consumer's C handle: end it before that Consumer closes, and
// receive nothing else on that consumer meanwhile (Status::bad_state).
class Borrow {
public:
    Borrow() noexcept = default;
    Borrow(Borrow &&o) noexcept
        : c_(std::exchange(o.c_, nullptr)), msg_(std::exchange(o.msg_, const_bytes()))
    {
    }
    Borrow &operator=(Borrow &&o) noexcept
    {
        if (this != &o) {
            release();
            c_ = std::exchange(o.c_, nullptr);
            msg_ = std::exchange(o.msg_, const_bytes());
        }
        return *this;
    }
    Borrow(const Borrow &) = delete;
    Borrow &operator=(const Borrow &) = delete;
    ~Borrow() { release(); }

    const_bytes bytes() const noexcept { return msg_; }
    const std::byte *data() const noexcept { return msg_.data(); }
    std::size_t size() const noexcept { return msg_.size(); }
    std::string_view view() const noexcept { return as_string_view(msg_); }

    // End the borrow now (nothing if not held).
    void release() noexcept
    {
        if (c_ != nullptr)
            indexbus_recv_end(std::exchange(c_, nullptr));
        msg_ = const_bytes();
    }
    // True while the message is held.
    explicit operator bool() const noexcept { return c_ != nullptr; }

private:
    friend class Consumer;
    Borrow(indexbus_consumer *c, const_bytes msg) noexcept : c_(c), msg_(msg) {}
    indexbus_consumer *c_ = nullptr;
    const_bytes msg_;
};

class Consumer {
public:
    Consumer() noexcept = default;
    explicit Consumer(indexbus_consumer *adopt) noexcept : h_(adopt) {}

    // Consumer `index` (events regions: 0 only; exclusive per index).
    static Consumer open(const Region &region, std::uint32_t index = 0)
    {
        indexbus_consumer *c = nullptr;
        detail::check(indexbus_consumer_open(region.get(), index, &c), "indexbus_consumer_open");
        return Consumer(c);
    }

    // Copy the next message into buf, waiting up to timeout; returns its
    // length. Throws Status::timeout, disconnected, buffer_too_small, ...
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::size_t recv(mutable_bytes buf, std::chrono::duration<Rep, Period> timeout = forever)
    {
        std::size_t len = 0;
        detail::check(try_recv(buf, len, timeout), "indexbus_recv");
        return len;
    }
    // The next message as a string, whatever its length.
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::string recv_string(std::chrono::duration<Rep, Period> timeout = forever)
    {
        Borrow b = recv_begin(timeout);
        return std::string(b.view());
    }
    // Non-blocking copy: OK, EMPTY, DISCONNECTED, BUFFER_TOO_SMALL (len = size).
    int try_recv(mutable_bytes buf, std::size_t &len) noexcept
    {
        return indexbus_try_recv(get(), buf.data(), buf.size(), &len);
    }
    // Blocking copy, returning the status (TIMEOUT after timeout).
    template <class Rep, class Period>
    int try_recv(mutable_bytes buf, std::size_t &len,
                 std::chrono::duration<Rep, Period> timeout) noexcept
    {
        return indexbus_recv(get(), buf.data(), buf.size(), &len, detail::to_ns(timeout));
    }

    // Wait until a message is ready without taking it.
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    void wait(std::chrono::duration<Rep, Period> timeout = forever)
    {
        detail::check(try_wait(timeout), "indexbus_wait");
    }
    template <class Rep, class Period>
    int try_wait(std::chrono::duration<Rep, Period> timeout) noexcept
    {
        return indexbus_wait(get(), detail::to_ns(timeout));
    }

    // Zero-copy: borrow the next message (throws Status::empty if none).
    Borrow recv_begin()
    {
        Borrow b;
        detail::check(try_recv_begin(b), "indexbus_recv_begin");
        return b;
    }
    // Borrow, waiting up to timeout for a message (Status::timeout).
    template <class Rep, class Period>
    Borrow recv_begin(std::chrono::duration<Rep, Period> timeout)
    {
        Borrow b;
        detail::check(try_recv_begin(b, timeout), "indexbus_recv_begin");
        return b;
    }
    int try_recv_begin(Borrow &out) noexcept
    {
        const void *data = nullptr;
        std::size_t len = 0;
        int st = indexbus_recv_begin(get(), &data, &len);
        if (st == INDEXBUS_OK)
            out = Borrow(get(), as_bytes(data, len));
        return st;
    }
    // wait(timeout), then try_recv_begin (as indexbus_recv is wait + try_recv).
    template <class Rep, class Period>
    int try_recv_begin(Borrow &out, std::chrono::duration<Rep, Period> timeout) noexcept
    {
        int st = try_wait(timeout);
        return st == INDEXBUS_OK ? try_recv_begin(out) : st;
    }

    // Receive up to lens.size() messages packed into buf, waiting up to
    // timeout for the first; lens[i] is message i's length. Returns how many
    // (at least 1). Throws Status::timeout, disconnected, buffer_too_small
    // (the first message does not fit; lens[0] is its length), ...
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::size_t recv_batch(mutable_bytes buf, span<std::uint32_t> lens,
                           std::chrono::duration<Rep, Period> timeout = forever)
    {
        std::size_t n = 0;
        detail::check(try_recv_batch(buf, lens, n, timeout), "indexbus_recv_batch");
        return n;
    }
    // Non-blocking: OK (count >= 1), EMPTY, DISCONNECTED, BUFFER_TOO_SMALL.
    int try_recv_batch(mutable_bytes buf, span<std::uint32_t> lens, std::size_t &count) noexcept
    {
        return indexbus_recv_batch(get(), buf.data(), buf.size(), lens.data(), lens.size(),
                                   &count);
    }
    // wait(timeout), then the non-blocking batch (count = 0 unless OK).
    template <class Rep, class Period>
    int try_recv_batch(mutable_bytes buf, span<std::uint32_t> lens, std::size_t &count,
                       std::chrono::duration<Rep, Period> timeout) noexcept
    {
        count = 0;
        int st = try_wait(timeout);
        return st == INDEXBUS_OK ? try_recv_batch(buf, lens, count) : st;
    }

    indexbus_consumer *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    indexbus_consumer *release() noexcept { return h_.release(); }
    void close() noexcept { h_.reset(); }

private:
    std::unique_ptr<indexbus_consumer, detail::ConsumerClose> h_;
};

// ---- router (fanout regions) ----------------------------------------------------

enum class Source : std::uint32_t {
    spsc = INDEXBUS_SOURCE_SPSC,
    mpsc = INDEXBUS_SOURCE_MPSC,
    any = INDEXBUS_SOURCE_ANY,
};
enum class Mode : std::uint32_t {
    broadcast = INDEXBUS_MODE_BROADCAST,
    work_queue = INDEXBUS_MODE_WORK_QUEUE,
};

// Options of Router::run (zero counts and durations mean the library default).
struct RunOptions {
    Source source = Source::any;
    Mode mode = Mode::broadcast;
    bool exit_on_disconnect = false; // return once producers are gone and drained
    std::uint32_t spin_iters = 0;
    std::uint32_t yield_iters = 0;
    std::chrono::nanoseconds park{0}; // longest idle park before re-checking stop
};

class Router {
public:
    Router() noexcept = default;
    explicit Router(indexbus_router *adopt) noexcept : h_(adopt) {}

    // Exclusive: one router per region (Status::busy otherwise).
    static Router open(const Region &region)
    {
        indexbus_router *r = nullptr;
        detail::check(indexbus_router_open(region.get(), &r), "indexbus_router_open");
        return Router(r);
    }

    // Route one message: true if one left the source, false if it was
    // empty; throws otherwise (Status::full: no consumer could take it).
    bool route_once(Source source = Source::any, Mode mode = Mode::broadcast)
    {
        int st = try_route_once(source, mode);
        if (st == INDEXBUS_EMPTY)
            return false;
        detail::check(st, "indexbus_route_once");
        return true;
    }
    int try_route_once(Source source = Source::any, Mode mode = Mode::broadcast) noexcept
    {
        return indexbus_route_once(get(), static_cast<std::uint32_t>(source),
                                   static_cast<std::uint32_t>(mode));
    }
    int try_route_once(Source source, Mode mode, indexbus_route_result &result) noexcept
    {
        result = indexbus_route_result{};
        result.size = sizeof result;
        return indexbus_route_once_stats(get(), static_cast<std::uint32_t>(source),
                                         static_cast<std::uint32_t>(mode), &result);
    }

    // Route until stop() (from any thread), or, with exit_on_disconnect,
    // until producers are gone and drained. Returns the messages routed;
    // throws on anything else (Status::corrupt: bad region contents).
    std::uint64_t run(const RunOptions &opts = RunOptions())
    {
        std::uint64_t routed = 0;
        int st = try_run(opts, routed);
        if (st != INDEXBUS_DISCONNECTED)
            detail::check(st, "indexbus_router_run");
        return routed;
    }
    int try_run(const RunOptions &opts, std::uint64_t &routed) noexcept
    {
        indexbus_router_loop_config cfg{};
        cfg.size = sizeof cfg;
        cfg.source = static_cast<std::uint32_t>(opts.source);
        cfg.mode = static_cast<std::uint32_t>(opts.mode);
        cfg.flags = opts.exit_on_disconnect ? INDEXBUS_ROUTER_EXIT_ON_DISCONNECT : 0u;
        cfg.spin_iters = opts.spin_iters;
        cfg.yield_iters = opts.yield_iters;
        cfg.park_ns = detail::to_ns(opts.park);
        int st = indexbus_router_run(get(), &cfg);
        routed = cfg.routed;
        return st;
    }
    // Make a running run() return (a stop sent before run starts ends that
    // run at once). Safe from another thread.
    void stop() const noexcept { indexbus_router_stop(get()); }

    indexbus_router *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    indexbus_router *release() noexcept { return h_.release(); }
    void close() noexcept { h_.reset(); }

private:
    std::unique_ptr<indexbus_router, detail::RouterClose> h_;
};

// ---- byte streams (1.1) -----------------------------------------------------------

// What StreamWriter::write_all throws: the status (Status::timeout,
// Status::disconnected, ...) and how many bytes of the data went in before
// it, all of them complete (a prefix of the data; a write of at most
// max_record bytes goes in whole or not at all, so then 0).
class StreamError : public Error {
public:
    StreamError(int status, const char *call, std::size_t written)
        : Error(status, call), written_(written)
    {
    }
    std::size_t written() const noexcept { return written_; }

private:
    std::size_t written_;
};

// A writer of a byte stream: a seat of its own (up to 48 at once). Several
// writers feed one stream ("cloning" a writer is opening another one); the
// bytes of one write (and of a write_all of at most max_record bytes) stay
// contiguous. Closing (or destroying) the handle leaves cleanly; the last
// writer out ends the stream, and none can join after that. abort() leaves
// as a writer that failed (the stream is marked aborted at once).
class StreamWriter {
public:
    StreamWriter() noexcept = default;
    explicit StreamWriter(indexbus_stream_writer *adopt) noexcept : h_(adopt) {}

    // Join the stream. Throws Status::disconnected once it has ended or its
    // reader is gone, Status::busy with 48 writers attached,
    // Status::wrong_kind if the region is not a stream.
    static StreamWriter open(const Region &region)
    {
        indexbus_stream_writer *w = nullptr;
        detail::check(indexbus_stream_writer_open(region.get(), &w),
                      "indexbus_stream_writer_open");
        return StreamWriter(w);
    }

    // Write what fits now, without waiting, as one contiguous run: returns
    // how many bytes went in, 0 when the stream is full (or data is empty).
    // Throws Status::disconnected once the reader is gone.
    std::size_t write(const_bytes data)
    {
        std::size_t n = 0;
        int st = try_write(data, n);
        if (st != INDEXBUS_FULL)
            detail::check(st, "indexbus_stream_write");
        return n;
    }
    std::size_t write(std::string_view text) { return write(as_bytes(text)); }
    // OK (written > 0, or data is empty), FULL, DISCONNECTED, ...
    int try_write(const_bytes data, std::size_t &written) noexcept
    {
        return indexbus_stream_write(get(), data.data(), data.size(), &written);
    }
    int try_write(std::string_view text, std::size_t &written) noexcept
    {
        return try_write(as_bytes(text), written);
    }

    // Write all of data, waiting for room up to timeout. Throws StreamError
    // (Status::timeout, Status::disconnected once the reader is gone, ...),
    // whose written() says exactly how many bytes went in.
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    void write_all(const_bytes data, std::chrono::duration<Rep, Period> timeout = forever)
    {
        std::size_t n = 0;
        int st = try_write_all(data, n, timeout);
        if (st != INDEXBUS_OK)
            throw StreamError(st, "indexbus_stream_write_all", n);
    }
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    void write_all(std::string_view text, std::chrono::duration<Rep, Period> timeout = forever)
    {
        write_all(as_bytes(text), timeout);
    }
    template <class Rep, class Period>
    int try_write_all(const_bytes data, std::size_t &written,
                      std::chrono::duration<Rep, Period> timeout) noexcept
    {
        return indexbus_stream_write_all(get(), data.data(), data.size(), detail::to_ns(timeout),
                                         &written);
    }

    indexbus_stream_writer *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    indexbus_stream_writer *release() noexcept { return h_.release(); }
    // Leave the stream cleanly (what destruction does).
    void close() noexcept { h_.reset(); }
    // Leave as a writer that failed, e.g. one that stops before the end of
    // its input: the stream is marked aborted at once (Region::stream_state:
    // aborted(), writers_aborted counts it), exactly as if this writer had
    // died, and if it was the last writer the stream ends, not cleanly.
    // What it wrote stays readable. The handle becomes empty; nothing on an
    // empty one.
    void abort() noexcept { indexbus_stream_writer_abort(h_.release()); }

private:
    std::unique_ptr<indexbus_stream_writer, detail::StreamWriterClose> h_;
};

// The read end of a byte stream (one at a time). read() returns 0 at end of
// stream: every writer has left and everything is read. Closing (or
// destroying) the handle closes the read end for good: writers then get
// Status::disconnected. hand_over() detaches without closing, for another
// owner (in any process) to continue at the very next byte.
class StreamReader {
public:
    StreamReader() noexcept = default;
    explicit StreamReader(indexbus_stream_reader *adopt) noexcept : h_(adopt) {}

    // Take the read end. Throws Status::busy while another reader holds it,
    // Status::disconnected once a reader closed it. A reader that comes
    // before any writer waits for one (no end of stream yet).
    static StreamReader open(const Region &region)
    {
        indexbus_stream_reader *r = nullptr;
        detail::check(indexbus_stream_reader_open(region.get(), &r),
                      "indexbus_stream_reader_open");
        return StreamReader(r);
    }

    // Read up to buf.size() bytes (at least one), waiting up to timeout for
    // the first: returns how many, 0 at end of stream. Throws
    // Status::timeout, Status::invalid_argument for an empty buf, ...
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::size_t read(mutable_bytes buf, std::chrono::duration<Rep, Period> timeout = forever)
    {
        std::size_t n = 0;
        int st = try_read(buf, n, timeout);
        if (st == INDEXBUS_DISCONNECTED)
            return 0;
        detail::check(st, "indexbus_stream_read");
        return n;
    }
    // Non-blocking: OK (len > 0), EMPTY, DISCONNECTED (end of stream), ...
    int try_read(mutable_bytes buf, std::size_t &len) noexcept
    {
        return indexbus_stream_read(get(), buf.data(), buf.size(), &len, 0);
    }
    // Waiting up to timeout: OK, TIMEOUT, DISCONNECTED, ...
    template <class Rep, class Period>
    int try_read(mutable_bytes buf, std::size_t &len,
                 std::chrono::duration<Rep, Period> timeout) noexcept
    {
        return indexbus_stream_read(get(), buf.data(), buf.size(), &len, detail::to_ns(timeout));
    }
    // Everything up to the end of stream, each read waiting up to timeout
    // (Status::timeout; the bytes read so far are lost with the exception).
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::string read_to_end(std::chrono::duration<Rep, Period> timeout = forever)
    {
        std::string out;
        char buf[16384];
        for (;;) {
            std::size_t n = read(as_writable_bytes(buf, sizeof buf), timeout);
            if (n == 0)
                return out;
            out.append(buf, n);
        }
    }

    // Hand the read end over: detach without ending the stream (writers
    // keep writing); the handle becomes empty. The next StreamReader::open,
    // in any process, continues at the very next byte.
    void hand_over()
    {
        if (!h_)
            throw Error(INDEXBUS_INVALID_ARGUMENT, "indexbus_stream_reader_release");
        detail::check(indexbus_stream_reader_release(h_.release()),
                      "indexbus_stream_reader_release");
    }

    indexbus_stream_reader *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    indexbus_stream_reader *release() noexcept { return h_.release(); }
    // Close the read end for good (what destruction does).
    void close() noexcept { h_.reset(); }

private:
    std::unique_ptr<indexbus_stream_reader, detail::StreamReaderClose> h_;
};

// ---- request/response (1.1) ---------------------------------------------------------

// A request names itself by a token (generation << 32 | cell). A stale or
// forged one gives Status::not_found, never another request's reply.
using Token = std::uint64_t;

class RpcClient;

// A reply borrowed in place from its reply cell (RpcClient::wait): valid
// until the guard ends (release() or scope exit), which recycles the cell
// for the client's next request. Same lifetime rule as Borrow: end it
// before its RpcClient closes (moving the client is fine).
class Reply {
public:
    Reply() noexcept = default;
    Reply(Reply &&o) noexcept
        : c_(std::exchange(o.c_, nullptr)), token_(std::exchange(o.token_, 0)),
          msg_(std::exchange(o.msg_, const_bytes()))
    {
    }
    Reply &operator=(Reply &&o) noexcept
    {
        if (this != &o) {
            release();
            c_ = std::exchange(o.c_, nullptr);
            token_ = std::exchange(o.token_, 0);
            msg_ = std::exchange(o.msg_, const_bytes());
        }
        return *this;
    }
    Reply(const Reply &) = delete;
    Reply &operator=(const Reply &) = delete;
    ~Reply() { release(); }

    const_bytes bytes() const noexcept { return msg_; }
    const std::byte *data() const noexcept { return msg_.data(); }
    std::size_t size() const noexcept { return msg_.size(); }
    std::string_view view() const noexcept { return as_string_view(msg_); }
    // The request this answers.
    Token token() const noexcept { return token_; }

    // Done with the reply now: the cell is recycled (nothing if not held).
    void release() noexcept
    {
        if (c_ != nullptr)
            indexbus_rpc_reply_done(std::exchange(c_, nullptr), token_);
        msg_ = const_bytes();
    }
    // True while the reply is held.
    explicit operator bool() const noexcept { return c_ != nullptr; }

private:
    friend class RpcClient;
    Reply(indexbus_rpc_client *c, Token token, const_bytes msg) noexcept
        : c_(c), token_(token), msg_(msg)
    {
    }
    indexbus_rpc_client *c_ = nullptr;
    Token token_ = 0;
    const_bytes msg_;
};

// A zero-copy request (RpcClient::claim): write it into buffer(), then
// send(len) or send(). A claim that ends unsent (abort(), destruction, an
// exception included) is given back: nothing is sent, and the client keeps
// the cell for its next request (or frees it if it keeps one already).
// Once sent or given back the guard is empty. It refers to its client's C
// handle: end it before that RpcClient closes (moving the client is fine).
class RequestClaim {
public:
    RequestClaim() noexcept = default;
    RequestClaim(RequestClaim &&o) noexcept
        : c_(std::exchange(o.c_, nullptr)), buf_(std::exchange(o.buf_, mutable_bytes()))
    {
    }
    RequestClaim &operator=(RequestClaim &&o) noexcept
    {
        if (this != &o) {
            abort();
            c_ = std::exchange(o.c_, nullptr);
            buf_ = std::exchange(o.buf_, mutable_bytes());
        }
        return *this;
    }
    RequestClaim(const RequestClaim &) = delete;
    RequestClaim &operator=(const RequestClaim &) = delete;
    ~RequestClaim() { abort(); }

    // The request buffer: exactly the length claimed.
    mutable_bytes buffer() const noexcept { return buf_; }
    std::byte *data() const noexcept { return buf_.data(); }
    std::size_t capacity() const noexcept { return buf_.size(); }

    // Send the first len bytes; returns the request's token. Throws
    // Status::too_large past capacity() (the claim stays pending),
    // Status::disconnected when every server has left (nothing is sent;
    // the client keeps the cell).
    Token send(std::size_t len)
    {
        Token t = 0;
        detail::check(try_send(len, t), "indexbus_rpc_send");
        return t;
    }
    Token send() { return send(capacity()); }
    int try_send(std::size_t len, Token &token) noexcept
    {
        if (c_ == nullptr)
            return INDEXBUS_BAD_STATE;
        if (len > buf_.size())
            return INDEXBUS_TOO_LARGE;
        int st = indexbus_rpc_send(c_, len, &token);
        if (st != INDEXBUS_TOO_LARGE && st != INDEXBUS_INVALID_ARGUMENT) {
            c_ = nullptr; // sent, or (DISCONNECTED) given back unsent
            buf_ = mutable_bytes();
        }
        return st;
    }
    // Give the claim back unsent now (what destruction does); nothing if
    // it is not pending.
    void abort() noexcept
    {
        if (c_ != nullptr)
            indexbus_rpc_abort(std::exchange(c_, nullptr));
        buf_ = mutable_bytes();
    }
    // True while the claim is pending.
    explicit operator bool() const noexcept { return c_ != nullptr; }

private:
    friend class RpcClient;
    RequestClaim(indexbus_rpc_client *c, mutable_bytes buf) noexcept : c_(c), buf_(buf) {}
    indexbus_rpc_client *c_ = nullptr;
    mutable_bytes buf_;
};

// A client of a request/response region. Requests go to any server (a work
// queue); each takes a reply cell, recycled without allocation once the
// reply is read. Closing fails nothing: its outstanding requests are given
// up (a late reply is dropped and counted) and its cells freed.
class RpcClient {
public:
    RpcClient() noexcept = default;

    static RpcClient open(const Region &region)
    {
        indexbus_info i{};
        i.size = sizeof i;
        detail::check(indexbus_region_info(region.get(), &i), "indexbus_region_info");
        indexbus_rpc_client *h = nullptr;
        detail::check(indexbus_rpc_client_open(region.get(), &h), "indexbus_rpc_client_open");
        RpcClient c;
        c.h_.reset(h);
        c.max_request_ = i.max_request;
        c.max_reply_ = i.max_reply;
        return c;
    }

    // Largest request and reply of the region, in bytes.
    std::size_t max_request() const noexcept { return h_ ? max_request_ : 0; }
    std::size_t max_reply() const noexcept { return h_ ? max_reply_ : 0; }

    // A whole round trip with copies: the reply, waiting up to timeout.
    // Throws Status::timeout (the request is cancelled), disconnected (its
    // server left or died, or none is attached), full (every cell taken),
    // too_large, ...
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::string call(std::string_view req,
                     std::chrono::duration<Rep, Period> timeout = forever)
    {
        Reply r = wait_or_cancel(request(req), timeout);
        return std::string(r.view());
    }
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::vector<std::byte> call(const_bytes req,
                                std::chrono::duration<Rep, Period> timeout = forever)
    {
        Reply r = wait_or_cancel(request(req), timeout);
        return std::vector<std::byte>(r.bytes().begin(), r.bytes().end());
    }
    // The reply copied into `reply`: returns its length. Throws
    // Status::buffer_too_small if it does not fit (the reply is dropped).
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    std::size_t call(const_bytes req, mutable_bytes reply,
                     std::chrono::duration<Rep, Period> timeout = forever)
    {
        std::size_t n = 0;
        detail::check(try_call(req, reply, n, timeout), "indexbus_rpc_call");
        return n;
    }
    template <class Rep, class Period>
    int try_call(const_bytes req, mutable_bytes reply, std::size_t &reply_len,
                 std::chrono::duration<Rep, Period> timeout) noexcept
    {
        Token t = 0;
        int st = try_request(req, t);
        if (st != INDEXBUS_OK)
            return st;
        Reply r;
        st = try_wait(t, r, timeout);
        if (st == INDEXBUS_OK) {
            reply_len = r.size();
            if (r.size() > reply.size())
                return INDEXBUS_BUFFER_TOO_SMALL;
            if (r.size() != 0)
                std::memcpy(reply.data(), r.data(), r.size());
        } else if (st == INDEXBUS_TIMEOUT || st == INDEXBUS_CORRUPT) {
            indexbus_rpc_cancel(get(), t);
        }
        return st;
    }

    // Send a copy of `data` as a request; returns its token. Throws
    // Status::full (every cell taken), too_large (past max_request),
    // disconnected (every server has left), ...
    Token request(const_bytes data)
    {
        Token t = 0;
        detail::check(try_request(data, t), "indexbus_rpc_request");
        return t;
    }
    Token request(std::string_view text) { return request(as_bytes(text)); }
    // BAD_STATE while a RequestClaim is pending (send or drop it first).
    int try_request(const_bytes data, Token &token) noexcept
    {
        return indexbus_rpc_request(get(), data.data(), data.size(), &token);
    }
    int try_request(std::string_view text, Token &token) noexcept
    {
        return try_request(as_bytes(text), token);
    }

    // Zero-copy request: a cell's request buffer of len bytes (see
    // RequestClaim). Throws Status::full, too_large, ...
    RequestClaim claim(std::size_t len)
    {
        RequestClaim c;
        detail::check(try_claim(len, c), "indexbus_rpc_claim");
        return c;
    }
    // BAD_STATE while another RequestClaim is pending (one at a time).
    int try_claim(std::size_t len, RequestClaim &out) noexcept
    {
        void *buf = nullptr;
        int st = indexbus_rpc_claim(get(), len, &buf);
        if (st == INDEXBUS_OK)
            out = RequestClaim(get(), as_writable_bytes(buf, len));
        return st;
    }

    // Wait up to timeout for the reply to `token` and borrow it in place
    // (see Reply). Throws Status::timeout (still outstanding: wait again, or
    // cancel), disconnected (its server left or died; the cell is
    // recycled), not_found (not this client's outstanding request).
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    Reply wait(Token token, std::chrono::duration<Rep, Period> timeout = forever)
    {
        Reply r;
        detail::check(try_wait(token, r, timeout), "indexbus_rpc_wait");
        return r;
    }
    template <class Rep, class Period>
    int try_wait(Token token, Reply &out, std::chrono::duration<Rep, Period> timeout) noexcept
    {
        const void *data = nullptr;
        std::size_t len = 0;
        int st = indexbus_rpc_wait(get(), token, &data, &len, detail::to_ns(timeout));
        if (st == INDEXBUS_OK)
            out = Reply(get(), token, as_bytes(data, len));
        return st;
    }

    // Give up an outstanding request: a late reply is dropped and counted.
    void cancel(Token token) { detail::check(try_cancel(token), "indexbus_rpc_cancel"); }
    int try_cancel(Token token) noexcept { return indexbus_rpc_cancel(get(), token); }

    indexbus_rpc_client *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    // Give up ownership (the caller closes it; a pending claim stays pending).
    indexbus_rpc_client *release() noexcept { return h_.release(); }
    void close() noexcept { h_.reset(); }

private:
    template <class Rep, class Period>
    Reply wait_or_cancel(Token t, std::chrono::duration<Rep, Period> timeout)
    {
        Reply r;
        int st = try_wait(t, r, timeout);
        if (st == INDEXBUS_TIMEOUT || st == INDEXBUS_CORRUPT)
            indexbus_rpc_cancel(get(), t);
        detail::check(st, "indexbus_rpc_wait");
        return r;
    }
    std::unique_ptr<indexbus_rpc_client, detail::RpcClientClose> h_;
    std::size_t max_request_ = 0;
    std::size_t max_reply_ = 0;
};

// A request borrowed in place by a server (RpcServer::serve): its bytes stay
// valid until it is answered. reply() (or reply_buffer() + commit()) answers
// it, once; the guard is then empty. A Request that ends unanswered (fail(),
// destruction, an exception included) fails: its client's wait gets
// Status::disconnected, counted in indexbus_info.rpc_requests_failed (seed
// 004's "a sender dropped unsent makes the receive fail"). To answer later
// instead, defer() it and keep the token for RpcServer::reply(token, ...).
// It refers to its server's C handle: end it before that RpcServer closes.
class Request {
public:
    Request() noexcept = default;
    Request(Request &&o) noexcept
        : s_(std::exchange(o.s_, nullptr)), token_(std::exchange(o.token_, 0)),
          msg_(std::exchange(o.msg_, const_bytes()))
    {
    }
    Request &operator=(Request &&o) noexcept
    {
        if (this != &o) {
            fail();
            s_ = std::exchange(o.s_, nullptr);
            token_ = std::exchange(o.token_, 0);
            msg_ = std::exchange(o.msg_, const_bytes());
        }
        return *this;
    }
    Request(const Request &) = delete;
    Request &operator=(const Request &) = delete;
    ~Request() { fail(); }

    const_bytes bytes() const noexcept { return msg_; }
    const std::byte *data() const noexcept { return msg_.data(); }
    std::size_t size() const noexcept { return msg_.size(); }
    std::string_view view() const noexcept { return as_string_view(msg_); }
    Token token() const noexcept { return token_; }

    // Answer with a copy of `data`. Throws Status::too_large past
    // max_reply (the request stays held), not_found if it was answered
    // (or failed) already.
    void reply(const_bytes data) { detail::check(try_reply(data), "indexbus_rpc_reply"); }
    void reply(std::string_view text) { reply(as_bytes(text)); }
    int try_reply(const_bytes data) noexcept
    {
        if (s_ == nullptr)
            return INDEXBUS_BAD_STATE;
        return done(indexbus_rpc_reply(s_, token_, data.data(), data.size()));
    }
    int try_reply(std::string_view text) noexcept { return try_reply(as_bytes(text)); }

    // Zero-copy: the cell's reply buffer (max_reply bytes; apart from the
    // request's bytes, which stay readable), answered by commit(len).
    mutable_bytes reply_buffer()
    {
        mutable_bytes b;
        detail::check(try_reply_buffer(b), "indexbus_rpc_reply_buffer");
        return b;
    }
    int try_reply_buffer(mutable_bytes &out) noexcept
    {
        if (s_ == nullptr)
            return INDEXBUS_BAD_STATE;
        void *buf = nullptr;
        std::size_t cap = 0;
        int st = indexbus_rpc_reply_buffer(s_, token_, &buf, &cap);
        if (st == INDEXBUS_OK)
            out = as_writable_bytes(buf, cap);
        return st;
    }
    void commit(std::size_t len) { detail::check(try_commit(len), "indexbus_rpc_reply_commit"); }
    int try_commit(std::size_t len) noexcept
    {
        if (s_ == nullptr)
            return INDEXBUS_BAD_STATE;
        return done(indexbus_rpc_reply_commit(s_, token_, len));
    }

    // Drop it unanswered now (what destruction does): its client's wait
    // gets Status::disconnected. Nothing if not held through this guard.
    void fail() noexcept
    {
        if (s_ != nullptr)
            indexbus_rpc_fail(std::exchange(s_, nullptr), token_);
        msg_ = const_bytes();
    }
    // Leave it held by the server, unanswered: the guard becomes empty and
    // the token is returned (for RpcServer::reply or RpcServer::fail later).
    Token defer() noexcept
    {
        s_ = nullptr;
        msg_ = const_bytes();
        return token_;
    }
    // True while the request waits for its reply through this guard.
    explicit operator bool() const noexcept { return s_ != nullptr; }

private:
    friend class RpcServer;
    Request(indexbus_rpc_server *s, Token token, const_bytes msg) noexcept
        : s_(s), token_(token), msg_(msg)
    {
    }
    int done(int st) noexcept
    {
        if (st != INDEXBUS_TOO_LARGE) { // answered, or not ours any more
            s_ = nullptr;
            msg_ = const_bytes();
        }
        return st;
    }
    indexbus_rpc_server *s_ = nullptr;
    Token token_ = 0;
    const_bytes msg_;
};

// A server of a request/response region. Any number may serve at once (a
// work queue: each request goes to one). Closing fails the requests it
// holds unanswered: their clients get Status::disconnected.
class RpcServer {
public:
    RpcServer() noexcept = default;
    explicit RpcServer(indexbus_rpc_server *adopt) noexcept : h_(adopt) {}

    static RpcServer open(const Region &region)
    {
        indexbus_rpc_server *s = nullptr;
        detail::check(indexbus_rpc_server_open(region.get(), &s), "indexbus_rpc_server_open");
        return RpcServer(s);
    }

    // Take the next request, waiting up to timeout (Status::timeout).
    template <class Rep = std::chrono::nanoseconds::rep, class Period = std::nano>
    Request serve(std::chrono::duration<Rep, Period> timeout = forever)
    {
        Request r;
        detail::check(try_serve(r, timeout), "indexbus_rpc_serve");
        return r;
    }
    // Non-blocking: OK or EMPTY.
    int try_serve(Request &out) noexcept { return try_serve(out, std::chrono::nanoseconds(0)); }
    template <class Rep, class Period>
    int try_serve(Request &out, std::chrono::duration<Rep, Period> timeout) noexcept
    {
        Token t = 0;
        const void *data = nullptr;
        std::size_t len = 0;
        int st = indexbus_rpc_serve(get(), &t, &data, &len, detail::to_ns(timeout));
        if (st == INDEXBUS_OK)
            out = Request(get(), t, as_bytes(data, len));
        return st;
    }

    // Answer a held request by its token (see Request::defer). Throws
    // Status::not_found for a token this server does not hold (stale,
    // answered already, forged), too_large past max_reply.
    void reply(Token token, const_bytes data)
    {
        detail::check(try_reply(token, data), "indexbus_rpc_reply");
    }
    void reply(Token token, std::string_view text) { reply(token, as_bytes(text)); }
    int try_reply(Token token, const_bytes data) noexcept
    {
        return indexbus_rpc_reply(get(), token, data.data(), data.size());
    }
    int try_reply(Token token, std::string_view text) noexcept
    {
        return try_reply(token, as_bytes(text));
    }
    mutable_bytes reply_buffer(Token token)
    {
        void *buf = nullptr;
        std::size_t cap = 0;
        detail::check(indexbus_rpc_reply_buffer(get(), token, &buf, &cap),
                      "indexbus_rpc_reply_buffer");
        return as_writable_bytes(buf, cap);
    }
    void reply_commit(Token token, std::size_t len)
    {
        detail::check(indexbus_rpc_reply_commit(get(), token, len), "indexbus_rpc_reply_commit");
    }
    // Drop a held request unanswered by its token (see Request::defer): its
    // client's wait gets Status::disconnected. Throws Status::not_found as
    // reply() does.
    void fail(Token token) { detail::check(try_fail(token), "indexbus_rpc_fail"); }
    int try_fail(Token token) noexcept { return indexbus_rpc_fail(get(), token); }

    indexbus_rpc_server *get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    indexbus_rpc_server *release() noexcept { return h_.release(); }
    // Leave; requests held unanswered fail (what destruction does).
    void close() noexcept { h_.reset(); }

private:
    std::unique_ptr<indexbus_rpc_server, detail::RpcServerClose> h_;
};

} // namespace indexbus

// Status values are error codes: `err.code() == indexbus::Status::full`.
namespace std {
template <>
struct is_error_code_enum<indexbus::Status> : true_type {};
} // namespace std

#endif // INDEXBUS_HPP
