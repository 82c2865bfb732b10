//! Faithful pixels: every kind of source an archive holds (wide-gamut profiles, CMYK,
//! 16-bit, float, palette, alpha, 1-bit) rendered through the service in every output
//! format and quality, and compared with the sRGB colours a colour-managed viewer shows,
//! computed from the colour spaces' definitions (`colour_math.rs`), within a delta E; the
//! same for sources in a real S3-compatible server.

mod colour_math;
#[path = "../common/mod.rs"]
mod common;
mod icc;
mod sources;

use bytes::Bytes;
use colour_math::{delta_e, lab};
use common::{app, get};
use http::Response;
use image::RgbaImage;
use sources::{Source, Want, SIZE};
use std::path::Path;

/// Output formats, and how much each may move a flat colour (delta E).
const FORMATS: [(&str, f64); 5] = [
    ("png", 1.5),
    ("tif", 1.5),
    ("jpg", 3.0),
    ("webp", 3.5),
    ("avif", 3.5),
];

/// Decodes any response body to RGBA.
fn decode(resp: &Response<Bytes>, format: &str, scratch: &Path) -> Result<RgbaImage, String> {
    if resp.status() != 200 {
        return Err(format!(
            "{}: {}",
            resp.status(),
            String::from_utf8_lossy(resp.body())
        ));
    }
    if format == "avif" && resp.body().get(4..12) != Some(b"ftypavif") {
        return Err("not an AVIF file".into());
    }
    match image::load_from_memory(resp.body()) {
        Ok(decoded) => Ok(decoded.to_rgba8()),
        // The `image` crate reads neither AVIF nor grey+alpha TIFF: libvips converts them
        // to PNG first (a decoder only; the expected colours never come from it).
        Err(_) if format == "avif" || format == "tif" => {
            let (file, png) = (
                scratch.join(format!("out.{format}")),
                scratch.join("out.png"),
            );
            std::fs::write(&file, resp.body()).unwrap();
            common::vips(&["copy", file.to_str().unwrap(), png.to_str().unwrap()]);
            Ok(image::open(&png).unwrap().to_rgba8())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The quadrant centres, in the order of `Source::quadrants`.
fn centres(width: u32, height: u32) -> [(u32, u32); 4] {
    let (l, r, t, b) = (width / 4, width * 3 / 4, height / 4, height * 3 / 4);
    [(l, t), (r, t), (l, b), (r, b)]
}

/// Whether `got` is what `want` asks, with `tolerance` delta E; `Err` says why not.
fn check(want: Want, got: [u8; 3], tolerance: f64) -> Result<(), String> {
    let [l, a, b] = lab(got);
    let ok = match want {
        Want::Colour(c) => delta_e(c, got) <= tolerance,
        Want::Grey(g) => {
            let spread = got.iter().max().unwrap() - got.iter().min().unwrap();
            spread <= 2 && delta_e([g; 3], got) <= tolerance.max(2.0)
        }
        Want::PaperWhite => delta_e([255; 3], got) <= tolerance,
        // A press cyan is a mid-light blue-green (a naive conversion gives L* 91).
        Want::Cyan => (45.0..75.0).contains(&l) && a < 0.0 && b < -25.0,
        Want::Magenta => (35.0..65.0).contains(&l) && a > 45.0,
        Want::Black => l < 30.0,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{want:?}: got {got:?} (L*a*b* {l:.0} {a:.0} {b:.0})"
        ))
    }
}

/// Checks one rendered image against a source's quadrants and alpha.
fn check_image(source: &Source, img: &RgbaImage, format: &str, tolerance: f64) -> Vec<String> {
    let mut errors = Vec::new();
    let keeps_alpha = format != "jpg";
    for (i, (x, y)) in centres(img.width(), img.height()).into_iter().enumerate() {
        let [r, g, b, alpha] = img.get_pixel(x, y).0;
        let wanted_alpha = source.alpha.map_or(255, |a| a[i]);
        if keeps_alpha && alpha.abs_diff(wanted_alpha) > 6 {
            errors.push(format!("quadrant {i}: alpha {alpha}, want {wanted_alpha}"));
        }
        // A colour under partial alpha is what it is; one flattened onto white is not.
        if wanted_alpha == 255 || (keeps_alpha && wanted_alpha > 0) {
            if let Err(e) = check(source.quadrants[i], [r, g, b], tolerance) {
                errors.push(format!("quadrant {i}: {e}"));
            }
        }
    }
    errors
}

#[tokio::test]
async fn every_source_kind_renders_its_srgb_colours_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources::make(dir.path());
    let app = app(dir.path());
    let mut failures = Vec::new();
    for source in &sources {
        for (format, tolerance) in FORMATS {
            let path = format!("/iiif/3/{}/full/max/0/default.{format}", source.file);
            let img = match decode(&get(&app, &path, &[]).await, format, dir.path()) {
                Ok(img) => img,
                Err(e) => {
                    failures.push(format!("{path}: {e}"));
                    continue;
                }
            };
            assert_eq!((img.width(), img.height()), (SIZE, SIZE), "{path}");
            for e in check_image(source, &img, format, tolerance) {
                failures.push(format!("{path}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The checks can fail: the Adobe sources' colours shown without their profile are
/// noticeably different from the managed ones (so passing means the profile was applied).
#[test]
fn unmanaged_adobe_colours_would_fail_the_check() {
    let dir = tempfile::tempdir().unwrap();
    for source in sources::make(dir.path()) {
        let Some(unmanaged) = source.unmanaged else {
            continue;
        };
        let failing = (0..4)
            .filter(|&i| check(source.quadrants[i], unmanaged[i], 3.5).is_err())
            .count();
        assert!(
            failing >= 3,
            "{}: only {failing} quadrants differ",
            source.file
        );
    }
}

/// A region of each source (its top-right quadrant) is converted like the whole image:
/// the profile applies to the crop, not only to full-image requests.
#[tokio::test]
async fn regions_are_converted_like_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources::make(dir.path());
    let app = app(dir.path());
    let half = SIZE / 2;
    for source in &sources {
        let path = format!(
            "/iiif/3/{}/{half},0,{half},{half}/max/0/default.png",
            source.file
        );
        let img = decode(&get(&app, &path, &[]).await, "png", dir.path()).unwrap();
        let [r, g, b, _] = img.get_pixel(half / 2, half / 2).0;
        let alpha = source.alpha.map_or(255, |a| a[1]);
        if alpha > 0 {
            check(source.quadrants[1], [r, g, b], 1.5).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

/// gray is neutral at the colour's lightness; bitonal is only black and white; color is
/// default's colours.
#[tokio::test]
async fn every_quality_starts_from_the_managed_colours() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources::make(dir.path());
    let app = app(dir.path());
    for source in &sources {
        let opaque: Vec<usize> = (0..4)
            .filter(|&i| source.alpha.is_none_or(|a| a[i] == 255))
            .collect();
        let managed = |i: usize, img: &RgbaImage| {
            let (x, y) = centres(img.width(), img.height())[i];
            let [r, g, b, _] = img.get_pixel(x, y).0;
            [r, g, b]
        };
        let base = format!("/iiif/3/{}/full/max/0", source.file);
        let mut rendered = Vec::new();
        for quality in ["default", "color", "gray", "bitonal"] {
            let resp = get(&app, &format!("{base}/{quality}.png"), &[]).await;
            rendered.push(decode(&resp, "png", dir.path()).unwrap());
        }
        let [default, color, gray, bitonal] = &rendered[..] else {
            unreachable!()
        };
        for &i in &opaque {
            let want = managed(i, default);
            assert!(delta_e(managed(i, color), want) <= 1.0, "{base} color {i}");
            let grey = managed(i, gray);
            let spread = grey.iter().max().unwrap() - grey.iter().min().unwrap();
            assert!(spread <= 1, "{base} gray {i}: {grey:?}");
            // Neutral at the managed colour's lightness (L*), within a few units.
            let (l_grey, l_want) = (lab(grey)[0], lab(want)[0]);
            assert!(
                (l_grey - l_want).abs() <= 4.0,
                "{base} gray {i}: L* {l_grey:.1} vs {l_want:.1}"
            );
            let bit = managed(i, bitonal);
            assert!(
                bit == [0; 3] || bit == [255; 3],
                "{base} bitonal {i}: {bit:?}"
            );
        }
    }
}

/// The same sources in every format from a real S3-compatible server: downloaded whole (JPEG, PNG, strip
/// TIFF) or read by ranges (the tiled pyramid), every one converted the same way.
#[test]
fn sources_in_s3_render_the_same_colours() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources::make(dir.path());
    let stage = common::s3::Stage::start("tessera-colour");
    let runtime = &stage.runtime;
    for source in &sources {
        stage.put(
            &source.file,
            std::fs::read(dir.path().join(&source.file)).unwrap(),
        );
    }
    let reader = stage.reader(64 * 1024, 64 << 20);
    let bucket = stage.bucket.clone();
    let app = runtime.block_on(async { common::app_s3(reader, |c| c.bucket = bucket) });
    let mut failures = Vec::new();
    for source in &sources {
        for (format, tolerance) in FORMATS {
            let path = format!("/iiif/3/{}/full/max/0/default.{format}", source.file);
            let resp = runtime.block_on(get(&app, &path, &[]));
            match decode(&resp, format, dir.path()) {
                Ok(img) => failures.extend(
                    check_image(source, &img, format, tolerance)
                        .into_iter()
                        .map(|e| format!("{path}: {e}")),
                ),
                Err(e) => failures.push(format!("{path}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The encoder settings reach the encoder, and a response made at other settings has
/// another ETag (a browser's copy at the old quality is not confirmed by a 304).
#[tokio::test]
async fn quality_settings_change_the_bytes_and_the_etag() {
    let dir = tempfile::tempdir().unwrap();
    sources::make(dir.path());
    let default = app(dir.path());
    let lower = common::app_with(dir.path(), |c| {
        c.jpeg_quality = 30;
        c.webp_quality = 30;
        c.avif_quality = 20;
    });
    for format in ["jpg", "webp", "avif"] {
        let path = format!("/iiif/3/adobe.png/full/max/0/default.{format}");
        let (a, b) = (
            get(&default, &path, &[]).await,
            get(&lower, &path, &[]).await,
        );
        assert_eq!(
            (a.status().as_u16(), b.status().as_u16()),
            (200, 200),
            "{path}"
        );
        assert!(
            b.body().len() < a.body().len(),
            "{path}: {} vs {}",
            b.body().len(),
            a.body().len()
        );
        assert_ne!(
            common::header(&a, "etag"),
            common::header(&b, "etag"),
            "{path}"
        );
        let again = get(
            &default,
            &path,
            &[("if-none-match", common::header(&b, "etag"))],
        )
        .await;
        assert_eq!(
            again.status(),
            200,
            "{path}: the other quality's ETag is not ours"
        );
    }
}

/// A tiled JPEG pyramid with an embedded profile: a tile on its grid is rendered through
/// the profile, never sent as the stored (unconverted) tile; and info.json promises only
/// formats the server encodes, refusing an unknown preferred one at start.
#[tokio::test]
async fn tagged_tiles_are_converted_not_passed_through() {
    let dir = tempfile::tempdir().unwrap();
    sources::make(dir.path());
    let out = dir
        .path()
        .join("adobe-jpeg-tiles.tif")
        .to_string_lossy()
        .into_owned();
    let profile = dir
        .path()
        .join("adobe-rgb.icc")
        .to_string_lossy()
        .into_owned();
    let mut args = vec![
        "tiffsave".to_owned(),
        dir.path()
            .join("adobe-srgb.v")
            .to_string_lossy()
            .into_owned(),
        out,
    ];
    args.extend(common::pyramid_options(32, "jpeg"));
    args.extend(["--Q".into(), "95".into(), "--profile".into(), profile]);
    common::vips(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let app = app(dir.path());
    let path = "/iiif/3/adobe-jpeg-tiles.tif/0,0,32,32/32,32/0/default.jpg";
    let img = decode(&get(&app, path, &[]).await, "jpg", dir.path()).unwrap();
    let [r, g, b, _] = img.get_pixel(16, 16).0;
    let want = colour_math::adobe_to_srgb([200, 60, 50]);
    assert!(
        delta_e(want, [r, g, b]) <= 3.0,
        "{path}: {:?} want {want:?}",
        [r, g, b]
    );
    let passed_through = common::counter(&app, "tessera_stored_tiles_total").await;
    assert_eq!(passed_through, 0, "no stored tile was sent as it is");

    let mut config = tessera::config::Config::from_env().unwrap();
    config.preferred_formats = "webp,jpeg2000".into();
    let store = std::sync::Arc::new(tessera::source::FileStore::new(dir.path(), "").unwrap());
    let err = tessera::service::App::with_store(config, store)
        .err()
        .unwrap();
    assert!(err.contains("jpeg2000"), "{err}");
}
