//! EXIF and TIFF orientation through the service: for each orientation 1-8, a JPEG whose
//! stored pixels are the displayed image turned the other way, tagged with that
//! orientation, is served upright: info.json has the displayed size, the full image and a
//! region show the displayed quadrants where a viewer shows them, and so does a tiled TIFF
//! pyramid carrying the Orientation tag (file and S3); its stored tiles are never passed
//! through as they are.

mod common;

use common::{app, decode, get, near, quadrants, rgb_at, vips, BLUE, GREEN, RED, YELLOW};
use image::ImageFormat;
use serde_json::Value;
use std::path::Path;

/// The displayed image: 300x200, red top-left, green top-right, blue bottom-left, yellow
/// bottom-right.
const SHOWN: (u32, u32) = (300, 200);

/// Writes `turned-{o}.jpg` for every orientation (see `common::turned_jpeg`).
fn make_jpegs(dir: &Path) {
    let shown = quadrants(SHOWN.0, SHOWN.1);
    for o in 1..=8u8 {
        common::turned_jpeg(&dir.join(format!("turned-{o}.jpg")), &shown, o);
    }
}

/// The four quadrant centres of a displayed `w` x `h` answer hold the four colours.
fn assert_upright(img: &image::DynamicImage, what: &str) {
    let (w, h) = (img.width(), img.height());
    let centres = [
        (w / 4, h / 4),
        (w * 3 / 4, h / 4),
        (w / 4, h * 3 / 4),
        (w * 3 / 4, h * 3 / 4),
    ];
    for ((x, y), want) in centres.into_iter().zip([RED, GREEN, BLUE, YELLOW]) {
        let got = rgb_at(img, x, y);
        assert!(
            near(got, want, 20),
            "{what}: at {x},{y} {got:?}, want {want:?}"
        );
    }
}

/// info.json gives the displayed size and the full image shows the quadrants upright;
/// returns info.json.
async fn displayed_upright(app: &tessera::service::App, id: &str) -> Value {
    let info = get(app, &format!("/iiif/3/{id}/info.json"), &[]).await;
    let info: Value = serde_json::from_slice(info.body()).unwrap();
    let size = (info["width"].as_u64(), info["height"].as_u64());
    assert_eq!(size, (Some(300), Some(200)), "{id}");
    let full = get(app, &format!("/iiif/3/{id}/full/max/0/default.png"), &[]).await;
    let full = decode(&full, ImageFormat::Png);
    assert_eq!((full.width(), full.height()), SHOWN, "{id}");
    assert_upright(&full, id);
    info
}

#[tokio::test]
async fn every_exif_orientation_is_served_upright() {
    let dir = tempfile::tempdir().unwrap();
    make_jpegs(dir.path());
    let app = app(dir.path());
    for o in 1..=8 {
        let id = format!("turned-{o}.jpg");
        displayed_upright(&app, &id).await;
        // A region in displayed coordinates: the top-right quadrant is green, wherever
        // it is stored; scaled, it keeps the displayed aspect.
        let region = get(
            &app,
            &format!("/iiif/3/{id}/150,0,150,100/75,/0/default.png"),
            &[],
        )
        .await;
        let region = decode(&region, ImageFormat::Png);
        assert_eq!((region.width(), region.height()), (75, 50), "{id}");
        assert!(near(rgb_at(&region, 37, 25), GREEN, 20), "{id}: region");
        // IIIF's own rotation applies to the displayed image.
        let turned = get(&app, &format!("/iiif/3/{id}/full/max/90/default.png"), &[]).await;
        let turned = decode(&turned, ImageFormat::Png);
        assert_eq!((turned.width(), turned.height()), (200, 300), "{id}");
        assert!(
            near(rgb_at(&turned, 150, 75), RED, 20),
            "{id}: 90 puts red top-right"
        );
        // No answer claims an orientation (libvips' savers write one back even with
        // `strip` unless the fields are gone): read by the `image` crate, not by us.
        for format in ["jpg", "tif", "webp", "png"] {
            let path = format!("/iiif/3/{id}/full/max/0/default.{format}");
            let resp = get(&app, &path, &[]).await;
            let reader = image::ImageReader::new(std::io::Cursor::new(resp.body().to_vec()));
            let mut decoder = reader
                .with_guessed_format()
                .unwrap()
                .into_decoder()
                .unwrap();
            let claimed = image::ImageDecoder::orientation(&mut decoder).unwrap();
            assert_eq!(
                claimed,
                image::metadata::Orientation::NoTransforms,
                "{path}"
            );
        }
    }
}

/// A tiled pyramid TIFF made by libvips from the oriented JPEG carries tag 274 itself.
fn make_tiff(dir: &Path, o: u8) -> String {
    let name = format!("turned-{o}.tif");
    let src = dir
        .join(format!("turned-{o}.jpg"))
        .to_string_lossy()
        .into_owned();
    let out = dir.join(&name).to_string_lossy().into_owned();
    let mut args = vec!["tiffsave".to_owned(), src, out];
    args.extend(common::pyramid_options(64, "jpeg"));
    vips(&args.iter().map(String::as_str).collect::<Vec<_>>());
    name
}

#[tokio::test]
async fn tiff_orientation_tags_are_served_upright_and_never_passed_through() {
    let dir = tempfile::tempdir().unwrap();
    make_jpegs(dir.path());
    let app = app(dir.path());
    for o in [3u8, 6, 7] {
        let id = make_tiff(dir.path(), o);
        let info = displayed_upright(&app, &id).await;
        assert_eq!(info["tiles"][0]["width"], 64);
        // A tile-aligned JPEG request is rendered upright, not the stored (turned) tile.
        let tile = decode(
            &get(
                &app,
                &format!("/iiif/3/{id}/0,0,64,64/64,64/0/default.jpg"),
                &[],
            )
            .await,
            ImageFormat::Jpeg,
        );
        assert!(
            near(rgb_at(&tile, 32, 32), RED, 20),
            "{id}: top-left tile is red"
        );
    }
    let passed_through = common::counter(&app, "tessera_stored_tiles_total").await;
    assert_eq!(passed_through, 0, "no stored tile was sent as it is");
}

#[test]
fn turned_images_in_s3_are_served_upright() {
    let dir = tempfile::tempdir().unwrap();
    make_jpegs(dir.path());
    let tiff = make_tiff(dir.path(), 6);
    let stage = common::s3::Stage::start("tessera-orientation");
    for name in ["turned-6.jpg", tiff.as_str()] {
        stage.put(name, std::fs::read(dir.path().join(name)).unwrap());
    }
    let reader = stage.reader(64 * 1024, 64 << 20);
    let bucket = stage.bucket.clone();
    let runtime = &stage.runtime;
    let app = runtime.block_on(async { common::app_s3(reader, |c| c.bucket = bucket) });
    for name in ["turned-6.jpg", tiff.as_str()] {
        let info = runtime.block_on(get(&app, &format!("/iiif/3/{name}/info.json"), &[]));
        let info: Value = serde_json::from_slice(info.body()).unwrap();
        assert_eq!(
            (info["width"].as_u64(), info["height"].as_u64()),
            (Some(300), Some(200)),
            "{name}"
        );
        let full = runtime.block_on(get(
            &app,
            &format!("/iiif/3/{name}/full/max/0/default.png"),
            &[],
        ));
        assert_upright(&decode(&full, ImageFormat::Png), name);
    }
}
