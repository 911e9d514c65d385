#!/usr/bin/env python3
"""bench-report: regenerate docs/PERFORMANCE.md's tables and docs/perf/*.png
from a `make bench` result (build/bench/latest.json).

    report.py LATEST_JSON PERFORMANCE_MD PLOT_DIR [--sections NAME,...]

The document keeps its hand-written text; only what sits between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->` is replaced, for NAME in
machine, targets, latency, throughput, multiparty, log, bindings, other,
streamrpc, bridge, peers. A marker that is missing is an error (nothing is written then).
--sections replaces only the blocks named (e.g. streamrpc from an
`indexbus-bench --only stream,rpc` run, bridge from `make bench-bridge`, or
peers from `make bench-peers`)
and draws no plots, so it needs no matplotlib.
"""
import json
import os
import re
import sys

plt = None  # matplotlib.pyplot, imported when plots are drawn


def load_matplotlib():
    global plt
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:  # pragma: no cover - the Makefile installs it
        sys.exit("bench-report: matplotlib is missing (make bench-report installs it in a venv)")
    plt = pyplot


SECTIONS = ("machine", "targets", "latency", "throughput", "multiparty", "log", "bindings", "other", "streamrpc",
            "bridge", "peers")


def is_peer_row(name):
    """A latency row of the peers section (peers.c): reported in its own block."""
    return name.endswith(("(peer)", "(peers run)"))


def fmt_ns(v):
    if v is None:
        return "-"
    if v >= 100000:
        return f"{v / 1000:.0f} µs"
    if v >= 10000:
        return f"{v / 1000:.1f} µs"
    return f"{v:.0f}"


def fmt_rate(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e3:
        return f"{v / 1e3:.1f} k"
    return f"{v:.0f}"


def fmt_ratio(v):
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def machine_section(d):
    m = d["machine"]
    s = d["settings"]
    return "\n".join(
        [
            table(
                ["", ""],
                [
                    ["date (UTC)", d["date"]],
                    ["CPU model (/proc/cpuinfo)", m["cpu_model"]],
                    ["nproc / CPUs allowed", f'{m["nproc"]} / {m["cpus_allowed"]}'],
                    ["kernel", m["kernel"]],
                    ["load average before / after", f'{m["loadavg_start"]} / {m["loadavg_end"]}'],
                    ["mode, repetitions per ratio", f'{d["mode"]}, {d["reps"]}'],
                    ["window per measurement", f'{s["warmup_ms"]} ms warm-up + {s["measure_ms"]} ms'],
                    ["run time", f'{d["elapsed_s"]:.0f} s'],
                ],
                ["l", "l"],
            )
        ]
    )


def targets_section(d):
    rows = []
    for key, t in d["targets"].items():
        v = t["value"]
        reps = ", ".join(fmt_ratio(x) for x in t["reps"])
        met = "n/a" if v is None else ("**met**" if t["met"] else "**missed**")
        limit = f'{t["op"]} {t["limit"]:g}'
        if t["op"] == "rec":  # recorded, no target
            met, limit = "recorded", "-"
        rows.append([f"`{key}`", t["what"], limit, fmt_ratio(v), met, reps])
    return table(
        ["key", "what", "target", "measured", "", "per repetition"],
        rows,
        ["l", "l", "r", "r", "l", "l"],
    )


def latency_section(d):
    rows = []
    for r in d["raw"]["latency_ns"]:
        if is_peer_row(r["name"]):
            continue
        rows.append(
            [
                r["name"],
                r["size"],
                fmt_ns(r["p50"]),
                fmt_ns(r["p90"]),
                fmt_ns(r["p99"]),
                fmt_ns(r["p99_9"]),
                fmt_ns(r["max"]),
                r["samples"],
                r["placement"],
            ]
        )
    return table(["one way, ns", "bytes", "p50", "p90", "p99", "p99.9", "max", "samples", "CPUs"], rows)


def tput_rows(d, names):
    for r in d["raw"]["throughput"]:
        if r["name"] in names:
            yield r


def throughput_section(d):
    rows = []
    for r in tput_rows(d, {"ring (reference)", "spsc", "pipe stream", "socketpair stream"}):
        rows.append(
            [
                r["name"],
                r["size"],
                r["batch"],
                fmt_rate(r["msgs_per_s"]),
                f'{r["gb_per_s"]:.3f}' if r["gb_per_s"] is not None else "-",
                r["placement"],
            ]
        )
    return table(["", "bytes", "batch", "msgs/s", "GB/s", "CPUs"], rows)


def multiparty_section(d):
    rows = []
    for r in tput_rows(d, {"mpsc", "fanout broadcast", "fanout work-queue"}):
        if r["name"] == "mpsc":
            who = f'{r["parties"] - 1} producer(s)'
        else:
            who = f'{r["parties"] - 2} consumer(s)'
        per = r.get("per_consumer_msgs_per_s")
        rows.append(
            [
                r["name"],
                who,
                r["parties"],
                fmt_rate(r["msgs_per_s"]),
                fmt_rate(per) if per else "-",
                r["dropped_full"],
                r["placement"],
            ]
        )
    return table(["64 B (fanout: RECYCLE, MPSC: MPSC_BATCH + RECYCLE)", "parties", "processes", "msgs/s (all)",
                  "per consumer", "dropped (full)", "CPUs"], rows)


# Byte logs next to events regions, by message size: (row name, batch, column title).
LOG_SERIES = (
    ("spsc", 1, "events, publish"),
    ("log", 1, "byte log, publish"),
    ("spsc", 32, "events, batch 32"),
    ("log", 32, "byte log, publish_batch 32"),
    ("log claim_batch", 32, "byte log, claim_batch 32"),
)


def log_section(d):
    rate = {(r["name"], r["size"], r["batch"]): r["msgs_per_s"] for r in d["raw"]["throughput"]}
    sizes = sorted({r["size"] for r in d["raw"]["throughput"] if r["name"].startswith("log") and r["parties"] == 2})
    rows = []
    for size in sizes:
        row = [size]
        for name, batch, _ in LOG_SERIES:
            row.append(fmt_rate(rate.get((name, size, batch))))
        rows.append(row)
    out = [table(["msgs/s, bytes"] + [t for _, _, t in LOG_SERIES], rows)]
    extra = []
    for r in tput_rows(d, {"ring (byte-log rounds)", "log mpsc"}):
        what = "minimal ring (the byte-log rounds' reference)" if r["name"].startswith("ring") else (
            f'byte log, {r["parties"] - 1} MPSC producers, publish'
        )
        extra.append([what, r["size"], fmt_rate(r["msgs_per_s"]), r["placement"]])
    if extra:
        out.append("")
        out.append(table(["", "bytes", "msgs/s", "CPUs"], extra))
    return "\n".join(out)


def bindings_section(d):
    rows = []
    for r in d["raw"]["bindings"]:
        rows.append(
            [
                r["lang"],
                r["batch"],
                fmt_rate(r["msgs_per_cpu_s"]),
                fmt_rate(r["c_msgs_per_cpu_s"]),
                fmt_ratio(r["over_c"]),
                fmt_rate(r["msgs_per_s"]),
            ]
        )
    return table(
        ["64 B, publish + recv", "batch", "msgs per CPU-s", "C, same reps", "over C (median)", "msgs/s, wall"], rows
    )


STREAM_KEYS = ("stream_gbps_over_pipe", "rpc_rtt_over_floor", "uds_rpc_rtt_over_rpc")
RPC_ROWS = ("floor (rpc rounds)", "rpc call", "rpc zero-copy", "socketpair (rpc rounds)")


def streamrpc_section(d):
    """The issue-15 keys, the stream and pipe rates, and the round trips
    (twice the one-way rows) of the rpc rounds and their diagnostics."""
    out = []
    rows = []
    for key in STREAM_KEYS:
        t = d["targets"].get(key)
        if t is None:
            continue
        v = t["value"]
        met = "n/a" if v is None else ("**met**" if t["met"] else "**missed**")
        rows.append([f"`{key}`", f'{t["op"]} {t["limit"]:g}', fmt_ratio(v), met,
                     ", ".join(fmt_ratio(x) for x in t["reps"])])
    out.append(table(["key", "target", "measured", "", "per repetition"], rows,
                     ["l", "r", "r", "l", "l"]))
    rows = []
    for r in d["raw"]["throughput"]:
        if r["name"].startswith(("stream", "pipe (")):
            rows.append([r["name"], r["size"], f'{r["gb_per_s"]:.3f}' if r["gb_per_s"] is not None else "-",
                         r["placement"]])
    if rows:
        out += ["", table(["64 KiB writes, reads into 64 KiB", "bytes", "GB/s (median)", "CPUs"], rows)]
    rows = []
    lat = [r for r in d["raw"]["latency_ns"] if r["name"] in RPC_ROWS or "rpc" in r["name"]]
    # the key's rows first, then the diagnostic rounds (floor first)
    lat.sort(key=lambda r: (r["name"] not in RPC_ROWS, "floor" not in r["name"]))
    for r in lat:
        twice = lambda k: None if r.get(k) is None else 2 * r[k]
        rows.append([r["name"], r["size"], fmt_ns(twice("p50")), fmt_ns(twice("p90")), fmt_ns(twice("p99")),
                     fmt_ns(twice("mean")), r["samples"], r["placement"]])
    if rows:
        out += ["", table(["round trip, ns", "bytes", "p50", "p90", "p99", "mean", "samples", "CPUs"], rows)]
    return "\n".join(out)


BRIDGE_KEYS = ("bridge_over_nats", "bridge_msgs_per_s_64", "bridge_msgs_per_s_1k", "nats_js_msgs_per_s_64",
               "bridge_e2e_p50_us", "bridge_e2e_p99_us")


def bridge_section(d):
    """The issue-16 keys, the bridge and plain-publisher rates, the CPU each
    side spent per message, and the end-to-end latency row (in µs)."""
    rows = []
    for key in BRIDGE_KEYS:
        t = d["targets"].get(key)
        if t is None:
            continue
        v = t["value"]
        if t["op"] == "rec":
            met, limit = ("recorded" if v is not None else "n/a"), "-"
        else:
            met, limit = ("n/a" if v is None else ("**met**" if t["met"] else "**missed**")), f'{t["op"]} {t["limit"]:g}'
        rows.append([f"`{key}`", limit, fmt_ratio(v), met, ", ".join(fmt_ratio(x) for x in t["reps"])])
    out = [table(["key", "target", "measured", "", "per repetition"], rows, ["l", "r", "r", "l", "l"])]
    rows = []
    for r in d["raw"]["throughput"]:
        if "JetStream" in r["name"]:
            mb = None if r["msgs_per_s"] is None else r["msgs_per_s"] * r["size"] / 1e6
            rows.append([r["name"], r["size"], r["batch"], fmt_rate(r["msgs_per_s"]),
                         "-" if mb is None else f"{mb:.1f}"])
    if rows:
        out += ["", table(["one server, file storage", "bytes", "in flight", "msgs/s (median)", "MB/s"], rows)]
    rows = [[k, fmt_ratio(v)] for k, v in d["raw"]["values"].items() if "cpu_us_per_msg" in k]
    if rows:
        out += ["", table(["CPU per message, µs (median)", "value"], rows, ["l", "r"])]
    rows = []
    for r in d["raw"]["latency_ns"]:
        if r["name"].startswith("bridge"):
            us = lambda k: "-" if r.get(k) is None else f"{r[k] / 1000:.0f}"
            rows.append([r["name"], r["size"], us("p50"), us("p90"), us("p99"), us("p99_9"), us("max"),
                         us("mean"), r["samples"]])
    if rows:
        out += ["", table(["region to region, µs", "bytes", "p50", "p90", "p99", "p99.9", "max", "mean",
                           "samples"], rows)]
    return "\n".join(out)


PEER_KEYS = ("iox2_p50_over_ours", "ours_tput_over_iox2", "ours_java_tput_over_aeron", "ours_c_tput_over_aeron")
PEER_TPUT = ("ours c copy", "ours c zero-copy", "ours java copy", "ours java zero-copy", "iceoryx2 copy",
             "iceoryx2 zero-copy", "aeron offer", "aeron tryClaim")
PEER_BCAST = ("ours fanout broadcast", "iceoryx2 broadcast", "aeron broadcast")


def peers_section(d):
    """The issue-18 keys, then each side's latency, throughput and broadcast
    rows (medians over the section's repetitions), with the seqs found lost."""
    rows = []
    for key in PEER_KEYS:
        t = d["targets"].get(key)
        if t is None:
            continue
        v = t["value"]
        met = "n/a" if v is None else ("**met**" if t["met"] else "**missed**")
        rows.append([f"`{key}`", f'{t["op"]} {t["limit"]:g}', fmt_ratio(v), met,
                     ", ".join(fmt_ratio(x) for x in t["reps"])])
    out = [table(["key", "target", "measured", "", "per repetition"], rows, ["l", "r", "r", "l", "l"])]
    rows = [[r["name"], r["size"], fmt_ns(r["p50"]), fmt_ns(r.get("mean")), r["samples"]]
            for r in d["raw"]["latency_ns"] if is_peer_row(r["name"])]
    if rows:
        out += ["", table(["ping-pong, one way, ns", "bytes", "p50 (median)", "mean (median)", "repetitions"], rows)]
    rows = []
    for r in d["raw"]["throughput"]:
        if r["name"] in PEER_TPUT or r["name"] in PEER_BCAST:
            gb = "-" if r.get("gb_per_s") is None else f'{r["gb_per_s"]:.3f}'
            rows.append([r["name"], r["size"], r["parties"], fmt_rate(r["msgs_per_s"]), gb, r.get("dropped_full", 0),
                         r["placement"]])
    if rows:
        out += ["", table(["two processes (broadcast: 1 + 3)", "bytes", "procs", "msgs/s per consumer (median)",
                           "GB/s", "seqs lost", "CPUs"], rows)]
    rows = [[k, fmt_ratio(v)] for k, v in d["raw"]["values"].items() if k.startswith("peers_")]
    if rows:
        out += ["", table(["other ratios (zero-copy against zero-copy; 1 KiB: one repetition)", "value"], rows,
                          ["l", "r"])]
    return "\n".join(out)


def plot_peers(d, path):
    """Three panels: 64 B and 1 KiB latency p50, 64 B and 1 KiB throughput
    (copy and zero-copy), and the 1-to-3 broadcast, each side beside the others."""
    lat = {(r["name"], r["size"]): r for r in d["raw"]["latency_ns"] if is_peer_row(r["name"])}
    tp = {(r["name"], r["size"]): r for r in d["raw"]["throughput"] if r["name"] in PEER_TPUT + PEER_BCAST}
    if not lat and not tp:
        return
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), dpi=100, gridspec_kw={"width_ratios": [1, 2.2, 1]})
    sides = [("spsc (peers run)", "IndexBus C"), ("iceoryx2 (peer)", "iceoryx2"), ("aeron ipc java (peer)", "Aeron IPC (Java)")]
    ax = axes[0]
    for i, (name, label) in enumerate(sides):
        for j, size in enumerate((64, 1024)):
            r = lat.get((name, size))
            if r and r["p50"] is not None:
                ax.bar(j * 4 + i, r["p50"], color=f"C{(0, 2, 3)[i]}", label=label if j == 0 else None)
    ax.set_xticks([1, 5], ["64 B", "1 KiB"])
    ax.set_ylabel("one-way p50, ns (lower is better)")
    ax.set_title("Ping-pong latency", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    groups = [("ours c", "IndexBus C"), ("ours java", "IndexBus Java"), ("iceoryx2", "iceoryx2"), ("aeron", "Aeron IPC (Java)")]
    modes = {"ours c": ("copy", "zero-copy"), "ours java": ("copy", "zero-copy"), "iceoryx2": ("copy", "zero-copy"),
             "aeron": ("offer", "tryClaim")}
    x = 0
    ticks = []
    for size in (64, 1024):
        for m in range(2):
            ticks.append((x + 1.5, f'{size} B {("copy", "zero-copy")[m]}'))
            for i, (g, label) in enumerate(groups):
                r = tp.get((f"{g} {modes[g][m]}", size))
                if r and r["msgs_per_s"] is not None:
                    ax.bar(x + i, r["msgs_per_s"] / 1e6, color=f"C{i}",
                           label=label if (size, m) == (64, 0) else None)
            x += 5
    ax.set_xticks([t[0] for t in ticks], [t[1] for t in ticks], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("M msgs/s received (log)")
    ax.set_title("Throughput, two pinned processes (Aeron: offer / tryClaim)", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[2]
    for i, (name, label) in enumerate(zip(PEER_BCAST, ("IndexBus fanout", "iceoryx2", "Aeron IPC (Java)"))):
        r = tp.get((name, 64))
        if r and r["msgs_per_s"] is not None:
            ax.bar(i, r["msgs_per_s"] / 1e6, color=f"C{(0, 2, 3)[i]}")
    ax.set_xticks(range(3), ["IndexBus fanout\n(recycle, router)", "iceoryx2", "Aeron"], fontsize=8)
    ax.set_ylabel("M msgs/s per subscriber")
    ax.set_title("1-to-3 broadcast, 64 B copy\n(publisher: CPU 0; 3 subscribers: CPU 1)", fontsize=10)
    for a in axes:
        a.grid(True, axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def other_section(d):
    rows = [[k, f"{v:,.0f}" if v is not None and abs(v) >= 100 else fmt_ratio(v)] for k, v in d["raw"]["values"].items()
            if not k.startswith("peers_")]
    return table(["figure", "value"], rows, ["l", "r"])


def plot_latency(d, path):
    pcts = ["p50", "p90", "p99", "p99_9"]
    labels = ["p50", "p90", "p99", "p99.9"]
    rows = [r for r in d["raw"]["latency_ns"]
            if "diagnostic" not in r["name"] and "raw," not in r["name"] and not r["name"].startswith("bridge")]
    shm = [r for r in rows if r["name"].startswith(("floor", "spsc", "log", "rpc"))]
    kern = [r for r in rows if r not in shm]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), dpi=100)
    for ax, group, title in (
        (axes[0], shm, "Shared memory: ping-pong, RTT/2"),
        (axes[1], kern, "Through the kernel (pipe, socket: RTT/2; wake: one way)"),
    ):
        for r in group:
            ys = [r[p] for p in pcts]
            if any(y is None for y in ys):
                continue
            ax.plot(labels, ys, marker="o", label=f'{r["name"]}, {r["size"]} B')
        ax.set_yscale("log")
        ax.set_ylabel("one-way latency, ns (log)")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def plot_throughput(d, path):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=100)
    rows = list(tput_rows(d, {"spsc"}))
    for batch in sorted({r["batch"] for r in rows}):
        pts = sorted((r["size"], r["msgs_per_s"], r["gb_per_s"]) for r in rows if r["batch"] == batch)
        pts = [p for p in pts if p[1] is not None]
        if not pts:
            continue
        label = "publish" if batch == 1 else f"batch {batch}"
        a1.plot([p[0] for p in pts], [p[1] / 1e6 for p in pts], marker="o", label=label)
        a2.plot([p[0] for p in pts], [p[2] for p in pts], marker="o", label=label)
    for r in tput_rows(d, {"ring (reference)"}):
        if r["msgs_per_s"] is not None:
            a1.scatter([r["size"]], [r["msgs_per_s"] / 1e6], marker="*", s=120, color="k", label="minimal ring", zorder=5)
            a2.scatter([r["size"]], [r["gb_per_s"]], marker="*", s=120, color="k", label="minimal ring", zorder=5)
    for ax, yl in ((a1, "M msgs/s"), (a2, "GB/s")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("message size, bytes")
        ax.set_ylabel(yl)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    a1.set_title("SPSC throughput, two processes")
    a2.set_title("SPSC bandwidth")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def plot_log(d, path):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=100)
    styles = {"spsc": "--", "log": "-", "log claim_batch": ":"}
    for name, batch, title in LOG_SERIES:
        pts = sorted(
            (r["size"], r["msgs_per_s"], r["gb_per_s"])
            for r in tput_rows(d, {name})
            if r["batch"] == batch and r["msgs_per_s"] is not None
        )
        if not pts:
            continue
        kw = dict(marker="o" if batch == 1 else "s", linestyle=styles[name], label=title)
        a1.plot([p[0] for p in pts], [p[1] / 1e6 for p in pts], **kw)
        a2.plot([p[0] for p in pts], [p[2] for p in pts], **kw)
    for r in tput_rows(d, {"ring (byte-log rounds)"}):
        if r["msgs_per_s"] is not None:
            a1.scatter([r["size"]], [r["msgs_per_s"] / 1e6], marker="*", s=120, color="k", label="minimal ring", zorder=5)
            a2.scatter([r["size"]], [r["gb_per_s"]], marker="*", s=120, color="k", label="minimal ring", zorder=5)
    for ax, yl in ((a1, "M msgs/s"), (a2, "GB/s")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("record / message size, bytes")
        ax.set_ylabel(yl)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    a1.set_title("Byte log vs events region, SPSC, two processes", fontsize=10)
    a2.set_title("Bandwidth", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def plot_multiparty(d, path):
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=100)
    for name, off in (("mpsc", 1), ("fanout broadcast", 2), ("fanout work-queue", 2)):
        pts = sorted((r["parties"] - off, r["msgs_per_s"]) for r in tput_rows(d, {name}) if r["msgs_per_s"] is not None)
        if pts:
            label = "MPSC (x = producers)" if name == "mpsc" else f"{name} (x = consumers, all deliveries)"
            ax.plot([p[0] for p in pts], [p[1] / 1e6 for p in pts], marker="o", label=label)
    ax.set_xlabel("producers / consumers")
    ax.set_ylabel("M msgs/s (64 B)")
    ax.set_title("Multi-party throughput (each party its own process; beyond 2 processes,\nproducers and router share one CPU, consumers the other)", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def replace_sections(text, parts):
    for name in parts:
        pat = re.compile(r"(<!-- bench:%s -->\n).*?(<!-- /bench:%s -->)" % (name, name), re.S)
        if not pat.search(text):
            sys.exit(f"bench-report: no <!-- bench:{name} --> ... <!-- /bench:{name} --> block in the document")
        text = pat.sub(lambda m: m.group(1) + parts[name] + "\n" + m.group(2), text)
    return text


def main(argv):
    only = None
    if len(argv) == 6 and argv[4] == "--sections":
        only = argv[5].split(",")
        bad = [n for n in only if n not in SECTIONS]
        if bad:
            sys.exit(f"bench-report: unknown section(s) {', '.join(bad)}; known: {', '.join(SECTIONS)}")
        argv = argv[:4]
    if len(argv) != 4:
        sys.exit("usage: report.py LATEST_JSON PERFORMANCE_MD PLOT_DIR [--sections NAME,...]")
    src, doc, plots = argv[1:]
    with open(src, encoding="utf-8") as f:
        d = json.load(f)
    if d.get("mode") != "full":
        sys.exit(f"bench-report: {src} is a {d.get('mode')} run; the report wants a full `make bench`")
    parts = {
        "machine": machine_section(d),
        "targets": targets_section(d),
        "latency": latency_section(d),
        "throughput": throughput_section(d),
        "multiparty": multiparty_section(d),
        "log": log_section(d),
        "bindings": bindings_section(d),
        "other": other_section(d),
        "streamrpc": streamrpc_section(d),
        "bridge": bridge_section(d),
        "peers": peers_section(d),
    }
    if only is not None:
        parts = {n: parts[n] for n in only}
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    text = replace_sections(text, parts)
    if only is not None:
        with open(doc + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(doc + ".tmp", doc)
        print(f"  REPORT {doc} ({', '.join(only)})")
        return
    load_matplotlib()
    os.makedirs(plots, exist_ok=True)
    plot_latency(d, os.path.join(plots, "latency.png"))
    plot_throughput(d, os.path.join(plots, "throughput.png"))
    plot_multiparty(d, os.path.join(plots, "multiparty.png"))
    plot_log(d, os.path.join(plots, "log.png"))
    plot_peers(d, os.path.join(plots, "peers.png"))
    with open(doc + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(doc + ".tmp", doc)
    print(f"  REPORT {doc}, {plots}/latency.png, throughput.png, multiparty.png, log.png, peers.png")


if __name__ == "__main__":
    main(sys.argv)
