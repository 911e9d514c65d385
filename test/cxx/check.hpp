// check.hpp - tiny support for the C++ tests (test/cxx/*.cpp, one program per
// feature): CHECK macros that count failures, unique region names, and the
// summary line. Every test's main() ends with `return ibx::summary();`.
#ifndef IBX_CHECK_HPP
#define IBX_CHECK_HPP

#include <indexbus/indexbus.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <unistd.h>

namespace ibx {
inline int failures = 0;

// A region name no other test (or earlier run) uses.
inline std::string name(const char *tag)
{
    static unsigned serial = 0;
    return "/ibxx-" + std::string(tag) + "-" + std::to_string(getpid()) + "-" +
           std::to_string(serial++);
}

// Unlinks a region name at scope exit (whatever the test did).
struct Unlink {
    std::string name;
    explicit Unlink(std::string n) : name(std::move(n)) {}
    ~Unlink() { indexbus::Region::try_unlink(name); }
    Unlink(const Unlink &) = delete;
    Unlink &operator=(const Unlink &) = delete;
};

// A small events region: 8 slots of 64 bytes, queue 8.
inline indexbus::Region small_events(const std::string &n)
{
    indexbus_region_config cfg = indexbus::Region::config(indexbus::Kind::events);
    cfg.slot_count = cfg.queue_capacity = 8;
    cfg.slot_data_size = 64;
    return indexbus::Region::create(n, cfg);
}

inline int summary()
{
    if (failures != 0)
        std::fprintf(stderr, "%d check(s) failed\n", failures);
    return failures == 0 ? 0 : 1;
}
} // namespace ibx

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ibx::failures++;                                                         \
        }                                                                            \
    } while (0)

// A status returned by a try_ call.
#define CHECK_ST(expr, want)                                                         \
    do {                                                                             \
        int got_ = (expr);                                                           \
        if (got_ != (want)) {                                                        \
            std::fprintf(stderr, "%s:%d: %s = %s, want %s\n", __FILE__, __LINE__, #expr, \
                         indexbus_status_name(got_), indexbus_status_name(want));    \
            ibx::failures++;                                                         \
        }                                                                            \
    } while (0)

// `expr` throws indexbus::Error with status `want` (an indexbus::Status).
#define CHECK_THROWS(expr, want)                                                     \
    do {                                                                             \
        bool thrown_ = false;                                                        \
        try {                                                                        \
            (void)(expr);                                                            \
        } catch (const indexbus::Error &e_) {                                        \
            thrown_ = true;                                                          \
            if (e_.status() != (want) || e_.code() != (want)) {                      \
                std::fprintf(stderr, "%s:%d: %s threw %s (%s), want %s\n", __FILE__, \
                             __LINE__, #expr, indexbus_status_name(e_.code().value()), \
                             e_.what(), indexbus_status_name(static_cast<int>(want))); \
                ibx::failures++;                                                     \
            }                                                                        \
        }                                                                            \
        if (!thrown_) {                                                              \
            std::fprintf(stderr, "%s:%d: %s did not throw %s\n", __FILE__, __LINE__, #expr, \
                         indexbus_status_name(static_cast<int>(want)));              \
            ibx::failures++;                                                         \
        }                                                                            \
    } while (0)

// Setup that the rest of the test depends on.
#define REQUIRE(cond)                                                                \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
            std::exit(1);                                                            \
        }                                                                            \
    } while (0)

#endif // IBX_CHECK_HPP
