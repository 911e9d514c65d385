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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indexbus::{
    Config, Consumer, Error, Kind, Mode, Producer, ProducerKind, Region, Router, RunConfig, Source,
};

/// publish: longest time without progress while FULL.
const FULL_BOUND: Duration = Duration::from_secs(20);
/// produce --wait-consumers bound.
const WAIT_CONSUMERS: Duration = Duration::from_secs(10);
const DEFAULT_RECV_MS: u64 = 10_000;
const NOT_READY_TIMEOUT: Duration = Duration::from_millis(50);
const ERROR_TIMEOUT: Duration = Duration::from_millis(50);

const USAGE: &str = "usage: indexbus-conformance-agent <command> --region NAME [options]\n\
commands: create produce route consume error golden unlink (see conformance/PROTOCOL.md)";

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
}

impl V<'_> {
    fn reborrow(&self) -> V<'_> {
        match self {
            V::S(s) => V::S(s),
            V::N(n) => V::N(*n),
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
            ],
            &["region", "kind"],
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
            ],
            &["kind"],
        ),
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
        _ => usage(format!("bad kind {s:?}")),
    }
}

/// The region of create's options (and the golden create op's): slot geometry for
/// events and fanout regions, ring bytes and the largest record for byte logs.
fn config(o: &Options) -> Res<Config> {
    let kind = region_kind(o.str("kind").unwrap_or_default())?;
    let log = kind == Kind::Log;
    for name in [
        "slots",
        "slot-size",
        "queue",
        "consumers",
        "bytes",
        "max-record",
    ] {
        if o.str(name).is_some() && log != (name == "bytes" || name == "max-record") {
            return usage(format!("--{name} is not for a {kind:?} region"));
        }
    }
    if log {
        return Ok(Config::log()
            .byte_capacity(o.num("bytes", 0)?)
            .max_record(o.num("max-record", 0)? as u32));
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
        | "log_wait_timeout" => Some(run()),
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
        "error" => cmd_error(out, &o),
        "golden" => cmd_golden(out, &o, rest),
        "unlink" => cmd_unlink(out, &o),
        _ => usage(format!("unknown command {cmd:?}")),
    }
}
