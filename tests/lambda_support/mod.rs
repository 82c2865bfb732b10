//! Fixtures shared by the Lambda tests: the image directory every `events/*.json` names
//! (the common fixtures plus `noise.png`, whose full-size PNG is over Lambda's 6 MB
//! buffered-response ceiling), and the events themselves.
#![allow(dead_code)]

pub mod emulator;
pub mod round_trip;

use image::{Rgb, RgbImage};
use std::path::{Path, PathBuf};

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
