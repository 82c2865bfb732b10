//! The walker against files libvips itself writes, generated at test time with the `vips`
//! CLI: every level's size is checked against what libvips reports when it opens that
//! level with our own load options, and the read budget is pinned with a counting source.
//! Tests print SKIPPED and pass when the CLI is absent (the test script installs it).

use super::testkit::{vips, CountingSource};
use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A temp dir holding a flat 3-band 8-bit image `in.v` of the given size.
pub(super) fn with_image(width: u32, height: u32) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (w, h) = (width.to_string(), height.to_string());
    vips(dir.path(), &["black", "in.v", &w, &h, "--bands", "3"]).then_some(dir)
}

/// Saves `in.v` as `name` with extra `tiffsave` (or other saver) arguments.
pub(super) fn save(dir: &Path, saver: &str, name: &str, args: &[&str]) -> PathBuf {
    let mut all = vec![saver, "in.v", name];
    all.extend_from_slice(args);
    assert!(vips(dir, &all));
    dir.join(name)
}

/// Width and height as libvips sees `path` opened with `options`.
fn vips_size(path: &Path, options: &str) -> (u32, u32) {
    let target = format!("{}[{options}]", path.display());
    let field = |name: &str| {
        let out = Command::new("vipsheader")
            .args(["-f", name, &target])
            .output()
            .expect("vipsheader runs");
        assert!(
            out.status.success(),
            "vipsheader {target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .expect("a number")
    };
    (field("width"), field("height"))
}

/// Reads `path` through a counting source and checks every level against libvips.
fn walk_and_check(path: &Path) -> (TiffInfo, CountingSource) {
    let src = CountingSource::from_file(path);
    let info = read_tiff(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for page in &info.pages {
        for level in &page.levels {
            let opts = crate::render::tiff_options(level.load);
            assert_eq!(
                vips_size(path, &opts),
                (level.width, level.height),
                "{opts}"
            );
        }
    }
    (info, src)
}

fn sizes(page: &TiffPage) -> Vec<(u32, u32)> {
    page.levels.iter().map(|l| (l.width, l.height)).collect()
}

#[test]
fn jpeg_pyramid_in_the_main_chain() {
    let Some(dir) = with_image(3000, 2000) else {
        return;
    };
    let args = [
        "--tile",
        "--tile-width",
        "256",
        "--tile-height",
        "256",
        "--pyramid",
        "--compression",
        "jpeg",
        "--Q",
        "85",
    ];
    let (info, src) = walk_and_check(&save(dir.path(), "tiffsave", "pyr.tif", &args));
    assert_eq!(info.page_count(), 1);
    // libvips halves with floor (375 -> 187) and stops once a level fits in one tile.
    assert_eq!(
        sizes(&info.pages[0]),
        [
            (3000, 2000),
            (1500, 1000),
            (750, 500),
            (375, 250),
            (187, 125)
        ]
    );
    let loads: Vec<LevelLoad> = info.pages[0].levels.iter().map(|l| l.load).collect();
    assert_eq!(loads, (0..5).map(LevelLoad::Page).collect::<Vec<_>>());
    for level in &info.pages[0].levels {
        // JPEG tiles are YCbCr (photometric 6), 3 x 8 bits, chunky.
        let got = (
            level.compression,
            level.photometric,
            level.samples_per_pixel,
            level.bits_per_sample,
        );
        assert_eq!(got, (7, 6, 3, 8));
        assert_eq!(level.planar_config, 1);
        assert_eq!(
            level.tile,
            Some(crate::iiif::Dimensions {
                width: 256,
                height: 256
            })
        );
    }
    assert!(
        src.reads() <= info.directories_read() + 2,
        "{} reads",
        src.reads()
    );
}

/// The brief's budget: an 8-level pyramid in at most directories + 2 reads, under 64 KiB.
#[test]
fn eight_level_pyramid_read_budget() {
    let Some(dir) = with_image(8192, 6144) else {
        return;
    };
    let tiles = [
        "--tile",
        "--tile-width",
        "64",
        "--tile-height",
        "64",
        "--pyramid",
        "--compression",
        "jpeg",
    ];
    for (name, extra) in [
        ("chain.tif", None),
        ("subifd.tif", Some("--subifd")),
        ("big.tif", Some("--bigtiff")),
    ] {
        let mut args = tiles.to_vec();
        args.extend(extra);
        let (info, src) = walk_and_check(&save(dir.path(), "tiffsave", name, &args));
        let levels = &info.pages[0].levels;
        assert_eq!(levels.len(), 8, "{name}");
        assert_eq!((levels[7].width, levels[7].height), (64, 48));
        assert_eq!(info.directories_read(), 8);
        let (reads, bytes) = (src.reads(), src.bytes_read());
        eprintln!("{name}: {reads} reads, {bytes} bytes for 8 directories");
        assert!(reads <= 8 + 2, "{name}: {reads} reads");
        assert!(bytes < 64 * 1024, "{name}: {bytes} bytes");
    }
}

#[test]
fn subifd_pyramid_deflate() {
    let Some(dir) = with_image(3000, 2000) else {
        return;
    };
    let args = [
        "--tile",
        "--tile-width",
        "256",
        "--tile-height",
        "256",
        "--pyramid",
        "--subifd",
        "--compression",
        "deflate",
    ];
    let (info, _) = walk_and_check(&save(dir.path(), "tiffsave", "sub.tif", &args));
    assert_eq!(info.page_count(), 1);
    assert_eq!(
        sizes(&info.pages[0]),
        [
            (3000, 2000),
            (1500, 1000),
            (750, 500),
            (375, 250),
            (187, 125)
        ]
    );
    assert_eq!(
        info.level_load(0, 2),
        Some(LevelLoad::SubIfd { page: 0, index: 1 })
    );
    let level = info.level(0, 1).unwrap();
    assert_eq!((level.compression, level.photometric), (8, 2));
}

#[test]
fn compressions_and_bigtiff() {
    let Some(dir) = with_image(1000, 700) else {
        return;
    };
    for (name, compression, code) in [
        ("lzw.tif", "lzw", 5),
        ("none.tif", "none", 1),
        ("deflate.tif", "deflate", 8),
    ] {
        let args = [
            "--tile",
            "--pyramid",
            "--bigtiff",
            "--compression",
            compression,
        ];
        let (info, _) = walk_and_check(&save(dir.path(), "tiffsave", name, &args));
        assert!(info.is_big_tiff());
        // Default 128-pixel tiles: 1000 -> 500 -> 250 -> 125.
        assert_eq!(
            sizes(&info.pages[0]),
            [(1000, 700), (500, 350), (250, 175), (125, 87)]
        );
        assert!(info.pages[0]
            .levels
            .iter()
            .all(|l| l.compression == code && l.photometric == 2));
    }
}

#[test]
fn plain_strip_tiff() {
    let Some(dir) = with_image(1000, 700) else {
        return;
    };
    let (info, src) = walk_and_check(&save(dir.path(), "tiffsave", "strip.tif", &[]));
    let facts = info.facts(0).unwrap();
    assert_eq!(
        (facts.width, facts.height, facts.tile, facts.levels.len()),
        (1000, 700, None, 1)
    );
    assert_eq!(info.is_tiled(0, 0), Some(false));
    assert!(info.level(0, 0).unwrap().rows_per_strip.is_some());
    assert!(src.reads() <= 2);
}

#[test]
fn multi_page_documents() {
    let Some(dir) = with_image(600, 400) else {
        return;
    };
    let d = dir.path();
    assert!(vips(d, &["join", "in.v", "in.v", "two.v", "vertical"]));
    assert!(vips(d, &["join", "two.v", "in.v", "three.v", "vertical"]));
    for (name, pyramid) in [("pages.tif", false), ("pagepyr.tif", true)] {
        let mut args = vec![
            "tiffsave",
            "three.v",
            name,
            "--page-height",
            "400",
            "--tile",
            "--compression",
            "jpeg",
        ];
        if pyramid {
            args.push("--pyramid");
        }
        assert!(vips(d, &args));
        let (info, _) = walk_and_check(&d.join(name));
        assert_eq!(info.page_count(), 3, "{name}");
        for (n, page) in info.pages.iter().enumerate() {
            assert_eq!(page.levels[0].load, LevelLoad::Page(n as u32));
            // A multi-page pyramid is always written with SubIFDs by libvips.
            let want = if pyramid {
                vec![(600, 400), (300, 200), (150, 100), (75, 50)]
            } else {
                vec![(600, 400)]
            };
            assert_eq!(sizes(page), want, "{name} page {n}");
        }
        let facts = read_facts(&CountingSource::from_file(&d.join(name))).unwrap();
        assert_eq!(facts.page_count(), 3);
        assert!(facts.facts(2).is_some() && facts.facts(3).is_none());
    }
}
