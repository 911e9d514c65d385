//! The outside-the-tree Rust program: a fresh crate that depends on the
//! packaged `indexbus` crate (bundled, or linked against an install).
//!
//!     peer pub NAME MSG...    publish each MSG (SPSC producer)
//!     peer sub NAME COUNT     receive COUNT messages (5 s each), one per line
//!     peer write NAME         copy stdin into byte stream NAME (io::copy), then leave
//!     peer read NAME          copy byte stream NAME to stdout (io::copy), to its end
//!     peer call NAME MSG...   send each MSG as a request, print each reply on a line
//!     peer serve NAME COUNT   answer COUNT requests with "peer:" + the request
use indexbus::{ProducerKind, Region};
use std::io::{self, Write};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let region = Region::open(&args[1])?;
    match args[0].as_str() {
        "pub" => {
            let mut tx = region.producer(ProducerKind::Spsc)?;
            for m in &args[2..] {
                tx.publish(m.as_bytes())?;
            }
        }
        "sub" => {
            let mut rx = region.consumer(0)?;
            let mut buf = [0u8; 4096];
            for _ in 0..args[2].parse::<u32>()? {
                let n = rx.recv(&mut buf, Duration::from_secs(5))?;
                println!("{}", String::from_utf8_lossy(&buf[..n]));
            }
        }
        "write" => {
            let mut w = region.stream_writer()?;
            w.set_timeout(Some(WAIT));
            io::copy(&mut io::stdin().lock(), &mut w)?;
            w.close()?; // the only writer: the stream ends
        }
        "read" => {
            let mut r = region.stream_reader()?;
            r.set_timeout(Some(WAIT));
            let mut out = io::stdout().lock();
            io::copy(&mut r, &mut out)?; // until the end of stream
            out.flush()?;
        }
        "call" => {
            let mut client = region.rpc_client()?;
            for m in &args[2..] {
                let reply = client.call(m.as_bytes(), Duration::from_secs(5))?;
                println!("{}", String::from_utf8_lossy(&reply));
            }
        }
        _ => {
            let mut server = region.rpc_server()?;
            for _ in 0..args[2].parse::<u32>()? {
                let mut req = server.serve(WAIT)?;
                let (request, out) = req.reply_buffer()?; // zero-copy
                let n = request.len();
                if n + 5 > out.len() {
                    req.reply(b"peer: too long")?;
                    continue;
                }
                out[..5].copy_from_slice(b"peer:");
                out[5..5 + n].copy_from_slice(request);
                req.commit(5 + n)?;
            }
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ok = match args.first().map(String::as_str) {
        Some("pub" | "sub" | "call" | "serve") => args.len() >= 3,
        Some("write" | "read") => args.len() == 2,
        _ => false,
    };
    if !ok {
        eprintln!(
            "usage: peer pub NAME MSG... | sub NAME COUNT | write NAME | read NAME \
             | call NAME MSG... | serve NAME COUNT"
        );
        std::process::exit(2);
    }
    if let Err(e) = run(&args) {
        eprintln!("peer: {e}");
        std::process::exit(1);
    }
}
