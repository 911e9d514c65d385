// router.cpp - Router on a fanout region: run() on its own thread broadcasts
// every message to every consumer in order and returns the count once the
// producer is gone (exit_on_disconnect); stop() from another thread ends a
// run that would go on forever; a stop sent before run() ends that run at
// once; work-queue mode hands each message to exactly one consumer.
#include "check.hpp"

#include <set>
#include <thread>
#include <vector>

using indexbus::Consumer;
using indexbus::Mode;
using indexbus::Producer;
using indexbus::Region;
using indexbus::Router;
using indexbus::RunOptions;
using indexbus::Status;
using namespace std::chrono_literals;

static Region fanout(const std::string &n, std::uint32_t consumers)
{
    indexbus_region_config cfg = Region::config(indexbus::Kind::fanout);
    cfg.slot_count = cfg.queue_capacity = 256;
    cfg.slot_data_size = 64;
    cfg.consumer_count = consumers;
    return Region::create(n, cfg);
}

static void test_broadcast()
{
    const std::string n = ibx::name("bcast");
    ibx::Unlink u(n);
    Region r = fanout(n, 3);
    std::vector<Consumer> cs;
    for (std::uint32_t i = 0; i < 3; i++)
        cs.push_back(Consumer::open(r, i));
    Router rt = Router::open(r);
    Producer p = Producer::open(r);
    std::uint64_t routed = 0;
    RunOptions opts;
    opts.exit_on_disconnect = true;
    std::thread t([&] { routed = rt.run(opts); });
    for (int i = 0; i < 200; i++)
        p.publish("m" + std::to_string(i));
    p.close();
    t.join();
    CHECK(routed == 200);
    for (Consumer &c : cs) {
        for (int i = 0; i < 200; i++)
            CHECK(c.recv_string(1s) == "m" + std::to_string(i));
        std::size_t len = 0;
        std::byte buf[64];
        CHECK_ST(c.try_recv(buf, len), INDEXBUS_DISCONNECTED);
    }
    for (std::uint32_t i = 0; i < 3; i++)
        CHECK(r.consumer_stats(i).delivered == 200);
}

static void test_stop_from_another_thread()
{
    const std::string n = ibx::name("stop");
    ibx::Unlink u(n);
    Region r = fanout(n, 1);
    Consumer c = Consumer::open(r, 0);
    Producer p = Producer::open(r); // attached: only stop() ends the run
    Router rt = Router::open(r);
    std::uint64_t routed = 99;
    int st = -1;
    std::thread t([&] { st = rt.try_run(RunOptions(), routed); });
    p.publish("before stop");
    CHECK(c.recv_string(5s) == "before stop"); // the run is routing
    rt.stop();
    t.join();
    CHECK_ST(st, INDEXBUS_OK);
    CHECK(routed == 1);
}

static void test_stop_before_run()
{
    const std::string n = ibx::name("early");
    ibx::Unlink u(n);
    Region r = fanout(n, 1);
    Consumer c = Consumer::open(r, 0);
    Producer p = Producer::open(r);
    Router rt = Router::open(r);
    p.publish("waits");
    rt.stop();
    CHECK(rt.run() == 0); // returns at once, nothing routed
    std::size_t len = 0;
    std::byte buf[64];
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY);
    CHECK(rt.route_once());
    CHECK(c.recv_string(1s) == "waits");
}

static void test_work_queue()
{
    const std::string n = ibx::name("wq");
    ibx::Unlink u(n);
    Region r = fanout(n, 2);
    Consumer c0 = Consumer::open(r, 0), c1 = Consumer::open(r, 1);
    Router rt = Router::open(r);
    Producer p = Producer::open(r);
    for (int i = 0; i < 100; i++)
        p.publish(std::to_string(i));
    p.close();
    RunOptions opts;
    opts.mode = Mode::work_queue;
    opts.exit_on_disconnect = true;
    CHECK(rt.run(opts) == 100);
    std::multiset<std::string> got;
    std::size_t each[2] = {0, 0};
    Consumer *cs[2] = {&c0, &c1};
    for (int i = 0; i < 2; i++)
        for (;;) {
            std::byte buf[64];
            std::size_t len = 0;
            int st = cs[i]->try_recv(buf, len);
            if (st != INDEXBUS_OK) {
                CHECK_ST(st, INDEXBUS_DISCONNECTED);
                break;
            }
            got.insert(std::string(reinterpret_cast<const char *>(buf), len));
            each[i]++;
        }
    CHECK(got.size() == 100 && each[0] + each[1] == 100);
    for (int i = 0; i < 100; i++)
        CHECK(got.count(std::to_string(i)) == 1); // each exactly once
}

int main()
{
    test_broadcast();
    test_stop_from_another_thread();
    test_stop_before_run();
    test_work_queue();
    return ibx::summary();
}
