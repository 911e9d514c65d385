// hello.cpp - the README's C++ example: one process creates an events region,
// publishes, receives (copy and zero-copy), and cleans up. Build with
//   c++ -std=c++17 hello.cpp $(pkg-config --cflags --libs indexbus)
#include <indexbus/indexbus.hpp>

#include <chrono>
#include <iostream>

int main()
{
    using namespace std::chrono_literals;
    try {
        auto region = indexbus::Region::create("/hello-indexbus-cxx");
        auto tx = indexbus::Producer::open(region);
        auto rx = indexbus::Consumer::open(region);

        tx.publish("hello, bus");
        std::cout << rx.recv_string(1s) << '\n'; // throws indexbus::Error on TIMEOUT

        {   // zero-copy: write into the slot, commit (or abort at scope exit)
            auto claim = tx.claim();
            claim.data()[0] = std::byte{'!'};
            claim.commit(1);
        }
        auto msg = rx.recv_begin(1s); // borrowed in place until scope exit
        std::cout << msg.view() << '\n';
    } catch (const indexbus::Error &e) {
        std::cerr << e.what() << '\n';
        indexbus::Region::try_unlink("/hello-indexbus-cxx");
        return 1;
    }
    indexbus::Region::unlink("/hello-indexbus-cxx");
    return 0;
}
