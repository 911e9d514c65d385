//! The Rust consumer of `make demo` (`tools/demo.sh`): a small user of the
//! safe `indexbus` crate.
//!
//! ```text
//! demo_sub NAME INDEX [EXPECTED]
//! ```
//!
//! Opens region NAME, attaches consumer INDEX and receives until every
//! producer is gone and everything is drained (`Error::Disconnected`),
//! checking that the 8-byte little-endian sequence numbers at the start of
//! each message are 0, 1, 2, ... Then prints one summary line on stdout, in
//! the format of `indexbus sub --check-seq` with the language in front (the
//! time is from the first to the last message):
//!
//! ```text
//! rust consumer 3: 100000 messages, 6400000 bytes in 0.081 s (1.23M msg/s); seq order ok, 0 gaps
//! ```
//!
//! Exits 1 if a message was missing, out of order or shorter than 8 bytes,
//! if EXPECTED was given and a different number arrived, or on any error;
//! 2 on a usage error.

use indexbus::{Error, Region};
use std::fmt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: demo_sub NAME INDEX [EXPECTED]";
/// Each blocking receive waits at most this long, then simply waits again.
const WAIT: Duration = Duration::from_secs(1);

/// Follows the sequence numbers the way `indexbus sub --check-seq` does:
/// numbers skipped relative to 0, 1, 2, ... are gaps, a number not above
/// the highest seen so far is out of order.
#[derive(Default)]
struct SeqCheck {
    expect: u64,
    gaps: u64,
    missing: u64,
    out_of_order: u64,
    too_short: u64,
}

impl SeqCheck {
    fn observe(&mut self, msg: &[u8]) {
        let Some(head) = msg.first_chunk::<8>() else {
            self.too_short += 1;
            return;
        };
        let seq = u64::from_le_bytes(*head);
        if seq < self.expect {
            self.out_of_order += 1;
            return;
        }
        if seq > self.expect {
            self.gaps += 1;
            self.missing += seq - self.expect;
        }
        self.expect = seq + 1;
    }

    fn ok(&self) -> bool {
        self.gaps == 0 && self.out_of_order == 0 && self.too_short == 0
    }
}

impl fmt::Display for SeqCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.out_of_order != 0 {
            write!(f, "seq {} out of order", self.out_of_order)?;
        } else {
            f.write_str("seq order ok")?;
        }
        write!(f, ", {} gaps", self.gaps)?;
        if self.gaps != 0 {
            write!(f, " ({} missing)", self.missing)?;
        }
        if self.too_short != 0 {
            write!(f, ", {} shorter than 8 bytes", self.too_short)?;
        }
        Ok(())
    }
}

/// `n` per `secs` like the CLI: "812.3k", "1.25M", "n/a".
fn rate(n: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "n/a".to_string();
    }
    let r = n as f64 / secs;
    if r >= 1e6 {
        format!("{:.2}M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1}k", r / 1e3)
    } else {
        format!("{r:.1}")
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!("demo_sub: {why}\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !(2..=3).contains(&args.len()) {
        return usage("NAME and INDEX are required");
    }
    let name = &args[0];
    let Ok(index) = args[1].parse::<u32>() else {
        return usage(&format!("bad consumer index '{}'", args[1]));
    };
    let expected = match args.get(2).map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return usage(&format!("bad expected count '{}'", args[2])),
    };
    let who = format!("rust consumer {index}");
    let fail = |what: &dyn fmt::Display| {
        eprintln!("{who}: {what}");
        ExitCode::FAILURE
    };

    let region = match Region::open(name) {
        Ok(r) => r,
        Err(e) => return fail(&format_args!("open {name}: {e}")),
    };
    let info = match region.info() {
        Ok(i) => i,
        Err(e) => return fail(&format_args!("info {name}: {e}")),
    };
    let mut consumer = match region.consumer(index) {
        Ok(c) => c,
        Err(e) => return fail(&format_args!("attach to {name}: {e}")),
    };

    let mut buf = vec![0u8; info.slot_data_size as usize];
    let (mut msgs, mut bytes) = (0u64, 0u64);
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    let mut seq = SeqCheck::default();
    let mut recv_err = None;
    loop {
        match consumer.recv(&mut buf, WAIT) {
            Ok(n) => {
                let now = Instant::now();
                first.get_or_insert(now);
                last = Some(now);
                msgs += 1;
                bytes += n as u64;
                seq.observe(&buf[..n]);
            }
            Err(Error::Timeout) => continue, // nothing yet: keep waiting
            Err(Error::Disconnected) => break, // producers gone, everything received
            Err(e) => {
                recv_err = Some(e);
                break;
            }
        }
    }
    drop(consumer);

    let secs = match (first, last) {
        (Some(f), Some(l)) => l.duration_since(f).as_secs_f64(),
        _ => 0.0,
    };
    println!(
        "{who}: {msgs} message{}, {bytes} bytes in {secs:.3} s ({} msg/s); {seq}",
        if msgs == 1 { "" } else { "s" },
        rate(msgs, secs)
    );
    if let Some(e) = recv_err {
        return fail(&format_args!("recv: {e}"));
    }
    if !seq.ok() {
        return fail(&"sequence check failed");
    }
    if let Some(n) = expected.filter(|&n| n != msgs) {
        return fail(&format_args!("got {msgs} of {n} messages"));
    }
    ExitCode::SUCCESS
}
