//! The Rust conformance agent: a thin user of the safe `indexbus` crate
//! speaking the agent protocol of `conformance/PROTOCOL.md`.
//!
//! ```text
//! indexbus-conformance-agent <command> --region NAME [options]   (golden: then its op list)
//! ```
//!
//! JSON lines on stdout, free text on stderr; exit 0 when the command did
//! what was asked, 1 when it failed (after an `{"ev":"fail",...}` line), 2 on
//! a usage error.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indexbus::{
    Config, Consumer, Error, Kind, Mode, Producer, ProducerKind, Region, Router, RpcClient,
    RpcServer, RunConfig, Source, StreamReader, StreamWriter, Token,
};

/// publish: longest time without progress while FULL.
const FULL_BOUND: Duration = Duration::from_secs(20);
/// produce --wait-consumers bound.
const WAIT_CONSUMERS: Duration = Duration::from_secs(10);
const DEFAULT_RECV_MS: u64 = 10_000;
const NOT_READY_TIMEOUT: Duration = Duration::from_millis(50);
const ERROR_TIMEOUT: Duration = Duration::from_millis(50);

const USAGE: &str = "usage: indexbus-conformance-agent <command> --region NAME [options]\n\
commands: create produce route consume stream-write stream-read serve request error golden \
unlink (see conformance/PROTOCOL.md)";

// ---- outcome ------------------------------------------------------------------

/// Why a command did not succeed.
enum Exit {
    /// Usage error (exit 2), with its message.
    Usage(String),
    /// Failure already reported with a fail line (exit 1).
    Failed,
}

type Res<T = ()> = std::result::Result<T, Exit>;

fn usage<T>(msg: impl Into<String>) -> Res<T> {
    Err(Exit::Usage(msg.into()))
}

// ---- output -------------------------------------------------------------------

/// A JSON value of an output line.
enum V<'a> {
    S(&'a str),
    N(u64),
    B(bool),
}

impl V<'_> {
    fn reborrow(&self) -> V<'_> {
        match self {
            V::S(s) => V::S(s),
            V::N(n) => V::N(*n),
            V::B(b) => V::B(*b),
        }
    }
}

fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Out {
    w: BufWriter<io::Stdout>,
    line: String,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Out {
    fn emit(&mut self, fields: &[(&str, V<'_>)]) {
        let mut s = String::from("{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            quote(k, &mut s);
            s.push(':');
            match v {
                V::S(t) => quote(t, &mut s),
                V::N(n) => {
                    let _ = write!(s, "{n}");
                }
                V::B(b) => s.push_str(if *b { "true" } else { "false" }),
            }
        }
        s.push_str("}\n");
        let _ = self.w.write_all(s.as_bytes());
    }

    fn msg(&mut self, m: &[u8]) {
        let l = &mut self.line;
        l.clear();
        let _ = write!(l, "{{\"ev\":\"msg\",\"len\":{},\"hex\":\"", m.len());
        for &b in m {
            l.push(HEX[(b >> 4) as usize] as char);
            l.push(HEX[(b & 0xf) as usize] as char);
        }
        l.push_str("\"}\n");
        let _ = self.w.write_all(l.as_bytes());
    }

    /// `{"ev":"fail","status":NAME,"what":"OP: TEXT",...}` for a binding error;
    /// returns `Exit::Failed`.
    fn fail(&mut self, op: &str, e: &Error, extra: &[(&str, V<'_>)]) -> Exit {
        let text = e.to_string();
        let what = format!("{op}: {text}");
        let mut f = vec![
            ("ev", V::S("fail")),
            ("status", V::S(e.name())),
            ("what", V::S(&what)),
        ];
        f.extend(extra.iter().map(|(k, v)| (*k, v.reborrow())));
        self.emit(&f);
        eprintln!("rust agent: {op}: {text} ({})", e.name());
        Exit::Failed
    }

    /// A fail line with an explicit status name (none if `None`).
    fn fail_status(
        &mut self,
        op: &str,
        status: Option<&str>,
        msg: &str,
        extra: &[(&str, V<'_>)],
    ) -> Exit {
        let what = format!("{op}: {msg}");
        let mut f = vec![("ev", V::S("fail"))];
        if let Some(s) = status {
            f.push(("status", V::S(s)));
        }
        f.push(("what", V::S(&what)));
        f.extend(extra.iter().map(|(k, v)| (*k, v.reborrow())));
        self.emit(&f);
        eprintln!("rust agent: {op}: {msg}");
        Exit::Failed
    }
}

/// The C name of a status the binding reports as a value, not an error.
fn status_name(e: Error) -> &'static str {
    e.name()
}

// ---- options ------------------------------------------------------------------

struct Options {
    vals: HashMap<String, String>,
    flags: Vec<String>,
}

/// Options of a command or golden op: `(name, takes a value)` pairs, and the required ones.
type OptSpec = (&'static [(&'static str, bool)], &'static [&'static str]);

fn spec(cmd: &str) -> Option<OptSpec> {
    Some(match cmd {
        "create" => (
            &[
                ("region", true),
                ("kind", true),
                ("slots", true),
                ("slot-size", true),
                ("queue", true),
                ("consumers", true),
                ("bytes", true),
                ("max-record", true),
                ("cells", true),
                ("max-request", true),
                ("max-reply", true),
            ],
            &["region", "kind"],
        ),
        "stream-write" => (
            &[
                ("region", true),
                ("writer", true),
                ("bytes", true),
                ("chunk", true),
                ("count", true),
                ("sizes", true),
                ("mode", true),
                ("wait-reader", false),
                ("hold", false),
            ],
            &["region"],
        ),
        "stream-read" => (
            &[
                ("region", true),
                ("read-size", true),
                ("timeout-ms", true),
                ("max-bytes", true),
                ("release", false),
                ("hold", false),
                ("hex", false),
            ],
            &["region"],
        ),
        "serve" => (
            &[
                ("region", true),
                ("count", true),
                ("zero-copy", false),
                ("timeout-ms", true),
                ("hold", false),
            ],
            &["region", "count"],
        ),
        "request" => (
            &[
                ("region", true),
                ("client", true),
                ("count", true),
                ("sizes", true),
                ("mode", true),
                ("timeout-ms", true),
                ("retry-disconnected", false),
            ],
            &["region", "count", "sizes"],
        ),
        "produce" => (
            &[
                ("region", true),
                ("type", true),
                ("producer", true),
                ("count", true),
                ("sizes", true),
                ("zero-copy", false),
                ("batch", true),
                ("wait", false),
                ("wait-consumers", true),
            ],
            &["region", "type", "producer", "count", "sizes"],
        ),
        "route" => (
            &[("region", true), ("mode", true), ("source", true)],
            &["region", "mode"],
        ),
        "consume" => (
            &[
                ("region", true),
                ("index", true),
                ("borrow", false),
                ("batch", true),
                ("timeout-ms", true),
                ("count", true),
                ("delay-ms", true),
            ],
            &["region", "index"],
        ),
        "error" => (&[("region", true), ("case", true)], &["region", "case"]),
        "golden" => (&[("region", true)], &["region"]),
        "unlink" => (&[("region", true)], &["region"]),
        _ => return None,
    })
}

/// The ops of the golden command's list (PROTOCOL.md).
fn op_spec(op: &str) -> Option<OptSpec> {
    Some(match op {
        "create" => (
            &[
                ("kind", true),
                ("slots", true),
                ("slot-size", true),
                ("queue", true),
                ("consumers", true),
                ("bytes", true),
                ("max-record", true),
                ("cells", true),
                ("max-request", true),
                ("max-reply", true),
            ],
            &["kind"],
        ),
        "writer" | "reader" | "release" | "client" | "server" => (&[("name", true)], &["name"]),
        "write" => (
            &[
                ("name", true),
                ("writer", true),
                ("from", true),
                ("bytes", true),
                ("chunk", true),
                ("mode", true),
            ],
            &["name", "bytes"],
        ),
        "read" => (
            &[("name", true), ("bytes", true), ("read-size", true)],
            &["name", "bytes"],
        ),
        "request" => (
            &[
                ("name", true),
                ("client", true),
                ("from", true),
                ("count", true),
                ("sizes", true),
                ("zero-copy", false),
            ],
            &["name", "count", "sizes"],
        ),
        "serve" => (
            &[
                ("name", true),
                ("count", true),
                ("zero-copy", false),
                ("hold", false),
            ],
            &["name", "count"],
        ),
        "reply" => (
            &[("name", true), ("count", true), ("zero-copy", false)],
            &["name", "count"],
        ),
        "wait" | "cancel" => (&[("name", true), ("count", true)], &["name", "count"]),
        "producer" => (&[("name", true), ("type", true)], &["name", "type"]),
        "router" | "close" => (&[("name", true)], &["name"]),
        "consumer" => (&[("name", true), ("index", true)], &["name", "index"]),
        "publish" => (
            &[
                ("name", true),
                ("producer", true),
                ("from", true),
                ("count", true),
                ("sizes", true),
                ("zero-copy", false),
                ("batch", true),
            ],
            &["name", "producer", "count", "sizes"],
        ),
        "route" => (
            &[
                ("name", true),
                ("count", true),
                ("mode", true),
                ("source", true),
            ],
            &["name", "count"],
        ),
        "recv" => (
            &[("name", true), ("count", true), ("borrow", false)],
            &["name", "count"],
        ),
        _ => return None,
    })
}

/// Parses the options of `what` from `args` up to the first word that is not an
/// option; returns them and the rest.
fn parse<'a>(what: &str, spec: OptSpec, args: &'a [String]) -> Res<(Options, &'a [String])> {
    let (opts, required) = spec;
    let mut o = Options {
        vals: HashMap::new(),
        flags: Vec::new(),
    };
    let mut i = 0;
    while let Some(name) = args.get(i).and_then(|a| a.strip_prefix("--")) {
        let Some(&(_, takes_value)) = opts.iter().find(|(n, _)| *n == name) else {
            return usage(format!("unknown option --{name} for {what}"));
        };
        i += 1;
        if !takes_value {
            o.flags.push(name.to_owned());
            continue;
        }
        let Some(v) = args.get(i) else {
            return usage(format!("--{name} needs a value"));
        };
        o.vals.insert(name.to_owned(), v.clone());
        i += 1;
    }
    for r in required {
        if !o.vals.contains_key(*r) {
            return usage(format!("{what} needs --{r}"));
        }
    }
    Ok((o, &args[i..]))
}

impl Options {
    fn str(&self, name: &str) -> Option<&str> {
        self.vals.get(name).map(String::as_str)
    }
    fn region(&self) -> &str {
        self.str("region").unwrap_or_default()
    }
    fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
    fn num(&self, name: &str, def: u64) -> Res<u64> {
        match self.vals.get(name) {
            None => Ok(def),
            Some(s) => match s.parse::<u32>() {
                Ok(v) => Ok(u64::from(v)),
                Err(_) => usage(format!("--{name}: not a number: {s:?}")),
            },
        }
    }
}

fn parse_sizes(s: &str) -> Res<Vec<usize>> {
    s.split(',')
        .map(|f| f.trim().parse::<u32>().map(|v| v as usize))
        .collect::<std::result::Result<Vec<_>, _>>()
        .or_else(|_| usage(format!("--sizes: bad list {s:?}")))
}

// ---- payload rule -------------------------------------------------------------

/// Writes message `k` of producer `p` (size `b.len()`) into `b`.
fn fill(b: &mut [u8], p: u64, k: u64) {
    let (p32, k32) = (p as u32, k as u32);
    for (j, x) in b.iter_mut().enumerate() {
        *x = match j {
            0..=3 => p32.to_le_bytes()[j],
            4..=7 => k32.to_le_bytes()[j - 4],
            _ => ((p * 31 + k * 17 + j as u64 * 7) % 256) as u8,
        };
    }
}

fn payload(p: u64, k: u64, size: usize) -> Vec<u8> {
    let mut b = vec![0u8; size];
    fill(&mut b, p, k);
    b
}

// ---- enums --------------------------------------------------------------------

fn producer_kind(s: &str) -> Res<ProducerKind> {
    match s {
        "spsc" => Ok(ProducerKind::Spsc),
        "mpsc" => Ok(ProducerKind::Mpsc),
        _ => usage(format!("bad producer type {s:?}")),
    }
}

fn route_mode(s: Option<&str>) -> Res<Mode> {
    match s {
        None | Some("broadcast") => Ok(Mode::Broadcast),
        Some("work-queue") => Ok(Mode::WorkQueue),
        Some(s) => usage(format!("bad mode {s:?}")),
    }
}

fn route_source(s: Option<&str>) -> Res<Source> {
    match s {
        None | Some("any") => Ok(Source::Any),
        Some("spsc") => Ok(Source::Spsc),
        Some("mpsc") => Ok(Source::Mpsc),
        Some(s) => usage(format!("bad source {s:?}")),
    }
}

fn region_kind(s: &str) -> Res<Kind> {
    match s {
        "events" => Ok(Kind::Events),
        "fanout" => Ok(Kind::Fanout),
        "log" => Ok(Kind::Log),
        "stream" => Ok(Kind::Stream),
        "rpc" => Ok(Kind::Rpc),
        _ => usage(format!("bad kind {s:?}")),
    }
}

/// The region of create's options (and the golden create op's): slot geometry for
/// events and fanout regions, ring bytes and the largest record for byte logs and
/// streams, cells and the largest request and reply for request/response.
fn config(o: &Options) -> Res<Config> {
    let kind = region_kind(o.str("kind").unwrap_or_default())?;
    let ring = kind == Kind::Log || kind == Kind::Stream;
    let rpc = kind == Kind::Rpc;
    for name in [
        "slots",
        "slot-size",
        "queue",
        "consumers",
        "bytes",
        "max-record",
        "cells",
        "max-request",
        "max-reply",
    ] {
        let (ring_opt, rpc_opt) = (
            matches!(name, "bytes" | "max-record"),
            matches!(name, "cells" | "max-request" | "max-reply"),
        );
        let fits = if ring {
            ring_opt
        } else if rpc {
            rpc_opt
        } else {
            !ring_opt && !rpc_opt
        };
        if o.str(name).is_some() && !fits {
            return usage(format!("--{name} is not for a {kind:?} region"));
        }
    }
    if ring {
        return Ok(Config::new(kind)
            .byte_capacity(o.num("bytes", 0)?)
            .max_record(o.num("max-record", 0)? as u32));
    }
    if rpc {
        return Ok(Config::rpc()
            .cells(o.num("cells", 0)? as u32)
            .max_request(o.num("max-request", 0)? as u32)
            .max_reply(o.num("max-reply", 0)? as u32));
    }
    Ok(Config::new(kind)
        .slot_count(o.num("slots", 0)? as u32)
        .slot_data_size(o.num("slot-size", 0)? as u32)
        .queue_capacity(o.num("queue", 0)? as u32)
        .consumer_count(o.num("consumers", 0)? as u32))
}

/// The largest message a region takes: a slot's data, or a byte log's largest record.
fn max_message(info: &indexbus::Info) -> usize {
    if info.kind == Kind::Log {
        info.max_record as usize
    } else {
        info.slot_data_size as usize
    }
}

/// The FULL retry bound: time since the last progress.
struct FullRetry(Instant);

impl FullRetry {
    fn progressed(&mut self) {
        self.0 = Instant::now();
    }
    /// Yields and returns true, or false once the bound is spent.
    fn retry(&self) -> bool {
        if self.0.elapsed() > FULL_BOUND {
            return false;
        }
        std::thread::yield_now();
        true
    }
}

// ---- commands -----------------------------------------------------------------

fn cmd_create(out: &mut Out, o: &Options) -> Res {
    let cfg = config(o)?;
    let region = Region::create(o.region(), &cfg).map_err(|e| out.fail("create", &e, &[]))?;
    drop(region);
    out.emit(&[("ev", V::S("created"))]);
    Ok(())
}

/// How messages are published: produce's flags, or a golden publish op's.
#[derive(Clone, Copy, Default)]
struct PubMode {
    /// Claim, fill in place, commit (exactly the length on a byte log).
    zero_copy: bool,
    /// The blocking publish / claim instead of retrying on FULL.
    wait: bool,
    /// The batch publish, or with `zero_copy` the batch claim (byte logs).
    batch: usize,
    is_log: bool,
    /// FULL: yield and try again (FULL_BOUND without progress); else fail.
    retry: bool,
}

/// Why `publish_range` stopped: the call, its error, and how many went out.
type PubFail = (&'static str, Error, u64);

/// Publishes messages `from..from + count` of producer `id` by the payload rule.
fn publish_range(
    prod: &mut Producer,
    id: u64,
    from: u64,
    count: u64,
    sizes: &[usize],
    m: PubMode,
) -> std::result::Result<(), PubFail> {
    let size = |k: u64| sizes[(k % sizes.len() as u64) as usize];
    let mut full = FullRetry(Instant::now());
    let again = |e: &Error, full: &FullRetry| m.retry && e.is_full() && full.retry();
    let (mut k, end, mut n) = (from, from + count, m.batch);
    while k < end {
        let done = k - from;
        if m.batch > 0 && m.zero_copy {
            n = n.min((end - k) as usize);
            let lens: Vec<u32> = (0..n as u64).map(|i| size(k + i) as u32).collect();
            let mut batch = match prod.claim_batch(&lens) {
                Ok(b) => b,
                Err(Error::TooLarge) if n > 1 => {
                    n /= 2; // more than half the ring: a smaller batch
                    continue;
                }
                Err(e) if again(&e, &full) => continue,
                Err(e) => return Err(("claim batch", e, done)),
            };
            for (i, buf) in batch.iter_mut().enumerate() {
                fill(buf, id, k + i as u64);
            }
            batch.commit_all().map_err(|e| ("commit batch", e, done))?;
            k += n as u64;
            n = m.batch;
            full.progressed();
        } else if m.batch > 0 {
            let last = (k + n as u64).min(end);
            let msgs: Vec<Vec<u8>> = (k..last).map(|i| payload(id, i, size(i))).collect();
            match prod.publish_batch(&msgs) {
                Ok(got) => {
                    k += got as u64;
                    full.progressed();
                    if !m.retry && got < msgs.len() {
                        return Err(("publish batch", Error::Full, k - from));
                    }
                }
                Err(e) if again(&e, &full) => {}
                Err(e) => return Err(("publish batch", e, done)),
            }
        } else if m.zero_copy {
            let s = size(k);
            let claim = if m.wait {
                prod.claim_wait(s, FULL_BOUND)
            } else if m.is_log {
                prod.claim_len(s)
            } else {
                prod.claim()
            };
            let mut claim = match claim {
                Ok(c) => c,
                Err(e) if again(&e, &full) => continue,
                Err(e) => return Err(("claim", e, done)),
            };
            let cap = claim.capacity();
            fill(&mut claim[..s.min(cap)], id, k);
            let mut res = claim.commit(s);
            loop {
                match res {
                    Ok(()) => break,
                    Err(ce) if again(&ce.error(), &full) => res = ce.into_claim().commit(s),
                    Err(ce) => {
                        let e = ce.error();
                        drop(ce); // aborts the claim
                        return Err(("commit", e, done));
                    }
                }
            }
            k += 1;
            full.progressed();
        } else {
            let msg = payload(id, k, size(k));
            let r = if m.wait {
                prod.publish_wait(&msg, FULL_BOUND)
            } else {
                prod.publish(&msg)
            };
            match r {
                Ok(()) => {
                    k += 1;
                    full.progressed();
                }
                Err(e) if again(&e, &full) => {}
                Err(e) => return Err(("publish", e, done)),
            }
        }
    }
    Ok(())
}

fn cmd_produce(out: &mut Out, o: &Options) -> Res {
    let kind = producer_kind(o.str("type").unwrap_or_default())?;
    let p = o.num("producer", 0)?;
    let count = o.num("count", 0)?;
    let sizes = parse_sizes(o.str("sizes").unwrap_or_default())?;
    let batch = o.num("batch", 0)?;
    let wait = o.num("wait-consumers", 0)?;
    let mut m = PubMode {
        zero_copy: o.flag("zero-copy"),
        wait: o.flag("wait"),
        batch: batch as usize,
        is_log: false,
        retry: !o.flag("wait"),
    };
    if o.str("batch").is_some() && batch == 0 {
        return usage("--batch must be at least 1");
    }
    if m.wait && batch > 0 {
        return usage("--wait and --batch do not combine");
    }

    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let info = region.info().map_err(|e| out.fail("info", &e, &[]))?;
    m.is_log = info.kind == Kind::Log;
    if m.zero_copy && batch > 0 && !m.is_log {
        return usage("--zero-copy with --batch (the batch claim) is for byte logs only");
    }
    if let Some(s) = sizes.iter().find(|&&s| s > max_message(&info)) {
        return usage(format!(
            "size {s} > the largest message, {}",
            max_message(&info)
        ));
    }
    let mut prod = region
        .producer(kind)
        .map_err(|e| out.fail("producer open", &e, &[]))?;
    if wait > 0 {
        let start = Instant::now();
        loop {
            let info = region.info().map_err(|e| out.fail("info", &e, &[]))?;
            if u64::from(info.consumers_live) >= wait {
                break;
            }
            if start.elapsed() > WAIT_CONSUMERS {
                let msg = format!(
                    "{} of {wait} consumers attached after 10 s",
                    info.consumers_live
                );
                return Err(out.fail_status("wait consumers", Some("INDEXBUS_TIMEOUT"), &msg, &[]));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    if let Err((op, e, k)) = publish_range(&mut prod, p, 0, count, &sizes, m) {
        return Err(out.fail(op, &e, &[("published", V::N(k))]));
    }
    drop(prod);
    drop(region);
    out.emit(&[("ev", V::S("done")), ("published", V::N(count))]);
    Ok(())
}

fn cmd_route(out: &mut Out, o: &Options) -> Res {
    let cfg = RunConfig::new()
        .mode(route_mode(o.str("mode"))?)
        .source(route_source(o.str("source"))?)
        .exit_on_disconnect(true);
    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let mut router = region
        .router()
        .map_err(|e| out.fail("router open", &e, &[]))?;
    let exit = router
        .run(&cfg)
        .map_err(|e| out.fail("router run", &e, &[]))?;
    drop(router);
    drop(region);
    out.emit(&[("ev", V::S("done")), ("routed", V::N(exit.routed))]);
    Ok(())
}

fn cmd_consume(out: &mut Out, o: &Options) -> Res {
    let index = o.num("index", 0)? as u32;
    let batch = o.num("batch", 0)? as usize;
    let timeout = Duration::from_millis(o.num("timeout-ms", DEFAULT_RECV_MS)?);
    let limit = match o.str("count") {
        Some(_) => Some(o.num("count", 0)?),
        None => None,
    };
    let delay = Duration::from_millis(o.num("delay-ms", 0)?);
    let borrow = o.flag("borrow");
    if borrow && batch > 0 {
        return usage("--borrow and --batch do not combine");
    }
    let op = if batch > 0 {
        "recv batch"
    } else if borrow {
        "recv borrow"
    } else {
        "recv"
    };

    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let slot = max_message(&region.info().map_err(|e| out.fail("info", &e, &[]))?);
    let mut cons = region
        .consumer(index)
        .map_err(|e| out.fail("consumer open", &e, &[]))?;
    // attached, reading nothing: producers may fill the region
    std::thread::sleep(delay);

    let mut buf = vec![0u8; slot.max(1)];
    let mut bbuf = vec![0u8; batch * slot];
    let mut lens = vec![0u32; batch];
    let mut n = 0u64;
    let mut last = Instant::now();
    let mut end = "INDEXBUS_OK";
    while limit.map_or(true, |l| n < l) {
        let got: indexbus::Result<u64> = if batch > 0 {
            let m = limit.map_or(batch, |l| batch.min((l - n) as usize));
            match cons.recv_batch(&mut bbuf, &mut lens[..m]) {
                Ok(b) => {
                    for msg in b.iter() {
                        out.msg(msg);
                    }
                    last = Instant::now();
                    Ok(b.len() as u64)
                }
                Err(e) if e.is_empty() => {
                    if last.elapsed() > timeout {
                        let msg = format!("no message in {} ms", timeout.as_millis());
                        return Err(out.fail_status(
                            op,
                            Some("INDEXBUS_TIMEOUT"),
                            &msg,
                            &[("count", V::N(n))],
                        ));
                    }
                    std::thread::yield_now();
                    continue;
                }
                Err(e) => Err(e),
            }
        } else if borrow {
            match cons.recv_borrow(timeout) {
                Ok(msg) => {
                    out.msg(&msg);
                    Ok(1)
                }
                Err(e) => Err(e),
            }
        } else {
            match cons.recv(&mut buf, timeout) {
                Ok(len) => {
                    out.msg(&buf[..len]);
                    Ok(1)
                }
                Err(e) => Err(e),
            }
        };
        match got {
            Ok(c) => n += c,
            Err(Error::Disconnected) => {
                end = status_name(Error::Disconnected);
                break;
            }
            Err(e) => return Err(out.fail(op, &e, &[("count", V::N(n))])),
        }
    }
    drop(cons);
    drop(region);
    out.emit(&[
        ("ev", V::S("end")),
        ("status", V::S(end)),
        ("count", V::N(n)),
    ]);
    Ok(())
}

// ---- byte streams and request/response -----------------------------------------

/// Stream writes, stream reads, requests: their waits and retry bounds.
const RETRY_BOUND: Duration = Duration::from_secs(20);
/// --hold: sleep until killed, at most this long.
const HOLD_BOUND: Duration = Duration::from_secs(120);
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Stream rule: bytes `from..from + b.len()` of writer `w`'s stream into `b`.
fn stream_fill(b: &mut [u8], w: u64, from: u64) {
    for (j, x) in b.iter_mut().enumerate() {
        let i = (from + j as u64) as u32;
        let v = i.wrapping_mul(2_654_435_761).wrapping_add((w as u32).wrapping_mul(40_503));
        *x = ((v >> 24) ^ (v >> 8)) as u8;
    }
}

fn stream_bytes(w: u64, from: u64, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    stream_fill(&mut b, w, from);
    b
}

fn fnv(mut h: u64, data: &[u8]) -> u64 {
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    h
}

/// Reply rule: the request's length as a u32 LE, then the request reversed, each byte
/// XOR 0x5A, into `out` (request.len() + 4 bytes).
fn reply_fill(out: &mut [u8], req: &[u8]) {
    out[..4].copy_from_slice(&(req.len() as u32).to_le_bytes());
    for (o, &b) in out[4..4 + req.len()].iter_mut().zip(req.iter().rev()) {
        *o = b ^ 0x5a;
    }
}

fn reply_for(req: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; req.len() + 4];
    reply_fill(&mut out, req);
    out
}

/// --hold: the handles stay open; sleep until the runner kills us (then exit 1
/// without closing what we hold).
fn hold(out: &mut Out) -> ! {
    let _ = out.w.flush();
    std::thread::sleep(HOLD_BOUND);
    out.fail_status(
        "hold",
        Some("INDEXBUS_TIMEOUT"),
        "held for 120 s and nobody killed us",
        &[],
    );
    let _ = out.w.flush();
    std::process::exit(1);
}

fn some_mode(o: &Options) -> Res<bool> {
    match o.str("mode") {
        None | Some("all") => Ok(false),
        Some("some") => Ok(true),
        Some(m) => usage(format!("bad --mode {m:?} (all or some)")),
    }
}

/// Why `stream_put` stopped: the call and its error.
type PutFail = (String, Error);

/// One call's bytes: write_all waiting up to `timeout`, or with `some` writes that take
/// what fits, again for the rest (yielding while nothing fits: RETRY_BOUND without
/// progress, or failing at once unless `retry`).
fn stream_put(
    w: &mut indexbus::StreamWriter,
    data: &[u8],
    some: bool,
    at: u64,
    timeout: Duration,
    retry: bool,
) -> std::result::Result<(), PutFail> {
    if !some {
        return w.write_all_wait(data, timeout).map_err(|e| {
            let what = format!(
                "write_all of {} bytes at byte {at} ({} written)",
                data.len(),
                e.written()
            );
            (what, e.error())
        });
    }
    let mut done = 0usize;
    let mut last = Instant::now();
    while done < data.len() {
        match w.try_write(&data[done..]) {
            Ok(0) => {
                let what = format!("write at byte {}", at + done as u64);
                if !retry {
                    return Err((what, Error::Full));
                }
                if last.elapsed() > RETRY_BOUND {
                    return Err((what + ": FULL for 20 s", Error::Timeout));
                }
                std::thread::yield_now();
            }
            Ok(n) => {
                done += n;
                last = Instant::now();
            }
            Err(e) => return Err((format!("write at byte {}", at + done as u64), e)),
        }
    }
    Ok(())
}

fn cmd_stream_write(out: &mut Out, o: &Options) -> Res {
    let w = o.num("writer", 0)?;
    let some = some_mode(o)?;
    let by_bytes = o.str("bytes").is_some();
    if by_bytes == (o.str("count").is_some() || o.str("sizes").is_some()) {
        return usage("stream-write: either --bytes or --count and --sizes");
    }
    if !by_bytes && (o.str("count").is_none() || o.str("sizes").is_none()) {
        return usage("stream-write: --count and --sizes go together");
    }
    if o.str("chunk").is_some() && !by_bytes {
        return usage("stream-write: --chunk is for --bytes");
    }
    let (total, chunk, count) = (o.num("bytes", 0)?, o.num("chunk", 4096)?, o.num("count", 0)?);
    let sizes = if by_bytes {
        Vec::new()
    } else {
        parse_sizes(o.str("sizes").unwrap_or_default())?
    };
    if chunk == 0 {
        return usage("stream-write: --chunk must be at least 1");
    }
    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let info = region.info().map_err(|e| out.fail("info", &e, &[]))?;
    if let Some(s) = sizes.iter().find(|&&s| s > info.max_record as usize) {
        return usage(format!("stream-write: size {s} > max_record {}", info.max_record));
    }
    let mut wr = region
        .stream_writer()
        .map_err(|e| out.fail("stream writer open", &e, &[]))?;
    if o.flag("wait-reader") {
        let start = Instant::now();
        while region.info().map_err(|e| out.fail("info", &e, &[]))?.consumers_live < 1 {
            if start.elapsed() > WAIT_CONSUMERS {
                return Err(out.fail_status(
                    "wait reader",
                    Some("INDEXBUS_TIMEOUT"),
                    "no reader after 10 s",
                    &[],
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let mut written = 0u64;
    let put = |wr: &mut indexbus::StreamWriter, data: &[u8], at: u64| {
        stream_put(wr, data, some, at, RETRY_BOUND, true)
    };
    let res = if by_bytes {
        let mut r = Ok(());
        while written < total && r.is_ok() {
            let n = chunk.min(total - written);
            r = put(&mut wr, &stream_bytes(w, written, n as usize), written);
            written += n;
        }
        r
    } else {
        let mut r = Ok(());
        for k in 0..count {
            let msg = payload(w, k, sizes[(k % sizes.len() as u64) as usize]);
            r = put(&mut wr, &msg, written);
            if r.is_err() {
                break;
            }
            written += msg.len() as u64;
        }
        r
    };
    if let Err((what, e)) = res {
        return Err(out.fail(&what, &e, &[]));
    }
    if o.flag("hold") {
        out.emit(&[("ev", V::S("holding")), ("written", V::N(written))]);
        hold(out);
    }
    wr.close().map_err(|e| out.fail("close", &e, &[]))?;
    out.emit(&[("ev", V::S("done")), ("written", V::N(written))]);
    Ok(())
}

fn cmd_stream_read(out: &mut Out, o: &Options) -> Res {
    let rsize = o.num("read-size", 65536)? as usize;
    let timeout = Duration::from_millis(o.num("timeout-ms", 20_000)?);
    let most = match o.str("max-bytes") {
        Some(_) => Some(o.num("max-bytes", 0)?),
        None => None,
    };
    if rsize == 0 {
        return usage("stream-read: --read-size must be at least 1");
    }
    if o.flag("release") && o.flag("hold") {
        return usage("stream-read: --release and --hold exclude each other");
    }
    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let mut rd = region
        .stream_reader()
        .map_err(|e| out.fail("stream reader open", &e, &[]))?;
    let mut buf = vec![0u8; rsize];
    let (mut total, mut h) = (0u64, FNV_BASIS);
    let mut end = "INDEXBUS_OK";
    while most.map_or(true, |m| total < m) {
        let cap = most.map_or(rsize, |m| rsize.min((m - total) as usize));
        let n = rd
            .read_wait(&mut buf[..cap], timeout)
            .map_err(|e| out.fail("read", &e, &[("bytes", V::N(total))]))?;
        if n == 0 {
            end = status_name(Error::Disconnected); // end of stream
            break;
        }
        if o.flag("hex") {
            let l = &mut out.line;
            l.clear();
            l.push_str("{\"ev\":\"data\",\"hex\":\"");
            for &b in &buf[..n] {
                l.push(HEX[(b >> 4) as usize] as char);
                l.push(HEX[(b & 0xf) as usize] as char);
            }
            l.push_str("\"}\n");
            let _ = out.w.write_all(l.as_bytes());
        }
        h = fnv(h, &buf[..n]);
        total += n as u64;
    }
    let st = region
        .stream_state()
        .map_err(|e| out.fail("stream state", &e, &[]))?;
    let hex = format!("{h:016x}");
    out.emit(&[
        ("ev", V::S("end")),
        ("status", V::S(end)),
        ("bytes", V::N(total)),
        ("fnv", V::S(&hex)),
        ("ended", V::B(st.ended())),
        ("reader_gone", V::B(st.reader_gone())),
        ("aborted", V::B(st.aborted())),
        ("writers_aborted", V::N(u64::from(st.writers_aborted))),
    ]);
    if o.flag("hold") {
        out.emit(&[("ev", V::S("holding"))]);
        hold(out);
    }
    let r = if o.flag("release") {
        rd.release()
    } else {
        rd.close()
    };
    r.map_err(|e| out.fail("give up the read end", &e, &[]))
}

/// Answers a served request by the reply rule: copied in, or built in place.
fn answer(req: indexbus::Request<'_>, zero_copy: bool) -> indexbus::Result<()> {
    if zero_copy {
        let mut req = req;
        let n = req.len() + 4;
        let (q, buf) = req.reply_buffer()?;
        if buf.len() < n {
            return Err(Error::TooLarge);
        }
        reply_fill(&mut buf[..n], q);
        req.commit(n)
    } else {
        let r = reply_for(&req);
        req.reply(&r)
    }
}

fn cmd_serve(out: &mut Out, o: &Options) -> Res {
    let count = o.num("count", 0)?;
    let timeout = Duration::from_millis(o.num("timeout-ms", 20_000)?);
    let zero_copy = o.flag("zero-copy");
    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let mut sv = region
        .rpc_server()
        .map_err(|e| out.fail("server open", &e, &[]))?;
    for k in 0..count {
        let req = sv
            .serve(timeout)
            .map_err(|e| out.fail(&format!("serve request {k}"), &e, &[]))?;
        if o.flag("hold") {
            req.defer();
        } else {
            answer(req, zero_copy).map_err(|e| out.fail(&format!("reply {k}"), &e, &[]))?;
        }
    }
    if o.flag("hold") {
        out.emit(&[("ev", V::S("holding")), ("count", V::N(count))]);
        hold(out);
    }
    drop(sv);
    out.emit(&[("ev", V::S("done")), ("served", V::N(count))]);
    Ok(())
}

/// One round trip in the chosen mode: the reply as bytes.
fn round_trip(
    c: &mut indexbus::RpcClient,
    mode: &str,
    req: &[u8],
    timeout: Duration,
) -> std::result::Result<Vec<u8>, (&'static str, Error)> {
    if mode == "call" {
        return c.call(req, timeout).map_err(|e| ("call", e));
    }
    let token = if mode == "zero-copy" {
        let mut claim = c.claim(req.len()).map_err(|e| ("claim", e))?;
        claim.copy_from_slice(req); // the request is written in place
        claim.send().map_err(|e| ("send", e))?
    } else {
        c.request(req).map_err(|e| ("request", e))?
    };
    let reply = c.wait(token, timeout).map_err(|e| ("wait", e))?;
    Ok(reply.to_vec())
}

fn cmd_request(out: &mut Out, o: &Options) -> Res {
    let (p, count) = (o.num("client", 0)?, o.num("count", 0)?);
    let sizes = parse_sizes(o.str("sizes").unwrap_or_default())?;
    let timeout = Duration::from_millis(o.num("timeout-ms", 20_000)?);
    let mode = o.str("mode").unwrap_or("wait");
    if !matches!(mode, "call" | "wait" | "zero-copy") {
        return usage(format!("bad --mode {mode:?} (call, wait or zero-copy)"));
    }
    let region = Region::open(o.region()).map_err(|e| out.fail("open", &e, &[]))?;
    let info = region.info().map_err(|e| out.fail("info", &e, &[]))?;
    if let Some(s) = sizes.iter().find(|&&s| s > info.max_request as usize) {
        return usage(format!("request: size {s} > max_request {}", info.max_request));
    }
    let mut c = region
        .rpc_client()
        .map_err(|e| out.fail("client open", &e, &[]))?;
    let (mut h, mut reply_bytes) = (FNV_BASIS, 0u64);
    for k in 0..count {
        let req = payload(p, k, sizes[(k % sizes.len() as u64) as usize]);
        let mut told = false;
        let mut since: Option<Instant> = None;
        let got = loop {
            match round_trip(&mut c, mode, &req, timeout) {
                Ok(r) => break r,
                Err((_, Error::Disconnected)) if o.flag("retry-disconnected") => {
                    if !told {
                        out.emit(&[("ev", V::S("disconnected")), ("k", V::N(k))]);
                        let _ = out.w.flush();
                        told = true;
                    }
                    let t0 = *since.get_or_insert_with(Instant::now);
                    if t0.elapsed() > RETRY_BOUND {
                        return Err(out.fail_status(
                            &format!("request {k}"),
                            Some("INDEXBUS_DISCONNECTED"),
                            "DISCONNECTED for 20 s",
                            &[],
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((what, e)) => return Err(out.fail(&format!("{what} {k}"), &e, &[])),
            }
        };
        let want = reply_for(&req);
        if got != want {
            let msg = match got.iter().zip(&want).position(|(a, b)| a != b) {
                Some(j) if got.len() == want.len() => format!(
                    "reply {k} differs at byte {j}: {:#04x}, want {:#04x}",
                    got[j], want[j]
                ),
                _ => format!("reply {k}: {} bytes, want {}", got.len(), want.len()),
            };
            return Err(out.fail_status("check", Some("INDEXBUS_CORRUPT"), &msg, &[]));
        }
        h = fnv(h, &got);
        reply_bytes += got.len() as u64;
    }
    drop(c);
    let hex = format!("{h:016x}");
    out.emit(&[
        ("ev", V::S("done")),
        ("requests", V::N(count)),
        ("reply_bytes", V::N(reply_bytes)),
        ("fnv", V::S(&hex)),
    ]);
    Ok(())
}

/// Outcome of an error case: `Err((op, e))` when setup failed before the call under test.
type Case = std::result::Result<indexbus::Result<()>, (&'static str, Error)>;

fn setup<T>(
    op: &'static str,
    r: indexbus::Result<T>,
) -> std::result::Result<T, (&'static str, Error)> {
    r.map_err(|e| (op, e))
}

fn error_case(name: &str, case: &str) -> Option<Case> {
    let run = || -> Case {
        Ok(match case {
            "too_large" => {
                let r = setup("open", Region::open(name))?;
                let mut p = setup("producer open", r.producer(ProducerKind::Spsc))?;
                p.publish(&payload(0, 0, 65))
            }
            "buffer_too_small" => {
                let r = setup("open", Region::open(name))?;
                let mut c = setup("consumer open", r.consumer(0))?;
                let mut p = setup("producer open", r.producer(ProducerKind::Spsc))?;
                setup("publish", p.publish(&payload(0, 0, 10)))?;
                let mut small = [0u8; 4];
                c.recv(&mut small, Duration::from_secs(1)).map(drop)
            }
            "wrong_kind" => {
                let r = setup("open", Region::open(name))?;
                r.router().map(drop)
            }
            "newer_major" => Region::open(name).map(drop),
            "not_ready" => Region::open_with_timeout(name, NOT_READY_TIMEOUT).map(drop),
            "timeout" => {
                let r = setup("open", Region::open(name))?;
                let mut c = setup("consumer open", r.consumer(0))?;
                let mut buf = [0u8; 256];
                c.recv(&mut buf, ERROR_TIMEOUT).map(drop)
            }
            "log_too_large" => {
                let r = setup("open", Region::open(name))?;
                let mut p = setup("producer open", r.producer(ProducerKind::Spsc))?;
                p.publish(&payload(0, 0, 65))
            }
            "log_claim_too_large" => {
                let r = setup("open", Region::open(name))?;
                let mut p = setup("producer open", r.producer(ProducerKind::Spsc))?;
                p.claim_len(65).map(drop)
            }
            "log_busy" => {
                let r = setup("open", Region::open(name))?;
                let _spsc = setup("producer open", r.producer(ProducerKind::Spsc))?;
                r.producer(ProducerKind::Mpsc).map(drop)
            }
            "log_wait_timeout" => {
                let r = setup("open", Region::open(name))?;
                let mut p = setup("producer open", r.producer(ProducerKind::Spsc))?;
                let msg = payload(0, 0, 56);
                let mut i = 0;
                loop {
                    match p.publish(&msg) {
                        Ok(()) if i < 1_000_000 => i += 1,
                        Ok(()) => return Err(("filling the byte log", Error::InvalidArgument)),
                        Err(e) if e.is_full() => break,
                        Err(e) => return Err(("filling the byte log", e)),
                    }
                }
                p.publish_wait(&msg, ERROR_TIMEOUT)
            }
            "stream_reader_busy" => {
                let r = setup("open", Region::open(name))?;
                let first = setup("reader open", r.stream_reader())?;
                let second = r.stream_reader().and_then(StreamReader::release);
                // hand over: leaves no READER_GONE behind
                setup("release", first.release())?;
                second
            }
            "stream_reader_gone" => {
                let r = setup("open", Region::open(name))?;
                let mut w = setup("writer open", r.stream_writer())?;
                let rd = setup("reader open", r.stream_reader())?;
                setup("reader close", rd.close())?;
                w.try_write(&stream_bytes(0, 0, 1)).map(drop)
            }
            "stream_ended" => {
                let r = setup("open", Region::open(name))?;
                let w = setup("writer open", r.stream_writer())?;
                setup("writer close", w.close())?;
                r.stream_writer().map(drop)
            }
            "stream_read_timeout" => {
                let r = setup("open", Region::open(name))?;
                let _w = setup("writer open", r.stream_writer())?;
                let mut rd = setup("reader open", r.stream_reader())?;
                let mut buf = [0u8; 1024];
                rd.read_wait(&mut buf, ERROR_TIMEOUT).map(drop)
            }
            "stream_write_timeout" => {
                let r = setup("open", Region::open(name))?;
                let mut w = setup("writer open", r.stream_writer())?;
                let mut at = 0u64;
                loop {
                    if at >= 1_000_000 {
                        return Err(("the stream never filled", Error::InvalidArgument));
                    }
                    match w.write_all_wait(&stream_bytes(0, at, 1000), ERROR_TIMEOUT) {
                        Ok(()) => at += 1000,
                        // at most max_record: all of it or none
                        Err(e) if e.written() != 0 => {
                            return Err(("write_all half-written", Error::InvalidArgument))
                        }
                        Err(e) => break Err(e.error()),
                    }
                }
            }
            "rpc_wrong_kind" => {
                let r = setup("open", Region::open(name))?;
                r.rpc_client().map(drop)
            }
            "rpc_too_large" => {
                let r = setup("open", Region::open(name))?;
                let mut c = setup("client open", r.rpc_client())?;
                c.request(&payload(0, 0, 65)).map(drop)
            }
            "rpc_second_reply" => {
                let r = setup("open", Region::open(name))?;
                let mut c = setup("client open", r.rpc_client())?;
                let mut s = setup("server open", r.rpc_server())?;
                setup("request", c.request(&payload(0, 0, 8)))?;
                let req = setup("serve", s.serve(Duration::from_secs(1)))?;
                let reply = reply_for(&req);
                let token = req.token();
                setup("first reply", req.reply(&reply))?;
                s.reply(token, &reply)
            }
            "rpc_wait_timeout" => {
                let r = setup("open", Region::open(name))?;
                let mut c = setup("client open", r.rpc_client())?;
                let t = setup("request", c.request(&payload(0, 0, 8)))?;
                c.wait(t, ERROR_TIMEOUT).map(drop)
            }
            "rpc_no_server" => {
                let r = setup("open", Region::open(name))?;
                drop(setup("server open", r.rpc_server())?);
                let mut c = setup("client open", r.rpc_client())?;
                c.request(&payload(0, 0, 8)).map(drop)
            }
            _ => unreachable!(),
        })
    };
    match case {
        "too_large"
        | "buffer_too_small"
        | "wrong_kind"
        | "newer_major"
        | "not_ready"
        | "timeout"
        | "log_too_large"
        | "log_claim_too_large"
        | "log_busy"
        | "log_wait_timeout"
        | "stream_reader_busy"
        | "stream_reader_gone"
        | "stream_ended"
        | "stream_read_timeout"
        | "stream_write_timeout"
        | "rpc_wrong_kind"
        | "rpc_too_large"
        | "rpc_second_reply"
        | "rpc_wait_timeout"
        | "rpc_no_server" => Some(run()),
        _ => None,
    }
}

fn cmd_error(out: &mut Out, o: &Options) -> Res {
    let case = o.str("case").unwrap_or_default();
    let Some(result) = error_case(o.region(), case) else {
        return usage(format!("unknown error case {case:?}"));
    };
    let status = match result {
        Err((op, e)) => return Err(out.fail(op, &e, &[])),
        Ok(Ok(())) => "INDEXBUS_OK",
        Ok(Err(e)) => e.name(),
    };
    out.emit(&[
        ("ev", V::S("error")),
        ("case", V::S(case)),
        ("status", V::S(status)),
    ]);
    Ok(())
}

fn cmd_unlink(out: &mut Out, o: &Options) -> Res {
    Region::unlink(o.region()).map_err(|e| out.fail("unlink", &e, &[]))?;
    out.emit(&[("ev", V::S("unlinked"))]);
    Ok(())
}

// ---- golden -------------------------------------------------------------------

enum Handle {
    Producer(Producer),
    Router(Router),
    Consumer(Consumer),
    Writer(StreamWriter),
    Reader(StreamReader),
    /// with its outstanding requests, oldest first
    Client(RpcClient, VecDeque<Token>),
    /// with the requests it holds, oldest first, and the reply each will get
    Server(RpcServer, VecDeque<(Token, Vec<u8>)>),
}

fn cmd_golden(out: &mut Out, o: &Options, ops: &[String]) -> Res {
    let mut region: Option<Region> = None;
    // open handles, in opening order; closed in reverse at the end (then the region)
    let mut handles: Vec<(String, Handle)> = Vec::new();
    let result = run_ops(out, o.region(), ops, &mut region, &mut handles);
    while let Some(h) = handles.pop() {
        drop(h);
    }
    drop(region);
    result?;
    out.emit(&[("ev", V::S("done"))]);
    Ok(())
}

/// Runs the golden op list: each op a word and its options (PROTOCOL.md).
fn run_ops(
    out: &mut Out,
    path: &str,
    mut args: &[String],
    region: &mut Option<Region>,
    handles: &mut Vec<(String, Handle)>,
) -> Res {
    let (mut slot, mut is_log) = (0usize, false);
    let mut i = 0;
    while let Some((kind, rest)) = args.split_first() {
        let Some(spec) = op_spec(kind) else {
            return usage(format!("golden: unknown op {kind:?}"));
        };
        let (op, rest) = parse(kind, spec, rest)?;
        args = rest;
        let where_ = format!("op {i} ({kind})");
        i += 1;
        // scenario errors (not binding errors)
        let bad = |out: &mut Out, msg: String| out.fail_status(&where_, None, &msg, &[]);
        let name = op.str("name").unwrap_or_default();
        let find = |handles: &Vec<(String, Handle)>| handles.iter().position(|(n, _)| n == name);
        match kind.as_str() {
            "create" => {
                let cfg = config(&op)?;
                let r = Region::create(path, &cfg).map_err(|e| out.fail(&where_, &e, &[]))?;
                let info = r.info().map_err(|e| out.fail(&where_, &e, &[]))?;
                slot = max_message(&info);
                is_log = info.kind == Kind::Log;
                *region = Some(r);
            }
            "producer" | "router" | "consumer" => {
                let Some(r) = region.as_ref() else {
                    return Err(bad(out, "no region".into()));
                };
                if find(handles).is_some() {
                    return Err(bad(out, format!("handle name in use: {name}")));
                }
                let h = match kind.as_str() {
                    "producer" => r
                        .producer(producer_kind(op.str("type").unwrap_or_default())?)
                        .map(Handle::Producer),
                    "router" => r.router().map(Handle::Router),
                    _ => r.consumer(op.num("index", 0)? as u32).map(Handle::Consumer),
                };
                let h = h.map_err(|e| out.fail(&where_, &e, &[]))?;
                handles.push((name.to_owned(), h));
            }
            "publish" => {
                let sizes = parse_sizes(op.str("sizes").unwrap_or_default())?;
                let (id, from) = (op.num("producer", 0)?, op.num("from", 0)?);
                let count = op.num("count", 0)?;
                let batch = op.num("batch", 0)?;
                let m = PubMode {
                    zero_copy: op.flag("zero-copy"),
                    batch: batch as usize,
                    is_log,
                    ..PubMode::default()
                };
                if op.str("batch").is_some() && batch == 0 {
                    return usage("--batch must be at least 1");
                }
                if m.zero_copy && batch > 0 && !is_log {
                    return usage("golden: --zero-copy with --batch is for byte logs only");
                }
                let Some(Handle::Producer(p)) = find(handles).map(|j| &mut handles[j].1) else {
                    return Err(bad(out, "no such producer".into()));
                };
                if let Err((what, e, _)) = publish_range(p, id, from, count, &sizes, m) {
                    return Err(out.fail(&format!("{where_} {what}"), &e, &[]));
                }
            }
            "route" => {
                let mode = route_mode(op.str("mode"))?;
                let src = route_source(op.str("source"))?;
                let count = op.num("count", 0)?;
                let Some(Handle::Router(r)) = find(handles).map(|j| &mut handles[j].1) else {
                    return Err(bad(out, "no such router".into()));
                };
                for _ in 0..count {
                    r.route_once(src, mode)
                        .map_err(|e| out.fail(&where_, &e, &[]))?;
                }
            }
            "recv" => {
                let count = op.num("count", 0)?;
                let borrow = op.flag("borrow");
                let Some(Handle::Consumer(c)) = find(handles).map(|j| &mut handles[j].1) else {
                    return Err(bad(out, "no such consumer".into()));
                };
                let mut buf = vec![0u8; slot.max(1)];
                for _ in 0..count {
                    let r = if borrow {
                        c.try_recv_borrow().map(drop)
                    } else {
                        c.try_recv(&mut buf).map(drop)
                    };
                    r.map_err(|e| out.fail(&where_, &e, &[]))?;
                }
            }
            "writer" | "reader" | "client" | "server" => {
                let Some(r) = region.as_ref() else {
                    return Err(bad(out, "no region".into()));
                };
                if find(handles).is_some() {
                    return Err(bad(out, format!("handle name in use: {name}")));
                }
                let h = match kind.as_str() {
                    "writer" => r.stream_writer().map(Handle::Writer),
                    "reader" => r.stream_reader().map(Handle::Reader),
                    "client" => r.rpc_client().map(|c| Handle::Client(c, VecDeque::new())),
                    _ => r.rpc_server().map(|s| Handle::Server(s, VecDeque::new())),
                };
                let h = h.map_err(|e| out.fail(&where_, &e, &[]))?;
                handles.push((name.to_owned(), h));
            }
            "write" => {
                let (w, mut at, n) = (op.num("writer", 0)?, op.num("from", 0)?, op.num("bytes", 0)?);
                let chunk = op.num("chunk", n.max(1))?;
                let some = some_mode(&op)?;
                if chunk == 0 {
                    return usage("golden: --chunk must be at least 1");
                }
                let Some(Handle::Writer(wr)) = find(handles).map(|j| &mut handles[j].1) else {
                    return Err(bad(out, "no such writer".into()));
                };
                let end = at + n;
                while at < end {
                    let len = chunk.min(end - at);
                    let data = stream_bytes(w, at, len as usize);
                    if let Err((what, e)) = stream_put(wr, &data, some, at, Duration::ZERO, false)
                    {
                        return Err(out.fail(&format!("{where_} {what}"), &e, &[]));
                    }
                    at += len;
                }
            }
            "read" => {
                let (n, rs) = (op.num("bytes", 0)?, op.num("read-size", 65536)? as usize);
                if rs == 0 {
                    return usage("golden: --read-size must be at least 1");
                }
                let Some(Handle::Reader(rd)) = find(handles).map(|j| &mut handles[j].1) else {
                    return Err(bad(out, "no such reader".into()));
                };
                let mut buf = vec![0u8; rs];
                let mut got = 0u64;
                while got < n {
                    let cap = rs.min((n - got) as usize);
                    match rd.try_read(&mut buf[..cap]) {
                        Ok(0) => return Err(out.fail(&where_, &Error::Disconnected, &[])),
                        Ok(k) => got += k as u64,
                        Err(e) => return Err(out.fail(&where_, &e, &[])),
                    }
                }
            }
            "release" => {
                let Some(j) = find(handles) else {
                    return Err(bad(out, "no such reader".into()));
                };
                let (_, Handle::Reader(rd)) = handles.remove(j) else {
                    return Err(bad(out, "no such reader".into()));
                };
                rd.release().map_err(|e| out.fail(&where_, &e, &[]))?;
            }
            "request" => {
                let sizes = parse_sizes(op.str("sizes").unwrap_or_default())?;
                let (id, from) = (op.num("client", 0)?, op.num("from", 0)?);
                let count = op.num("count", 0)?;
                let zero_copy = op.flag("zero-copy");
                let Some(Handle::Client(c, tokens)) = find(handles).map(|j| &mut handles[j].1)
                else {
                    return Err(bad(out, "no such client".into()));
                };
                for k in from..from + count {
                    let size = sizes[(k % sizes.len() as u64) as usize];
                    let t = if zero_copy {
                        c.claim(size).and_then(|mut claim| {
                            fill(&mut claim, id, k); // written in place
                            claim.send()
                        })
                    } else {
                        c.request(&payload(id, k, size))
                    };
                    tokens.push_back(t.map_err(|e| out.fail(&where_, &e, &[]))?);
                }
            }
            "serve" | "reply" => {
                let count = op.num("count", 0)?;
                let (zero_copy, keep) = (op.flag("zero-copy"), op.flag("hold"));
                let Some(Handle::Server(s, held)) = find(handles).map(|j| &mut handles[j].1)
                else {
                    return Err(bad(out, "no such server".into()));
                };
                for _ in 0..count {
                    let r = if kind == "reply" {
                        let Some((token, reply)) = held.pop_front() else {
                            return Err(bad(out, "no held request".into()));
                        };
                        if zero_copy {
                            s.reply_buffer(token)
                                .map(|buf| buf[..reply.len()].copy_from_slice(&reply))
                                .and_then(|()| s.reply_commit(token, reply.len()))
                        } else {
                            s.reply(token, &reply)
                        }
                    } else {
                        match s.try_serve() {
                            Ok(req) if keep => {
                                let reply = reply_for(&req);
                                held.push_back((req.defer(), reply));
                                Ok(())
                            }
                            Ok(req) => answer(req, zero_copy),
                            Err(e) => Err(e),
                        }
                    };
                    r.map_err(|e| out.fail(&where_, &e, &[]))?;
                }
            }
            "wait" | "cancel" => {
                let count = op.num("count", 0)?;
                let Some(Handle::Client(c, tokens)) = find(handles).map(|j| &mut handles[j].1)
                else {
                    return Err(bad(out, "no such client".into()));
                };
                for _ in 0..count {
                    let Some(t) = tokens.pop_front() else {
                        return Err(bad(out, "no outstanding request".into()));
                    };
                    let r = if kind == "cancel" {
                        c.cancel(t)
                    } else {
                        c.wait(t, Duration::ZERO).map(drop) // the reply guard recycles the cell
                    };
                    r.map_err(|e| out.fail(&where_, &e, &[]))?;
                }
            }
            _ => {
                // close
                let Some(j) = find(handles) else {
                    return Err(bad(out, "no open handle of that name".into()));
                };
                drop(handles.remove(j));
            }
        }
    }
    Ok(())
}

// ---- main ---------------------------------------------------------------------

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = Out {
        w: BufWriter::with_capacity(1 << 16, io::stdout()),
        line: String::new(),
    };
    let res = run(&mut out, &args);
    let _ = out.w.flush();
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit::Failed) => ExitCode::from(1),
        Err(Exit::Usage(msg)) => {
            eprintln!("rust agent: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(out: &mut Out, args: &[String]) -> Res {
    let Some(cmd) = args.first() else {
        return usage("no command");
    };
    let Some(spec) = spec(cmd) else {
        return usage(format!("unknown command {cmd:?}"));
    };
    let (o, rest) = parse(cmd, spec, &args[1..])?;
    if let (false, Some(a)) = (cmd == "golden", rest.first()) {
        return usage(format!("unexpected argument {a:?}"));
    }
    match cmd.as_str() {
        "create" => cmd_create(out, &o),
        "produce" => cmd_produce(out, &o),
        "route" => cmd_route(out, &o),
        "consume" => cmd_consume(out, &o),
        "stream-write" => cmd_stream_write(out, &o),
        "stream-read" => cmd_stream_read(out, &o),
        "serve" => cmd_serve(out, &o),
        "request" => cmd_request(out, &o),
        "error" => cmd_error(out, &o),
        "golden" => cmd_golden(out, &o, rest),
        "unlink" => cmd_unlink(out, &o),
        _ => usage(format!("unknown command {cmd:?}")),
    }
}
