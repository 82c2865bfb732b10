//! Stored-tile pass-through through the service: a request for exactly one stored JPEG tile
//! is answered with that tile made into a complete JPEG, for YCbCr, RGB and grey tiles, in
//! TIFF and BigTIFF, main-chain and SubIFD pyramids, from files and from S3; decoding the
//! answer gives exactly the pixels libvips decodes from the stored tile. Edge tiles, other
//! formats, rotations, qualities, profiles and compressions are rendered instead.

mod common;

use common::{app, counter, get, vips};
use std::path::Path;
use tessera::service::App;

/// 1100x900: at 256 px tiles, level 0 has 4x3 whole tiles and level 1 (550x450) 2x1,
/// each with partial tiles on the right and bottom edges.
const WIDTH: u32 = 1100;
const HEIGHT: u32 = 900;

/// A textured colour image, so that tiles hold real JPEG data.
fn source(dir: &Path) -> String {
    let img = image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        image::Rgb([
            (x * 7 % 251) as u8,
            (y * 5 % 241) as u8,
            ((x + y) * 3 % 239) as u8,
        ])
    });
    let path = dir.join("source.png");
    img.save(&path).unwrap();
    path.to_string_lossy().into_owned()
}

/// (file, tiffsave options, how libvips opens level 1).
const PASSING: [(&str, &str, &str); 5] = [
    ("ycbcr.tif", "", "page=1"),
    ("rgb.tif", "--rgbjpeg", "page=1"),
    ("bigtiff.tif", "--bigtiff", "page=1"),
    ("subifd.tif", "--subifd", "subifd=0"),
    ("grey.tif", "", "page=1"),
];

fn make(dir: &Path) {
    let src = source(dir);
    let grey = dir.join("grey.v").to_string_lossy().into_owned();
    vips(&["colourspace", &src, &grey, "b-w"]);
    let tiffsave = |input: &str, file: &str, options: Vec<String>| {
        let out = dir.join(file).to_string_lossy().into_owned();
        let mut args = vec!["tiffsave".to_owned(), input.to_owned(), out];
        args.extend(options);
        vips(&args.iter().map(String::as_str).collect::<Vec<_>>());
    };
    for (file, extra, _) in PASSING {
        let input = if file == "grey.tif" { &grey } else { &src };
        let mut options = common::pyramid_options(256, "jpeg");
        options.extend(["--Q".into(), "90".into()]);
        options.extend((!extra.is_empty()).then(|| extra.to_owned()));
        tiffsave(input, file, options);
    }
    tiffsave(&src, "deflate.tif", common::pyramid_options(256, "deflate"));
}

async fn stored_tiles_served(app: &App) -> u64 {
    counter(app, "tessera_stored_tiles_total").await
}

/// Decodes a JPEG (or any file libvips reads, with `[options]`) to RGB pixels through
/// the libvips CLI, optionally cropping a region first.
fn pixels(dir: &Path, input: &str, crop: Option<(u32, u32, u32, u32)>) -> image::RgbImage {
    let out = dir.join("decoded.png").to_string_lossy().into_owned();
    match crop {
        Some((x, y, w, h)) => {
            let (x, y, w, h) = (x.to_string(), y.to_string(), w.to_string(), h.to_string());
            vips(&["crop", input, &out, &x, &y, &w, &h]);
        }
        None => vips(&["copy", input, &out]),
    }
    image::open(&out).unwrap().to_rgb8()
}

#[tokio::test]
async fn aligned_jpeg_tiles_are_the_stored_bytes() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path());
    let app = app(dir.path());
    let mut served = stored_tiles_served(&app).await;
    for (file, _, level1) in PASSING {
        // (region, size, level options, the tile's place in its level)
        let cases = [
            ("256,256,256,256", "256,256", "page=0", (256, 256)),
            ("512,0,512,512", "256,", level1, (256, 0)),
        ];
        for (region, size, level, (x, y)) in cases {
            let path = format!("/iiif/3/{file}/{region}/{size}/0/default.jpg");
            let resp = get(&app, &path, &[]).await;
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(common::header(&resp, "content-type"), "image/jpeg");
            assert!(common::header(&resp, "link").contains("rel=\"canonical\""));
            let now = stored_tiles_served(&app).await;
            assert_eq!(now, served + 1, "{path} was passed through");
            served = now;
            let answer = dir.path().join("answer.jpg");
            std::fs::write(&answer, resp.body()).unwrap();
            let got = pixels(dir.path(), answer.to_str().unwrap(), None);
            let stored = format!("{}[{level}]", dir.path().join(file).display());
            let want = pixels(dir.path(), &stored, Some((x, y, 256, 256)));
            assert_eq!((got.width(), got.height()), (256, 256), "{path}");
            assert!(
                got == want,
                "{path}: the decoded answer differs from the stored tile"
            );
            // The image crate reads it too (another decoder: a well-formed file).
            let other = image::load_from_memory(resp.body()).unwrap();
            assert_eq!((other.width(), other.height()), (256, 256));
        }
    }
}

#[tokio::test]
async fn everything_else_is_rendered() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path());
    let app = app(dir.path());
    let before = stored_tiles_served(&app).await;
    for (path, size) in [
        // The right edge: stored padded to 256, answered 76 wide.
        (
            "/iiif/3/ycbcr.tif/1024,0,76,256/76,256/0/default.jpg",
            (76, 256),
        ),
        (
            "/iiif/3/ycbcr.tif/256,256,256,256/256,256/0/default.png",
            (256, 256),
        ),
        (
            "/iiif/3/ycbcr.tif/256,256,256,256/256,256/90/default.jpg",
            (256, 256),
        ),
        (
            "/iiif/3/ycbcr.tif/256,256,256,256/256,256/!0/default.jpg",
            (256, 256),
        ),
        (
            "/iiif/3/ycbcr.tif/256,256,256,256/256,256/0/gray.jpg",
            (256, 256),
        ),
        (
            "/iiif/3/ycbcr.tif/256,256,256,256/128,128/0/default.jpg",
            (128, 128),
        ),
        (
            "/iiif/3/ycbcr.tif/250,256,256,256/256,256/0/default.jpg",
            (256, 256),
        ),
        (
            "/iiif/3/deflate.tif/256,256,256,256/256,256/0/default.jpg",
            (256, 256),
        ),
    ] {
        let resp = get(&app, path, &[]).await;
        assert_eq!(resp.status(), 200, "{path}");
        let img = image::load_from_memory(resp.body()).unwrap();
        assert_eq!((img.width(), img.height()), size, "{path}");
    }
    // gray of a grey source is the stored tile.
    let grey = get(&app, "/iiif/3/grey.tif/0,0,256,256/256,256/0/gray.jpg", &[]).await;
    assert_eq!(grey.status(), 200);
    assert_eq!(stored_tiles_served(&app).await, before + 1);
}

#[test]
fn tiles_in_s3_are_passed_through_in_a_few_reads() {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path());
    let stage = common::s3::Stage::start("tessera-stored-tiles");
    let runtime = &stage.runtime;
    for (file, _, _) in PASSING {
        stage.put(file, std::fs::read(dir.path().join(file)).unwrap());
    }
    let reader = stage.reader(64 * 1024, 64 << 20);
    let bucket = stage.bucket.clone();
    let app = runtime.block_on(async { common::app_s3(reader, |c| c.bucket = bucket) });
    for (file, _, _) in PASSING {
        let before = runtime.block_on(stored_tiles_served(&app));
        let path = format!("/iiif/3/{file}/256,256,256,256/256,256/0/default.jpg");
        let resp = runtime.block_on(get(&app, &path, &[]));
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            runtime.block_on(stored_tiles_served(&app)),
            before + 1,
            "{path}"
        );
        let answer = dir.path().join("answer.jpg");
        std::fs::write(&answer, resp.body()).unwrap();
        let got = pixels(dir.path(), answer.to_str().unwrap(), None);
        let stored = format!("{}[page=0]", dir.path().join(file).display());
        assert!(
            got == pixels(dir.path(), &stored, Some((256, 256, 256, 256))),
            "{path}"
        );
    }
}
