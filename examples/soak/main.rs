//! Soak: a running `tessera serve` under a closed loop of concurrent requests (pyramid
//! tiles, thumbnails of large images, crops, rotations, decompression bombs, hostile paths,
//! unknown images) for a set time, watched from outside (RSS, cache and temp folders).
//! Prints a table of answers and latencies, then checks the server still serves. Run by
//! `scripts/soak`, which makes the images and starts the server; exits 1 when the server
//! failed (a 5xx other than 503, no answer, a leaked byte, a stray cache file, gone).
//!
//! One client thread: the machine it runs on is the server's too, and the server must get
//! the cores.

mod checks;
mod mix;
mod report;
mod watch;

use checks::{cache_folder, memory_line, still_serving};
use clap::Parser;
use mix::{Dice, Mix, Picture};
use report::{Outcome, Tally};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use watch::{mib, Seen, Watch};

#[derive(Parser)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    base: String,
    /// The server's process id (its memory is read from /proc).
    #[arg(long)]
    pid: u32,
    /// How long the load runs.
    #[arg(long, default_value_t = 180)]
    seconds: u64,
    /// Requests in flight at all times.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// A request without a complete answer after this long counts as a failure.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// The server's image folder (its path must never appear in an answer).
    #[arg(long)]
    root: PathBuf,
    /// The server's whole-object cache folder and its budget in bytes.
    #[arg(long)]
    cache_dir: PathBuf,
    #[arg(long)]
    disk_budget: u64,
    /// The server's TMPDIR (where libvips spills decoded images).
    #[arg(long)]
    temp_dir: PathBuf,
    /// The memory budget the server was given, in bytes (0: none).
    #[arg(long, default_value_t = 0)]
    memory_budget: u64,
    /// Stop the load if the server's RSS, or its cache and temp files, pass these (bytes):
    /// the machine is shared.
    #[arg(long, default_value_t = 8 << 30)]
    rss_guard: u64,
    #[arg(long, default_value_t = 8 << 30)]
    disk_guard: u64,
}

/// What every worker shares.
struct Shared {
    client: reqwest::Client,
    base: String,
    mix: Mix,
    needles: Vec<String>,
    tally: Mutex<Tally>,
    leaks: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    stop: Arc<AtomicBool>,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    std::process::exit(runtime.block_on(run(args)));
}

async fn run(args: Args) -> i32 {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs))
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .expect("an HTTP client");
    let mix = match facts(&client, &args.base).await {
        Ok(mix) => mix,
        Err(why) => {
            eprintln!("soak: cannot start: {why}");
            return 2;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Shared {
        client,
        base: args.base.clone(),
        mix,
        needles: needles(&args.root),
        tally: Mutex::new(Tally::default()),
        leaks: Mutex::new(Vec::new()),
        in_flight: AtomicUsize::new(0),
        stop: Arc::clone(&stop),
    });
    let seen = Arc::new(Mutex::new(Seen::default()));
    let watch = Watch {
        pid: args.pid,
        dirs: [args.cache_dir.clone(), args.temp_dir.clone()],
        rss_guard: args.rss_guard,
        disk_guard: args.disk_guard,
    };
    let watcher = tokio::spawn(watch.run(Arc::clone(&seen), Arc::clone(&stop)));
    let started = Instant::now();
    let cut = load(&shared, &args).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.await;
    let mut seen = seen.lock().unwrap().clone();
    if let Some((rss, hwm)) = watch::memory(args.pid) {
        (seen.peak_rss, seen.hwm) = (seen.peak_rss.max(rss), seen.hwm.max(hwm));
    }
    let tally = std::mem::take(&mut *shared.tally.lock().unwrap());
    let leaks = std::mem::take(&mut *shared.leaks.lock().unwrap());
    let mut problems = summary(tally, &leaks, seen, &args, elapsed, cut);
    problems.extend(still_serving(&shared.client, &args.base).await);
    problems.extend(cache_folder(&args.cache_dir, args.disk_budget));
    if problems.is_empty() {
        println!("\nsoak: passed");
        0
    } else {
        println!("\nsoak: FAILED");
        problems.iter().for_each(|p| println!("  - {p}"));
        1
    }
}

/// Prints the table and the figures of the run; the problems they show.
fn summary(
    mut tally: Tally,
    leaks: &[String],
    seen: Seen,
    args: &Args,
    elapsed: Duration,
    cut: usize,
) -> Vec<String> {
    let mut problems = Vec::new();
    println!("\n{}\n", tally.table());
    let rate = tally.requests() as f64 / elapsed.as_secs_f64();
    println!(
        "{} requests at concurrency {} in {:.0} s ({rate:.1}/s; the load ran {} s, then the \
         last answers came); {cut} cut off unanswered",
        tally.requests(),
        args.concurrency,
        elapsed.as_secs_f64(),
        args.seconds,
    );
    println!("errors by status: {}", tally.errors_by_status());
    println!("{}", memory_line(&seen, args.memory_budget));
    println!(
        "server files, peak: cache folder {}, temp folder {}",
        mib(seen.peak_cache_dir),
        mib(seen.peak_temp_dir)
    );
    let failures = tally.failures();
    if !failures.is_empty() {
        problems.push(format!("server failures: {}", failures.join(" ")));
    }
    if let Some(first) = leaks.first() {
        problems.push(format!(
            "{} error bodies leaked detail, e.g. {first}",
            leaks.len()
        ));
    }
    problems.extend(seen.stopped.map(|why| format!("load stopped early: {why}")));
    problems
}

/// Runs the workers until the time is up (or a guard stops them), then lets the requests
/// in flight finish within the client timeout; answers how many were cut off.
async fn load(shared: &Arc<Shared>, args: &Args) -> usize {
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        workers.spawn(worker(Arc::clone(shared), deadline));
    }
    let grace = Duration::from_secs(args.seconds + args.timeout_secs + 5);
    let all_done = async { while workers.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(grace, all_done).await;
    shared.in_flight.load(Ordering::Relaxed)
}

async fn worker(shared: Arc<Shared>, deadline: Instant) {
    let mut dice = Dice::new();
    while Instant::now() < deadline && !shared.stop.load(Ordering::Relaxed) {
        let (kind, path) = shared.mix.next(&mut dice);
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let (outcome, body) = fetch(&shared.client, &format!("{}{path}", shared.base)).await;
        let latency = started.elapsed();
        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        if let Outcome::Status(400..) = outcome {
            let text = String::from_utf8_lossy(&body);
            if shared.needles.iter().any(|n| text.contains(n.as_str())) {
                let shown: String = text.chars().take(120).collect();
                let leak = format!("{path} answered {outcome:?} {shown:?}");
                shared.leaks.lock().unwrap().push(leak);
            }
        }
        shared.tally.lock().unwrap().add(kind, outcome, latency);
    }
}

/// One GET, its body read to the end (kept only up to 64 KiB: enough to check an error).
async fn fetch(client: &reqwest::Client, url: &str) -> (Outcome, Vec<u8>) {
    let failed = |e: reqwest::Error| {
        let outcome = if e.is_timeout() {
            Outcome::Timeout
        } else {
            Outcome::Transport
        };
        (outcome, Vec::new())
    };
    let mut response = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let status = Outcome::Status(response.status().as_u16());
    let mut kept = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = (64usize << 10).saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => return (status, kept),
            Err(e) => return failed(e),
        }
    }
}

/// Strings that must never appear in an error body: the image folder's path and what the
/// `.git/config` inside it holds, as text and as the hex dump of its first bytes.
fn needles(root: &std::path::Path) -> Vec<String> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    vec![
        root.display().to_string(),
        "[core]".to_owned(),
        "repositoryformatversion".to_owned(),
        "5b 63 6f 72 65".to_owned(),
    ]
}

/// The images' sizes and tile grids, from the server's info.json.
async fn facts(client: &reqwest::Client, base: &str) -> Result<Mix, String> {
    let mut pictures = Vec::new();
    for id in mix::PYRAMIDS.into_iter().chain(mix::LARGE) {
        let url = format!("{base}/iiif/3/{id}/info.json");
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
        let info: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{url}: {status}, not info.json ({e})"))?;
        let number = |v: &serde_json::Value| v.as_u64().ok_or(format!("{url}: no {v}"));
        let tiles = &info["tiles"][0];
        let factors = tiles["scaleFactors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        pictures.push(Picture {
            id,
            width: number(&info["width"])?,
            height: number(&info["height"])?,
            tile: number(&tiles["width"])?,
            factors: factors.iter().filter_map(|f| f.as_u64()).collect(),
        });
    }
    let large = pictures.split_off(mix::PYRAMIDS.len());
    Ok(Mix {
        pyramids: pictures,
        large,
    })
}
