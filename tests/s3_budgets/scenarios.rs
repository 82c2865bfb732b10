//! The scenarios of `tests/s3_budgets/main.rs`; each uses objects of its own.

use super::common::proxy::Fault;
use super::common::{decode, near, quadrants, rgb_at, BLUE, GREEN, RED, YELLOW};
use super::{assert_error, jpeg, solid, tiled_tiff, Fixture, DISK_BYTES};
use image::{ImageFormat, Rgb, RgbImage};

/// 400x400 of noise: a PNG of about 480 KB, over the 200 KB disk budget.
fn noise_png() -> Vec<u8> {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let image = RgbImage::from_fn(400, 400, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let [r, g, b, ..] = seed.to_le_bytes();
        Rgb([r, g, b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Every file in the disk cache is a finished object, and together they fit the budget.
fn only_counted_files(fx: &Fixture) {
    let files = fx.disk_files();
    let mut bytes = 0;
    for file in &files {
        assert_eq!(file.extension().unwrap(), "obj", "{files:?}");
        bytes += file.metadata().unwrap().len();
    }
    assert!(bytes <= DISK_BYTES, "{bytes} bytes on disk");
}

pub(crate) fn an_object_over_the_disk_budget_is_refused_and_others_still_work(fx: &Fixture) {
    let big = noise_png();
    assert!(big.len() as u64 > DISK_BYTES);
    fx.put("big.png", big);
    fx.put("photo.jpg", jpeg(quadrants(400, 300)));
    let resp = fx.get("/iiif/3/big.png/full/max/0/default.jpg");
    assert_error(&resp, 501);
    assert_eq!(fx.whole_gets("big.png"), 0, "refused before downloading");
    let photo = decode(
        &fx.get("/iiif/3/photo.jpg/full/max/0/default.jpg"),
        ImageFormat::Jpeg,
    );
    assert!(near(rgb_at(&photo, 10, 10), RED, 40));
    assert!(near(rgb_at(&photo, 390, 290), YELLOW, 40));
    only_counted_files(fx);
    assert_eq!(fx.disk_files().len(), 1);
}

pub(crate) fn a_truncated_download_leaves_no_partial_file(fx: &Fixture) {
    fx.put("cut.jpg", jpeg(quadrants(600, 400)));
    // The facts come from ranged reads; only the render downloads the object whole.
    assert_eq!(fx.get("/iiif/3/cut.jpg/info.json").status(), 200);
    fx.proxy()
        .inject("GET", "/cut.jpg", Fault::Truncate(2000), 1);
    let resp = fx.get("/iiif/3/cut.jpg/full/max/0/default.jpg");
    assert_error(&resp, 503);
    assert_eq!(fx.whole_gets("cut.jpg"), 1);
    only_counted_files(fx);
    let image = decode(
        &fx.get("/iiif/3/cut.jpg/full/max/0/default.jpg"),
        ImageFormat::Jpeg,
    );
    assert!(near(rgb_at(&image, 590, 10), GREEN, 40));
    only_counted_files(fx);
}

pub(crate) fn error_bursts_and_resets_answer_503_and_the_service_goes_on(fx: &Fixture) {
    for key in ["burst.jpg", "down.jpg", "reset.jpg"] {
        fx.put(key, jpeg(quadrants(200, 100)));
    }
    // Two 503s: the SDK's retries (three attempts) get through.
    fx.proxy()
        .inject("HEAD", "/burst.jpg", Fault::Status(503), 2);
    assert_eq!(fx.get("/iiif/3/burst.jpg/info.json").status(), 200);
    assert_eq!(fx.proxy().requests("HEAD", "/burst.jpg").len(), 3);

    // Three: a clear 503, and the next requests for a while are answered from memory.
    fx.proxy()
        .inject("HEAD", "/down.jpg", Fault::Status(503), 3);
    let resp = fx.get("/iiif/3/down.jpg/info.json");
    assert_error(&resp, 503);
    assert!(!super::common::header(&resp, "retry-after").is_empty());
    assert_error(&fx.get("/iiif/3/down.jpg/0,0,10,10/max/0/default.jpg"), 503);
    assert_eq!(fx.proxy().requests("HEAD", "/down.jpg").len(), 3);

    // Connections closed without an answer, on every attempt: 503 too.
    fx.proxy().inject("HEAD", "/reset.jpg", Fault::Reset, 3);
    assert_error(&fx.get("/iiif/3/reset.jpg/info.json"), 503);

    // And good requests are served as before.
    let image = decode(
        &fx.get("/iiif/3/burst.jpg/full/max/0/default.jpg"),
        ImageFormat::Jpeg,
    );
    assert!(near(rgb_at(&image, 10, 90), BLUE, 40));
}

/// One TIFF directory of 4096 entries whose out-of-line values cycle over 10 places 4 KiB
/// apart: about 90 KB that cost a GET per entry to a reader without a read budget.
fn hostile_tiff() -> Vec<u8> {
    let entries = 4096u32;
    let values_at = 8 + 2 + 12 * entries + 4;
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend((entries as u16).to_le_bytes());
    for i in 0..entries {
        // BitsPerSample, SHORT, 3 values: 6 bytes, too many to sit in the entry.
        tiff.extend([0x02, 0x01, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00]);
        tiff.extend((values_at + (i % 10) * 4096).to_le_bytes());
    }
    tiff.extend([0; 4]);
    tiff.resize(values_at as usize + 10 * 4096, 8);
    tiff
}

pub(crate) fn a_hostile_tiff_fails_fast_and_is_not_walked_twice(fx: &Fixture) {
    fx.put("hostile.tif", hostile_tiff());
    assert_error(&fx.get("/iiif/3/hostile.tif/info.json"), 501);
    let gets = fx.proxy().requests("GET", "/hostile.tif").len();
    assert!(gets <= 32, "{gets} GETs for one info.json");
    // Asked again at once: the failure is remembered, and S3 is not asked at all.
    assert_error(&fx.get("/iiif/3/hostile.tif/info.json"), 501);
    assert_eq!(fx.proxy().requests("GET", "/hostile.tif").len(), gets);
    assert_eq!(fx.proxy().requests("HEAD", "/hostile.tif").len(), 1);
}

pub(crate) fn a_replaced_whole_object_is_read_anew(fx: &Fixture) {
    fx.put("swap.jpg", jpeg(quadrants(400, 300)));
    assert_eq!(fx.get("/iiif/3/swap.jpg/info.json").status(), 200);
    // Overwritten while its HEAD (and facts) are still trusted: the download's If-Match
    // fails, and the request starts again from a fresh HEAD.
    fx.put("swap.jpg", jpeg(solid(300, 200, BLUE)));
    let resp = fx.get("/iiif/3/swap.jpg/full/max/0/default.jpg");
    let image = decode(&resp, ImageFormat::Jpeg);
    assert_eq!((image.width(), image.height()), (300, 200));
    assert!(near(rgb_at(&image, 10, 10), BLUE, 40));
    let info = fx.get("/iiif/3/swap.jpg/info.json");
    let info: serde_json::Value = serde_json::from_slice(info.body()).unwrap();
    assert_eq!(info["width"], 300, "the new version's facts");
}

pub(crate) fn a_replaced_tiled_object_is_read_anew(fx: &Fixture) {
    let dir = tempfile::tempdir().unwrap();
    fx.put(
        "swap.tif",
        tiled_tiff(dir.path(), "old", &quadrants(1024, 1024)),
    );
    let tile = |x, y| format!("/iiif/3/swap.tif/{x},{y},256,256/max/0/default.png");
    let old = decode(&fx.get(&tile(0, 0)), ImageFormat::Png);
    assert!(near(rgb_at(&old, 10, 10), RED, 2));
    fx.put(
        "swap.tif",
        tiled_tiff(dir.path(), "new", &solid(1024, 1024, GREEN)),
    );
    // A tile whose blocks were never read: its GETs meet the new version.
    let new = decode(&fx.get(&tile(768, 768)), ImageFormat::Png);
    assert!(
        near(rgb_at(&new, 10, 10), GREEN, 2),
        "{:?}",
        rgb_at(&new, 10, 10)
    );
    let again = decode(&fx.get(&tile(0, 0)), ImageFormat::Png);
    assert!(near(rgb_at(&again, 10, 10), GREEN, 2));
}
