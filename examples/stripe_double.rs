//! The Stripe double as a program, for Playwright: kassa's end-to-end runs point its Stripe
//! processor at it, and the browser goes through its 3-D Secure page.
//!
//! `stripe_double [--addr 127.0.0.1:12111] [--settle-after-ms 1000]` prints one line,
//! `{"base_url":"http://127.0.0.1:PORT"}`, and serves until killed. Nothing else goes to stdout,
//! so the caller can read that line and go.

#[path = "../tests/api/stripe_double.rs"]
mod stripe_double;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

fn usage(problem: &str) -> ! {
    eprintln!("stripe_double: {problem}");
    eprintln!("usage: stripe_double [--addr 127.0.0.1:12111] [--settle-after-ms 1000]");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 12111));
    let mut settle_after = Duration::from_secs(1);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match name.as_str() {
            "--addr" => {
                let raw = value();
                addr = raw.parse().unwrap_or_else(|_| {
                    usage(&format!(
                        "--addr {raw} is not an address like 127.0.0.1:12111"
                    ))
                });
            }
            "--settle-after-ms" => {
                let raw = value();
                let ms: u64 = raw
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("--settle-after-ms {raw} is not a number")));
                settle_after = Duration::from_millis(ms);
            }
            "-h" | "--help" => usage("serves a Stripe API double"),
            other => usage(&format!("unknown argument {other}")),
        }
    }

    let double = stripe_double::StripeDouble::start_on(addr).await;
    double.set_settle_delay(settle_after);
    let line = serde_json::json!({ "base_url": double.base_url }).to_string();
    let mut stdout = std::io::stdout().lock();
    // A caller waits for this line: write it whole and flush it, or it sits in the buffer.
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .unwrap_or_else(|e| {
            eprintln!("stripe_double: cannot write to stdout: {e}");
            std::process::exit(1);
        });
    drop(stdout);
    std::future::pending::<()>().await;
}
