//! The real `bootstrap` process against a local Lambda Runtime API emulator
//! (`tests/lambda_support/emulator.rs`), with HTTP requests going in through the emulated
//! Function URL and back out: info.json with the viewer-facing `id`, a tile, a streamed
//! full-size image over 6 MB, a 404, and the JSON log line of each request.

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
}
