/* main.c - the indexbus command-line tool: subcommand dispatch and help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv holds the arguments after the name */
    const char *synopsis;
    const char *summary;
} command;

static const command commands[] = {
    {"create", cmd_create,
     "NAME [--kind events|fanout|log|stream|rpc] [--slots N] [--slot-size BYTES] [--queue N] "
     "[--consumers N] [--bytes N] [--max-record BYTES] [--cells N] [--max-request BYTES] "
     "[--max-reply BYTES] [--mode OCTAL] [--prefault] [--durable] [--recycle] [--mpsc-batch]",
     "create a region"},
    {"info", cmd_info, "NAME [--json]",
     "show a region's header, geometry, counters and participants"},
    {"list", cmd_list, "[--dir DIR] [--json]",
     "one line per region: kind, size, participants, messages, last activity"},
    {"top", cmd_top, "NAME... [--interval S] [--once [--json]]",
     "live rates, depths and participants of regions (q quits)"},
    {"stat", cmd_stat, "--prometheus NAME... [--listen 127.0.0.1:PORT]",
     "counters and liveness in the Prometheus text format"},
    {"pub", cmd_pub,
     "NAME [--mpsc] [--file PATH...] [--count N [--size BYTES]] [--timeout-ms MS]",
     "publish stdin lines, files, or synthetic messages"},
    {"sub", cmd_sub,
     "NAME [--consumer N] [--follow] [--count N] [--timeout-ms MS] [--quiet] [--hex] "
     "[--check-seq]",
     "receive and print messages"},
    {"route", cmd_route,
     "NAME [--mode broadcast|work-queue] [--source spsc|mpsc|any] [--exit-on-disconnect]",
     "run the router of a fanout region"},
    {"stream", cmd_stream,
     "write|read NAME [--bytes N] [--max-record BYTES] [--timeout-ms MS] [--stats] [--keep]",
     "a shared-memory pipe: copy stdin into a stream, or a stream to stdout"},
    {"serve", cmd_serve, "NAME --echo [--workers N] [--count N] [--cells N] "
     "[--max-request BYTES] [--max-reply BYTES]",
     "serve requests (--echo: reply with the request's bytes)"},
    {"request", cmd_request,
     "NAME [--data STR | --size BYTES] [--count N] [--timeout-ms MS] [--hex]",
     "send requests, print the reply or a round-trip summary"},
    {"bridge", cmd_bridge,
     "out REGION --nats URL --subject SUBJ [--consumer I] ... | in --nats URL --subject SUBJ "
     "--durable NAME REGION ...",
     "carry a durable region over NATS JetStream (runs indexbus-bridge)"},
    {"recover", cmd_recover, "NAME [--sweep] [--json]",
     "hand back what dead participants held"},
    {"gc", cmd_gc, "[NAME...] [--dir DIR]", "remove regions nobody alive uses"},
    {"unlink", cmd_unlink, "NAME", "remove a region's name"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char help_details[] =
    "NAME is POSIX shared memory when it has no '/' after its first character\n"
    "(\"orders\", \"/orders\"); anything else (\"/dev/hugepages/x\", \"./x\") is a file.\n"
    "\n"
    "create   --kind events (default; one consumer), fanout (router + consumers),\n"
    "         log (a byte log: records of any length up to a maximum, stored inline\n"
    "         in a byte ring; one consumer; layout 1.1), stream (a byte stream: a pipe\n"
    "         with no message boundaries on a byte ring; writers and one reader;\n"
    "         layout 1.1) or rpc (request/response: clients and servers share a\n"
    "         table of reply cells; layout 1.1).\n"
    "         --slots N, --queue N: powers of two (default: events 2048 slots, queue\n"
    "         1024, so SPSC slots recycle; fanout 1024 and 1024; with --slots, queue\n"
    "         defaults to slots). --slot-size BYTES: multiple of 8, 64..1048576 (default 256).\n"
    "         --consumers N: fanout 1..64 (default 4).\n"
    "         --bytes N: a log's ring, a power of two, 4096..1073741824 (default\n"
    "         1048576). --max-record BYTES: a log's largest record, at most N / 2 - 8\n"
    "         (default 65536, or that if less). A record takes 8 + its length rounded\n"
    "         up to 8 bytes of the ring. A stream takes --bytes and --max-record too\n"
    "         (it splits writes into records; a write of up to --max-record bytes\n"
    "         goes in whole, like PIPE_BUF).\n"
    "         --cells N: an rpc region's reply cells, 1..4096 (default 64: requests\n"
    "         in flight at once); --max-request, --max-reply BYTES: 8..16777216\n"
    "         (default 4096). --mode: file mode (0600).\n"
    "         --prefault: touch every page now.\n"
    "         --durable: events, fanout and log regions get durable state (layout\n"
    "         1.2; libraries before 1.3 refuse the region): marked publishes whose\n"
    "         last mark the region keeps, fanout queues held for their consumer,\n"
    "         bridge counters, a random region id (what indexbus bridge uses).\n"
    "         --recycle: slots recycle through queue cells (fanout: to the SPSC\n"
    "         producer through the router; events: MPSC slots, as SPSC slots\n"
    "         already do); slots at least twice the queue, which then defaults to\n"
    "         half the slots. --mpsc-batch: MPSC producers reserve a whole batch's\n"
    "         queue cells at once. Both: events and fanout, layout 1.3; readers\n"
    "         of layout 1.2 and older refuse the region.\n"
    "info     header (kind, layout, capabilities, size, creator), geometry,\n"
    "         counters (a log: bytes used, which include records read but not yet\n"
    "         given back, as the consumer does that in batches; bytes free; bytes\n"
    "         padding; records waiting), a per-consumer table and the participant\n"
    "         table: every attached handle with its role, consumer index, pid,\n"
    "         attach time and whether its process is alive (NO: it died without\n"
    "         closing, and what it held waits for recovery).\n"
    "         A stream shows its ring as a log does, then its latched state (open,\n"
    "         or ENDED: every writer left; READER_GONE: the read end was closed;\n"
    "         ABORTED: a writer died), writers attached, writers aborted and bytes\n"
    "         read. An rpc region shows its cells, free cells, requests and replies\n"
    "         at most, replies abandoned (their client gave up or died) and\n"
    "         requests failed (their server closed or died).\n"
    "         A durable region also shows its region id, its mark (the last\n"
    "         marked message committed), a fanout region's held queues, and the\n"
    "         bridge counters: in, and out through each consumer that has any.\n"
    "         A region created with --recycle or --mpsc-batch says so under its\n"
    "         header (fanout recycle, mpsc batch, mpsc recycle: yes).\n"
    "         --json: the same as one JSON object (docs/CLI.md, \"JSON\").\n"
    "         info, list, top and stat open regions read-only: read permission\n"
    "         on the region file is enough, and they write nothing.\n"
    "list     one line per region in /dev/shm (or --dir DIR): name, kind, layout,\n"
    "         size, participants alive and dead, messages published, and the age\n"
    "         of the last activity (creation or the newest attach). Files that are\n"
    "         not IndexBus regions are skipped and counted. --json: one object.\n"
    "top      a live view of the named regions, redrawn every --interval S\n"
    "         (default 1): rates per second (published, routed, delivered and\n"
    "         dropped per consumer), depths, free slots or bytes, participants\n"
    "         alive or dead, and a highlighted line of what changed. q or Ctrl-C\n"
    "         quits. Not on a terminal, it prints one plain frame per refresh.\n"
    "         --once: one sample (two looks --interval apart), then exit;\n"
    "         --once --json: as JSON.\n"
    "stat     --prometheus: every counter, gauge and liveness of the named\n"
    "         regions in the Prometheus text format, with region and consumer\n"
    "         labels. --listen ADDR:PORT (e.g. 127.0.0.1:9464; port 0: any, printed\n"
    "         on stderr) serves it at /metrics until SIGINT/SIGTERM.\n"
    "pub      default: each line of stdin (newline removed) is one message.\n"
    "         --file PATH...: each file's whole content is one message.\n"
    "         --count N [--size BYTES]: N synthetic messages (default 64 bytes, at\n"
    "         least 8) starting with an 8-byte little-endian sequence number 0, 1, ...\n"
    "         --mpsc: use an MPSC producer (default: the exclusive SPSC producer; a\n"
    "         log takes one SPSC producer or MPSC producers, not both at once).\n"
    "         Waits while the bus is full, parked until a consumer or router frees\n"
    "         space; --timeout-ms MS: give up (exit 1) when a message waited that\n"
    "         long. Stops if every consumer has closed.\n"
    "         Prints count, seconds and rate on stderr.\n"
    "sub      receives as consumer N (default 0) and prints each message on a\n"
    "         line (raw text, or --hex). Stops after --count N messages, when the\n"
    "         producers are gone and everything is drained, or after --timeout-ms\n"
    "         without a message. --quiet prints no messages. --check-seq verifies\n"
    "         the 8-byte sequence numbers strictly increase and counts gaps (a\n"
    "         broadcast consumer that got everything from seq 0 has none).\n"
    "         Prints a summary on stderr (time is first to last message).\n"
    "         --follow: stay attached when every producer has gone, for the next\n"
    "         one; stops on SIGINT/SIGTERM, after --count or --timeout-ms.\n"
    "route    routes a fanout region until SIGINT/SIGTERM, or with\n"
    "         --exit-on-disconnect until the producers are gone and drained.\n"
    "         --mode broadcast (default) or work-queue; --source any (default).\n"
    "stream   write NAME < FILE: copies stdin into stream NAME and leaves at the end\n"
    "         of input; once every writer has left, the stream has ended.\n"
    "         read NAME > FILE: copies stream NAME to stdout until every writer has\n"
    "         left and everything is read. Either creates the stream if there is\n"
    "         none (with --bytes and --max-record, else the defaults), so\n"
    "           indexbus stream write s < big & indexbus stream read s > out\n"
    "         works whichever starts first. A stream is written once: the reader\n"
    "         removes its name when it closes the read end (--keep: leave it, to\n"
    "         look at with info; 'indexbus unlink' removes it). Several writers may\n"
    "         write at once: what one read of a writer's stdin returns goes in whole\n"
    "         if it is at most --max-record bytes (like PIPE_BUF); more may be cut\n"
    "         where another writer's bytes come between.\n"
    "         A writer that stops early (SIGINT/SIGTERM, stdin fails, --timeout-ms)\n"
    "         leaves as a failed writer and exits 1: the stream is ABORTED at once\n"
    "         (one killed otherwise is, once recovered), and the reader exits 1\n"
    "         after copying what came before. --timeout-ms MS: write gives up when the\n"
    "         stream was full for MS ms, read when no byte came for MS ms.\n"
    "         --stats: bytes, seconds and MB/s on stderr.\n"
    "serve    --echo: replies to every request with its bytes (cut to the max reply),\n"
    "         until SIGINT/SIGTERM or --count N requests in all. --workers N (1..64,\n"
    "         default 1): N threads, each a server of the region's work queue.\n"
    "         Creates the region if there is none (--cells, --max-request,\n"
    "         --max-reply as for create). Prints a summary on stderr.\n"
    "request  sends one request (--data STR, or --size N bytes: an 8-byte\n"
    "         little-endian sequence number, then zeros; default empty) and prints\n"
    "         the reply on a line (raw, or --hex). --count N: N round trips one after\n"
    "         another, then \"N round trips of B bytes: rtt p50 .. us, p99 .. us, max\n"
    "         .. us\" instead. A request sent before any server has attached waits\n"
    "         for the first one; once every server has left (or died) it fails.\n"
    "         --timeout-ms MS: give up on a reply after MS ms (the request is\n"
    "         cancelled).\n"
    "bridge   runs indexbus-bridge (beside this program, else on PATH; built when\n"
    "         libnats is installed) with the same arguments. out: a held consumer of\n"
    "         a durable region (create --durable) publishes each message to JetStream\n"
    "         stream IB_<subject> and lets go of it once acknowledged; in: a durable\n"
    "         JetStream consumer publishes into a durable region, exactly once across\n"
    "         restarts. 'indexbus bridge --help' lists every option; exit status is\n"
    "         the bridge's: 3 region problem, 4 NATS problem, 5 oversize record\n"
    "         refused (docs/BRIDGE.md).\n"
    "recover  finds participants whose process died (the kernel dropped their\n"
    "         liveness lock) and hands back what they held: roles, claimed and\n"
    "         held slots, a dead fanout consumer's queue (its messages are\n"
    "         dropped), MPSC reservations, a log's unfinished records (they become\n"
    "         padding; counted as cells skipped). Safe while others run; blocking waits,\n"
    "         idle routers and refused attaches also do it on their own.\n"
    "         --sweep also rebuilds the free pool from what the queues hold (finds\n"
    "         slots leaked in rare crash windows); it needs a quiet region: nobody\n"
    "         attached, and nobody attaching while it runs. --json: the report as\n"
    "         one JSON object.\n"
    "gc       removes each named region whose participants are all dead (after\n"
    "         recovering them); one nobody is attached to counts as unused, even\n"
    "         if messages wait in it. Without NAMEs, does so for every file in\n"
    "         /dev/shm (or --dir DIR, as file paths) that starts with the IndexBus\n"
    "         magic; other files are never touched. Prints per region \"removed\",\n"
    "         \"in use (N alive)\" or the error.\n"
    "\n"
    "Exit status: 0 success, 1 error, 2 usage error. sub also exits 1 if it got\n"
    "fewer than --count messages or --check-seq found a message out of order;\n"
    "stream write exits 141 (as a shell reports a process a broken pipe killed)\n"
    "when the reader is gone, stream read when its stdout is, and 1 when the\n"
    "stream ended ABORTED; request exits 1 if a reply did not come (timeout, no\n"
    "server);\n"
    "recover --sweep exits 1 if someone is attached; gc exits 1 if a region\n"
    "could not be examined (a region in use is not an error).\n";

const char *cli_synopsis(const char *cmd)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, cmd) == 0)
            return commands[i].synopsis;
    return "";
}

static void print_help(FILE *out)
{
    fprintf(out, "indexbus %s - IndexBus shared-memory message bus tool\n\nusage:\n",
            indexbus_version_string());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  indexbus %s %s\n", commands[i].name, commands[i].synopsis);
    fprintf(out, "  indexbus help | version\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n%s", help_details);
}

static void print_version(void)
{
    uint32_t layout = indexbus_layout_version();
    printf("indexbus %s (library %s, region layout %u.%u)\n", INDEXBUS_VERSION_STRING,
           indexbus_version_string(), (unsigned)(layout >> 16), (unsigned)(layout & 0xffff));
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_help(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
        print_version();
        return CLI_OK;
    }
    const command *c = find_command(name);
    if (c == NULL) {
        fprintf(stderr, "indexbus: unknown command '%s' (see 'indexbus help')\n", name);
        return CLI_USAGE;
    }
    int rc = c->run(argc - 2, argv + 2);
    /* a full disk or closed pipe on stdout is an error too */
    if (fflush(stdout) != 0 && rc == CLI_OK) {
        cli_error("stdout: write failed");
        rc = CLI_ERROR;
    }
    return rc;
}
