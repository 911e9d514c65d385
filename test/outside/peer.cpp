// peer.cpp - the outside-the-tree C++ program (CMake: IndexBus::indexbus):
// the same commands as peer.c, on <indexbus/indexbus.hpp>.
//   peer-cxx pub NAME MSG...   publish each MSG
//   peer-cxx sub NAME COUNT    receive COUNT messages (5 s each), one per line
#include <indexbus/indexbus.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char **argv)
{
    using namespace std::chrono_literals;
    const std::string cmd = argc >= 4 ? argv[1] : "";
    if (cmd != "pub" && cmd != "sub") {
        std::cerr << "usage: peer-cxx pub NAME MSG... | peer-cxx sub NAME COUNT\n";
        return 2;
    }
    try {
        auto region = indexbus::Region::open(argv[2]);
        if (cmd == "pub") {
            auto tx = indexbus::Producer::open(region);
            for (int i = 3; i < argc; i++)
                tx.publish(std::string(argv[i]));
        } else {
            auto rx = indexbus::Consumer::open(region);
            for (long i = std::strtol(argv[3], nullptr, 10); i > 0; i--)
                std::cout << rx.recv_string(5s) << '\n';
        }
    } catch (const indexbus::Error &e) {
        std::cerr << "peer-cxx: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
