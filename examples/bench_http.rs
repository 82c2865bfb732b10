//! A closed-loop HTTP load generator for side-by-side runs (`scripts/bench-iipimage`): a
//! fixed number of requests over a list of paths, a fixed number in flight, each answer
//! read to its end. Prints one JSON line: throughput, latency percentiles, failures and
//! mean body size. Asserts nothing.
//!
//! One client thread: the machine it runs on is the servers' too, and the servers must get
//! the cores, the same for each.

use clap::Parser;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Prepended to every path, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    base: String,
    /// A file with one path per line; requests go through them in order, round and round.
    #[arg(long)]
    paths: std::path::PathBuf,
    /// Requests in flight at all times.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Requests in all.
    #[arg(long, default_value_t = 200)]
    requests: usize,
}

fn main() {
    let args = Args::parse();
    let paths: Vec<String> = std::fs::read_to_string(&args.paths)
        .expect("the paths file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{}{}", args.base, l.trim()))
        .collect();
    assert!(!paths.is_empty(), "no paths");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(run(Arc::new(paths), &args));
    println!("{report}");
}

async fn run(paths: Arc<Vec<String>>, args: &Args) -> serde_json::Value {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, paths, next, total) = (
            client.clone(),
            Arc::clone(&paths),
            Arc::clone(&next),
            args.requests,
        );
        workers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return seen;
                }
                let url = &paths[n % paths.len()];
                let sent = Instant::now();
                let answer = match client.get(url).send().await {
                    Ok(resp) if resp.status().is_success() => {
                        resp.bytes().await.ok().map(|b| b.len())
                    }
                    Ok(resp) => {
                        eprintln!("{} {url}", resp.status());
                        None
                    }
                    Err(err) => {
                        eprintln!("{err} {url}");
                        None
                    }
                };
                seen.push((sent.elapsed(), answer));
            }
        }));
    }
    let mut seen = Vec::new();
    for worker in workers {
        seen.extend(worker.await.unwrap());
    }
    let wall = started.elapsed();
    let mut times: Vec<Duration> = seen.iter().map(|(t, _)| *t).collect();
    times.sort();
    let bytes: Vec<usize> = seen.iter().filter_map(|(_, b)| *b).collect();
    let at = |q: f64| ms(times[((times.len() as f64 * q) as usize).min(times.len() - 1)]);
    serde_json::json!({
        "requests": seen.len(),
        "failed": seen.len() - bytes.len(),
        "concurrency": args.concurrency,
        "per_second": seen.len() as f64 / wall.as_secs_f64(),
        "p50_ms": at(0.5),
        "p95_ms": at(0.95),
        "max_ms": ms(times[times.len() - 1]),
        "mean_bytes": bytes.iter().sum::<usize>() / bytes.len().max(1),
    })
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}
