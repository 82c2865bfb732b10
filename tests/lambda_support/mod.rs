//! Fixtures shared by the Lambda tests: the image directory every `events/*.json` names
//! (the common fixtures plus `noise.png`, whose full-size PNG is over Lambda's 6 MB
//! buffered-response ceiling), and the events themselves.
#![allow(dead_code)]

pub mod emulator;
pub mod round_trip;

use bytes::Bytes;
use image::{Rgb, RgbImage};
use lambda_http::{Context, RequestExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tessera::service::App;

/// Buffered Lambda responses stop at 6 MB; the streamed full-size image must exceed it.
pub const BUFFERED_LIMIT: usize = 6 * 1024 * 1024;

/// The common fixtures plus `noise.png`: 1800x1800 pseudo-random pixels, which no PNG
/// encoder can squeeze under 9 MB.
pub fn event_fixtures() -> tempfile::TempDir {
    let dir = crate::common::fixture_dir();
    let mut state: u32 = 0x2545_f491;
    let noise = RgbImage::from_fn(1800, 1800, |_, _| {
        let mut next = || {
            // xorshift32: cheap, deterministic, incompressible enough.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        };
        Rgb([next(), next(), next()])
    });
    noise.save(dir.path().join("noise.png")).unwrap();
    dir
}

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// Every event file's name (without `.json`), sorted.
pub fn event_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

pub fn event_text(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(format!("{name}.json"))).unwrap()
}

/// `method path` as the Lambda glue receives it from the runtime, in an invocation whose
/// deadline (epoch milliseconds, as the Runtime API gives it) is `left` from now.
pub fn invocation(method: &str, path: &str, left: Duration) -> lambda_http::Request {
    let mut context = Context::default();
    let deadline = SystemTime::now() + left;
    context.deadline = deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    http::Request::builder()
        .method(method)
        .uri(format!("https://tessera.test{path}"))
        .header("host", "tessera.test")
        .body(lambda_http::Body::Empty)
        .unwrap()
        .with_lambda_context(context)
}

/// Answers `method path` through the Lambda glue (deadline and streaming rate attached)
/// and the service, with `left` until the invocation's deadline.
pub async fn invoke_within(
    app: &App,
    method: &str,
    path: &str,
    left: Duration,
) -> http::Response<Bytes> {
    tessera::doors::lambda::respond(app, invocation(method, path, left)).await
}
