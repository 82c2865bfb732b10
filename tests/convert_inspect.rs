//! `convert` makes the pyramid operators learned to make, and `inspect` says what is in a
//! TIFF and what will make it slow: both on real files (inputs from the `image` crate and
//! the vips CLI), read back with our own TIFF reader and with libvips.

mod common;

use common::{quadrants, vips, BLUE, GREEN, RED, YELLOW};
use std::path::Path;
use std::process::Command;
use tessera::facts::{read_facts, read_tiff};
use tessera::source::{FileStore, Source};
use tessera::tools::convert::{convert, BigTiff, Compression, ConvertOptions};
use tessera::tools::inspect::{inspect, Inspection};

fn open(path: &Path) -> impl Source {
    let store = FileStore::new(path.parent().unwrap(), "").unwrap();
    store
        .open(path.file_name().unwrap().to_str().unwrap())
        .unwrap()
}

fn inspect_file(path: &Path) -> Inspection {
    inspect("file", &open(path)).unwrap()
}

/// The pixel at (x, y) of the file's first page, as libvips decodes it.
fn pixel(path: &Path, x: u32, y: u32) -> [u8; 3] {
    let out = Command::new("vips")
        .args([
            "getpoint",
            path.to_str().unwrap(),
            &x.to_string(),
            &y.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let values: Vec<u8> = text
        .split_whitespace()
        .map(|v| v.parse::<f64>().unwrap() as u8)
        .collect();
    [values[0], values[1], values[2]]
}

fn near(got: [u8; 3], want: [u8; 3]) -> bool {
    got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 12)
}

#[test]
fn convert_makes_a_ycbcr_512_tile_pyramid_that_inspect_reports_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("scan.png"), dir.path().join("scan.tif"));
    quadrants(3000, 2000).save(&input).unwrap();
    let report = convert(&input, &output, &ConvertOptions::default()).unwrap();
    assert_eq!(
        (report.width, report.height, report.bigtiff),
        (3000, 2000, false)
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let tiff = read_tiff(&open(&output)).unwrap();
    assert_eq!(tiff.page_count(), 1);
    let levels = &tiff.pages[0].levels;
    let sizes: Vec<(u32, u32)> = levels.iter().map(|l| (l.width, l.height)).collect();
    assert_eq!(sizes, [(3000, 2000), (1500, 1000), (750, 500), (375, 250)]);
    for level in levels {
        let tile = level.tile.expect("tiled");
        assert_eq!((tile.width, tile.height), (512, 512));
        assert_eq!(
            (level.compression, level.photometric),
            (7, 6),
            "JPEG, YCbCr"
        );
    }
    assert!(!tiff.is_big_tiff());

    let found = inspect_file(&output);
    let text = found.to_string();
    assert!(
        text.contains("level 0: 3000x2000, tiles 512x512, JPEG, YCbCr"),
        "{text}"
    );
    assert!(
        text.contains("4 level(s)") && text.contains("no warnings"),
        "{text}"
    );
    assert!(found.bytes_per_pixel() < 0.5, "{text}");

    let corners = [
        (100, 100, RED),
        (2900, 100, GREEN),
        (100, 1900, BLUE),
        (2900, 1900, YELLOW),
    ];
    for (x, y, want) in corners {
        assert!(
            near(pixel(&output, x, y), want),
            "({x},{y}): {:?}",
            pixel(&output, x, y)
        );
    }
}

#[test]
fn convert_options_change_compression_tiles_subsampling_and_bigtiff() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jpg");
    image::DynamicImage::ImageRgb8(quadrants(1200, 900))
        .save(&input)
        .unwrap();
    let cases = [
        (
            ConvertOptions {
                subsample: false,
                ..Default::default()
            },
            7,
            2,
            512,
            false,
        ),
        (
            ConvertOptions {
                quality: 95,
                ..Default::default()
            },
            7,
            2,
            512,
            false,
        ),
        (
            ConvertOptions {
                compression: Compression::Deflate,
                tile_size: 256,
                bigtiff: BigTiff::Always,
                ..Default::default()
            },
            8,
            2,
            256,
            true,
        ),
    ];
    for (n, (options, compression, photometric, tile, big)) in cases.into_iter().enumerate() {
        let output = dir.path().join(format!("out{n}.tif"));
        let report = convert(&input, &output, &options).unwrap();
        let tiff = read_tiff(&open(&output)).unwrap();
        let full = &tiff.pages[0].levels[0];
        assert_eq!(
            (full.compression, full.photometric),
            (compression, photometric),
            "{options:?}"
        );
        assert_eq!(full.tile.unwrap().width, tile, "{options:?}");
        assert_eq!(tiff.is_big_tiff(), big, "{options:?}");
        assert_eq!(
            report.warnings.len(),
            usize::from(options.quality >= 90),
            "{report:?}"
        );
    }
    let refused = ConvertOptions {
        tile_size: 100,
        ..Default::default()
    };
    assert!(convert(&input, &dir.path().join("x.tif"), &refused).is_err());
    assert!(convert(
        &dir.path().join("missing.png"),
        &dir.path().join("y.tif"),
        &Default::default()
    )
    .is_err());
}

#[test]
fn inspect_warns_about_what_makes_serving_slow_or_large() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    quadrants(3000, 2000).save(p("big.png")).unwrap();
    vips(&[
        "tiffsave",
        &p("big.png"),
        &p("strips.tif"),
        "--compression",
        "deflate",
    ]);
    vips(&[
        "tiffsave",
        &p("big.png"),
        &p("rgb.tif"),
        "--tile",
        "--pyramid",
        "--compression",
        "jpeg",
        "--Q",
        "95",
    ]);
    vips(&[
        "tiffsave",
        &p("big.png"),
        &p("huge-tiles.tif"),
        "--tile",
        "--tile-width",
        "2048",
        "--tile-height",
        "2048",
        "--pyramid",
    ]);
    image::DynamicImage::ImageRgb8(quadrants(800, 600))
        .save(p("photo.jpg"))
        .unwrap();

    let cases: [(&str, &[&str]); 4] = [
        ("strips.tif", &["stored in strips", "no pyramid"]),
        ("rgb.tif", &["JPEG tiles stored as RGB"]),
        ("huge-tiles.tif", &["tiles of 2048x2048"]),
        ("photo.jpg", &["Jpeg (800x600) is not tiled"]),
    ];
    for (name, wanted) in cases {
        let warnings = inspect_file(Path::new(&p(name))).warnings();
        assert_eq!(warnings.len(), wanted.len(), "{name}: {warnings:?}");
        for (warning, want) in warnings.iter().zip(wanted) {
            assert!(warning.contains(want), "{name}: {warning}");
        }
    }

    // libvips puts the first directory after the full level's tiles: not flagged. A huge
    // file whose first directory follows (nearly) all its pixels is.
    let mut late = inspect_file(Path::new(&p("rgb.tif")));
    let at = late.first_directory.unwrap() as f64 / late.size as f64;
    assert!((0.5..0.9).contains(&at), "{at}");
    late.size = 900 << 20;
    late.first_directory = Some(700 << 20);
    assert!(late.warnings().iter().all(|w| !w.contains("directory")));
    late.first_directory = Some(850 << 20);
    let warnings = late.warnings();
    let flagged = warnings
        .iter()
        .any(|w| w.contains("the first directory is at byte"));
    assert!(flagged, "{warnings:?}");
    let info = read_facts(&open(Path::new(&p("photo.jpg")))).unwrap();
    assert_eq!(info.page_count(), 1);
}

#[test]
fn the_binary_converts_and_inspects() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.png"), dir.path().join("out.tif"));
    quadrants(1100, 700).save(&input).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let converted = run(&["convert", input.to_str().unwrap(), output.to_str().unwrap()]);
    assert!(converted.contains("1100x700 pyramid TIFF"), "{converted}");
    let inspected = run(&["inspect", output.to_str().unwrap()]);
    assert!(
        inspected.contains("tiles 512x512, JPEG, YCbCr"),
        "{inspected}"
    );
    assert!(inspected.contains("no warnings"), "{inspected}");
}
