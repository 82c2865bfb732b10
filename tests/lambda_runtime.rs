//! The real `bootstrap` process against a local Lambda Runtime API emulator
//! (`tests/lambda_support/emulator.rs`), with HTTP requests going in through the emulated
//! Function URL and back out: info.json with the viewer-facing `id`, a tile, a streamed
//! full-size image over 6 MB, a 404, the JSON log line of each request on stderr, and its
//! CloudWatch EMF metrics line on stdout (unless `TESSERA_METRICS=off`).

mod common;
mod lambda_support;

use lambda_support::emulator::{Emulator, Function};
use lambda_support::event_fixtures;
use lambda_support::round_trip::round_trip;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_serves_function_url_requests_through_the_runtime_api() {
    serve_round_trip(&[]).await;
}

/// The variables the template leaves out when their parameter is empty (`!If` to
/// `AWS::NoValue`) arrive empty under SAM's local emulation and can be left empty in the
/// Lambda console: empty means the default, not a value that fails to parse at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_settings_mean_their_defaults() {
    serve_round_trip(&[
        "TESSERA_BLOCK_CACHE_BYTES",
        "TESSERA_BLOCK_SIZE",
        "TESSERA_DISK_CACHE_BYTES",
        "TESSERA_DISK_CACHE_DIR",
        "TESSERA_MEMORY_BUDGET",
        "TESSERA_S3_ENDPOINT",
        "TESSERA_RENDER_CONCURRENCY",
        "TESSERA_RENDER_THREADS",
        "TESSERA_METRICS",
        "TESSERA_METRICS_NAMESPACE",
    ])
    .await;
}

/// The bootstrap on the event fixtures, with `empty` variables set to "", through the
/// round trip.
async fn serve_round_trip(empty: &[&str]) {
    let dir = event_fixtures();
    let emulator = Emulator::start().await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    command
        .env_remove("TESSERA_LOG_FORMAT")
        .env("TESSERA_ROOT", dir.path())
        .env("RUST_LOG", "info");
    for name in empty {
        command.env(name, "");
    }
    let function = Function::start(command, &emulator, dir.path().join("bootstrap.log"));
    round_trip(&emulator, &function).await;
    // One EMF line per invocation, and nothing else on stdout.
    let stdout = function.stdout_text();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.len(), emulator.invocations().len(), "{stdout}");
    for line in &lines {
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Tessera");
        assert_eq!(line["Function"], "tessera");
    }
    assert_eq!(lines[0]["ColdStart"], 1);
    assert!(lines[1..].iter().all(|line| line["ColdStart"] == 0));
}

/// `TESSERA_METRICS=off`: the function answers and prints nothing on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_off_prints_no_emf_line() {
    let dir = event_fixtures();
    let emulator = Emulator::start().await;
    let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    command
        .env("TESSERA_ROOT", dir.path())
        .env("TESSERA_METRICS", "off");
    let function = Function::start(command, &emulator, dir.path().join("bootstrap.log"));
    let url = format!("{}/iiif/3/quad.tif/info.json", emulator.function_url);
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status(), 200, "{}", function.log_text());
    assert_eq!(emulator.invocations().len(), 1);
    assert_eq!(function.stdout_text(), "");
}
