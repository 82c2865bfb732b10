//! Lambda cold start, measured: the real `bootstrap` started fresh against the Runtime API
//! emulator, several times over, printing its init (process start to its first poll for an
//! invocation: what Lambda bills as Init Duration) and its first answers, a cold tile from
//! S3 and then info.json, through the emulated Function URL. A measurement, not a test:
//! ignored unless asked for, and run by `scripts/bench-s3` in release mode against the
//! benchmark's S3 server behind its 15 ms link, where `TESSERA_BENCH_*` say what to read:
//!
//! - `TESSERA_BENCH_ENDPOINT` (the S3 endpoint), `TESSERA_BENCH_BUCKET`;
//! - `TESSERA_BENCH_TILE` and `TESSERA_BENCH_INFO`: the paths asked for (IIIF URLs).
//!
//! Without them it reads a fixture image from files.
//!
//! Each answer is also timed as the function logged it (`ms`): through the emulator every
//! exchange costs about 44 ms more, whatever the answer, because `lambda_runtime`'s
//! Runtime API client does not set TCP_NODELAY, so the small writes of a streamed answer
//! wait for the emulator's delayed ACK (Nagle's algorithm). Whether AWS's Runtime API
//! delays its ACKs likewise is to be measured there; the function's own time is not
//! affected.

mod common;
mod lambda_support;

use lambda_support::emulator::{Emulator, Function};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run by scripts/bench-s3"]
async fn lambda_cold_start() {
    let fixtures = common::fixture_dir();
    let setting = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let s3 = setting("TESSERA_BENCH_ENDPOINT").zip(setting("TESSERA_BENCH_BUCKET"));
    let tile = setting("TESSERA_BENCH_TILE")
        .unwrap_or_else(|| "/iiif/3/quad.tif/0,0,256,256/256,256/0/default.jpg".into());
    let info = setting("TESSERA_BENCH_INFO").unwrap_or_else(|| "/iiif/3/quad.tif/info.json".into());
    let (mut inits, mut tiles, mut infos) = (Vec::new(), Vec::new(), Vec::new());
    // What the function itself logged for each request (`ms`), first and second.
    let mut own = Vec::new();
    for run in 0..RUNS {
        let emulator = Emulator::start().await;
        let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
        command
            .env("RUST_LOG", "info")
            .env("TESSERA_METRICS", "off");
        match &s3 {
            Some((endpoint, bucket)) => command
                .env("TESSERA_SOURCE", "s3")
                .env("TESSERA_BUCKET", bucket)
                .env("TESSERA_S3_ENDPOINT", endpoint)
                .env("TESSERA_S3_PATH_STYLE", "true")
                .env("AWS_ACCESS_KEY_ID", "bench")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .env("AWS_REGION", "us-east-1"),
            None => command.env("TESSERA_ROOT", fixtures.path()),
        };
        let log = fixtures.path().join(format!("bootstrap-{run}.log"));
        let function = Function::start(command, &emulator, log);
        let init = emulator.first_poll().expect("polled") - function.spawned;
        let get = |path: &str| {
            let url = format!("{}{path}", emulator.function_url);
            async move {
                let started = Instant::now();
                let resp = reqwest::get(url).await.unwrap();
                let status = resp.status();
                resp.bytes().await.unwrap();
                (status, started.elapsed())
            }
        };
        let (status, tile_took) = get(&tile).await;
        assert!(
            status.is_success(),
            "{tile}: {status}\n{}",
            function.log_text()
        );
        let (status, info_took) = get(&info).await;
        assert!(
            status.is_success(),
            "{info}: {status}\n{}",
            function.log_text()
        );
        inits.push(init);
        tiles.push(tile_took);
        infos.push(info_took);
        // The log line follows the answer; give it a moment to reach the file.
        for _ in 0..200 {
            if own_times(&function.log_text()).len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        own.extend(own_times(&function.log_text()).into_iter().take(2));
    }
    let source = match &s3 {
        Some((endpoint, bucket)) => format!("S3 {endpoint}, bucket {bucket}"),
        None => "files".into(),
    };
    println!("Lambda cold start, {RUNS} fresh bootstraps ({source}):");
    line("init (start to first poll)", &mut inits);
    line(&format!("first request: {tile}"), &mut tiles);
    line(&format!("then: {info}"), &mut infos);
    let (mut first, mut second): (Vec<_>, Vec<_>) =
        own.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
    line("  the first, as the function logged it", &mut first);
    line("  the second, as the function logged it", &mut second);
}

/// The `ms` of each request log line in `log` (JSON lines), in order.
fn own_times(log: &str) -> Vec<Duration> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| {
            let fields = v.get("fields").unwrap_or(&v);
            (fields["message"] == "request").then(|| fields["ms"].as_u64())?
        })
        .map(Duration::from_millis)
        .collect()
}

fn line(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {what:<76} median {:7.1} ms  (min {:.1}, max {:.1})",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}
