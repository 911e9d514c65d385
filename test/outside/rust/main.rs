//! The outside-the-tree Rust program: a fresh crate that depends on the
//! packaged `indexbus` crate (bundled, or linked against an install).
//!
//!     peer pub NAME MSG...   publish each MSG (SPSC producer)
//!     peer sub NAME COUNT    receive COUNT messages (5 s each), one per line
use indexbus::{ProducerKind, Region};
use std::time::Duration;

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let region = Region::open(&args[1])?;
    if args[0] == "pub" {
        let mut tx = region.producer(ProducerKind::Spsc)?;
        for m in &args[2..] {
            tx.publish(m.as_bytes())?;
        }
    } else {
        let mut rx = region.consumer(0)?;
        let mut buf = [0u8; 4096];
        for _ in 0..args[2].parse::<u32>()? {
            let n = rx.recv(&mut buf, Duration::from_secs(5))?;
            println!("{}", String::from_utf8_lossy(&buf[..n]));
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 || (args[0] != "pub" && args[0] != "sub") {
        eprintln!("usage: peer pub NAME MSG... | peer sub NAME COUNT");
        std::process::exit(2);
    }
    if let Err(e) = run(&args) {
        eprintln!("peer: {e}");
        std::process::exit(1);
    }
}
