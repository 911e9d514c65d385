//! The Rust side of the binding benchmarks that `make bench` runs
//! (`tools/bench/langs.c` defines the protocol; the C twin is
//! `tools/bench/lang_c.c`):
//!
//! ```text
//! bench NAME SIZE BATCH WARMUP COUNT
//! ```
//!
//! One process creates events region NAME (SIZE-byte slots, at least 64,
//! default slot count), opens an SPSC producer and the consumer, then
//! alternates: publish BATCH messages of SIZE bytes (`publish` when BATCH
//! is 1, else one `publish_packed` of a packed buffer and its lengths, like
//! the C twin's `indexbus_publish_batch`), then receive them (`try_recv`, or
//! `recv_batch` of up to BATCH until all BATCH are in). WARMUP messages
//! first, untimed; then COUNT timed, in 5 equal segments, each on the wall
//! clock and on the CPU clock of the thread that runs the loop (time spent
//! preempted by other load does not count there). It prints one JSON line,
//! `msgs_per_cpu_s` being the fastest segment's:
//!
//! ```text
//! {"lang":"rust","size":64,"batch":32,"msgs":N,"segments":5,"secs":S,"cpu_secs":C,
//!  "msgs_per_s":N/S,"msgs_per_cpu_s_all":N/C,"msgs_per_cpu_s":R}
//! ```

use indexbus::{Config, Consumer, Producer, ProducerKind, Region, Result};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: bench NAME SIZE BATCH WARMUP COUNT";

/// How many equal parts the timed messages are run in.
const SEGMENTS: usize = 5;

/// Linux's `struct timespec` on 64-bit targets.
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// Linux's `CLOCK_THREAD_CPUTIME_ID`.
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// CPU time of the calling thread so far, in seconds.
fn cpu_seconds() -> f64 {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: libc's clock_gettime with a valid clock id and out-pointer.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

struct Bench {
    tx: Producer,
    rx: Consumer,
    /// BATCH messages of SIZE bytes, back to back
    msgs: Vec<u8>,
    /// their lengths (all SIZE)
    lens: Vec<u32>,
    /// receive buffer: BATCH slots' worth
    buf: Vec<u8>,
    /// received lengths
    rlens: Vec<u32>,
    size: usize,
    batch: usize,
}

impl Bench {
    /// Publish and receive `rounds` batches.
    fn run(&mut self, rounds: usize) -> Result<()> {
        let batch = self.batch;
        for _ in 0..rounds {
            if batch == 1 {
                self.tx.publish(&self.msgs[..self.size])?;
                let n = self.rx.try_recv(&mut self.buf)?;
                assert_eq!(n, self.size, "received a message of the wrong length");
                continue;
            }
            // Ok(n < batch) is the C twin's non-OK status: a partial batch
            let n = self.tx.publish_packed(&self.msgs, &self.lens)?;
            assert_eq!(n, batch, "a batch went out in part");
            let mut got = 0;
            while got < batch {
                got += self
                    .rx
                    .recv_batch(&mut self.buf, &mut self.rlens[..batch - got])?
                    .len();
            }
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 5 {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut nums = [0usize; 4];
    for (i, a) in args[1..].iter().enumerate() {
        match a.parse() {
            Ok(v) => nums[i] = v,
            Err(_) => {
                eprintln!("bench: bad number '{a}'\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let [size, batch, warmup, count] = nums;
    if size == 0 || batch == 0 || batch > 1024 || count < batch * SEGMENTS {
        eprintln!("bench: bad arguments\n{USAGE}");
        return ExitCode::from(2);
    }
    match run(&args[0], size, batch, warmup, count) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(name: &str, size: usize, batch: usize, warmup: usize, count: usize) -> Result<()> {
    let slot = ((size + 7) & !7).max(64);
    let _ = Region::unlink(name);
    let region = Region::create(
        name,
        &Config::events().slot_data_size(slot as u32).prefault(true),
    )?;
    let mut b = Bench {
        tx: region.producer(ProducerKind::Spsc)?,
        rx: region.consumer(0)?,
        msgs: vec![0x42u8; batch * size],
        lens: vec![size as u32; batch],
        buf: vec![0u8; batch * slot],
        rlens: vec![0u32; batch],
        size,
        batch,
    };
    let result = measure(&mut b, warmup, count);
    drop(b);
    drop(region);
    let _ = Region::unlink(name);
    result
}

/// Warm up, then time `count` messages and print the JSON line.
fn measure(b: &mut Bench, warmup: usize, count: usize) -> Result<()> {
    let batch = b.batch;
    b.run(warmup / batch)?;
    let rounds = count / batch / SEGMENTS;
    let (mut secs, mut cpu, mut best) = (0f64, 0f64, 0f64);
    for _ in 0..SEGMENTS {
        let (t0, c0) = (Instant::now(), cpu_seconds());
        b.run(rounds)?;
        let dc = cpu_seconds() - c0;
        secs += t0.elapsed().as_secs_f64();
        cpu += dc;
        best = best.max((rounds * batch) as f64 / dc);
    }
    let n = rounds * batch * SEGMENTS;
    println!(
        "{{\"lang\":\"rust\",\"size\":{},\"batch\":{batch},\"msgs\":{n},\"segments\":{SEGMENTS},\"secs\":{secs:.6},\"cpu_secs\":{cpu:.6},\"msgs_per_s\":{:.0},\"msgs_per_cpu_s_all\":{:.0},\"msgs_per_cpu_s\":{best:.0}}}",
        b.size,
        n as f64 / secs,
        n as f64 / cpu
    );
    Ok(())
}
