// peer.cpp - the outside-the-tree C++ program (CMake: IndexBus::indexbus):
// the same commands as peer.c, on <indexbus/indexbus.hpp>, and a byte
// stream and requests each way.
//   peer-cxx pub NAME MSG...    publish each MSG
//   peer-cxx sub NAME COUNT     receive COUNT messages (5 s each), one per line
//   peer-cxx write NAME         copy stdin into byte stream NAME, then leave (its end)
//   peer-cxx read NAME          copy byte stream NAME to stdout, to its end
//   peer-cxx call NAME MSG...   send each MSG as a request, print each reply on a line
//   peer-cxx serve NAME COUNT   answer COUNT requests with "peer:" + the request
#include <indexbus/indexbus.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char **argv)
{
    using namespace std::chrono_literals;
    const std::string cmd = argc >= 3 ? argv[1] : "";
    const bool args_ok =
        ((cmd == "pub" || cmd == "sub" || cmd == "call" || cmd == "serve") && argc >= 4) ||
        cmd == "write" || cmd == "read";
    if (!args_ok) {
        std::cerr << "usage: peer-cxx pub NAME MSG... | sub NAME COUNT | write NAME | read NAME"
                     " | call NAME MSG... | serve NAME COUNT\n";
        return 2;
    }
    try {
        auto region = indexbus::Region::open(argv[2]);
        if (cmd == "pub") {
            auto tx = indexbus::Producer::open(region);
            for (int i = 3; i < argc; i++)
                tx.publish(std::string(argv[i]));
        } else if (cmd == "sub") {
            auto rx = indexbus::Consumer::open(region);
            for (long i = std::strtol(argv[3], nullptr, 10); i > 0; i--)
                std::cout << rx.recv_string(5s) << '\n';
        } else if (cmd == "write") {
            auto w = indexbus::StreamWriter::open(region);
            char buf[8192];
            while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0)
                w.write_all(indexbus::as_bytes(buf, static_cast<std::size_t>(std::cin.gcount())),
                            10s);
            w.close(); // the only writer: the stream ends
        } else if (cmd == "read") {
            auto r = indexbus::StreamReader::open(region);
            char buf[8192];
            while (std::size_t n = r.read(indexbus::as_writable_bytes(buf, sizeof buf), 10s))
                std::cout.write(buf, static_cast<std::streamsize>(n));
            std::cout.flush();
        } else if (cmd == "call") {
            auto client = indexbus::RpcClient::open(region);
            for (int i = 3; i < argc; i++)
                std::cout << client.call(argv[i], 5s) << '\n';
        } else {
            auto server = indexbus::RpcServer::open(region);
            for (long i = std::strtol(argv[3], nullptr, 10); i > 0; i--) {
                indexbus::Request q = server.serve(10s);
                indexbus::mutable_bytes out = q.reply_buffer(); // zero-copy
                if (q.size() + 5 > out.size()) {
                    q.reply("peer: too long");
                    continue;
                }
                std::memcpy(out.data(), "peer:", 5);
                std::memcpy(out.data() + 5, q.data(), q.size());
                q.commit(5 + q.size());
            }
        }
    } catch (const indexbus::Error &e) {
        std::cerr << "peer-cxx: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
