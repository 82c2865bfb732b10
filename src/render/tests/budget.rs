//! What renders keep and hold: whole-image requests stream and keep nothing decoded,
//! region requests keep their decoded image counted at its real bytes, the byte bound
//! evicts, and a cancelled render stops instead of running to its end.

use super::*;
use crate::render::{Cancel, RenderErrorKind};

fn quadrant_png() -> Vec<u8> {
    png_bytes(&DynamicImage::ImageRgb8(quadrants()))
}

fn quadrant_job(name: &str, region: Rect, width: u32, height: u32) -> RenderJob {
    job(
        memory(quadrant_png(), name),
        Loader::Png,
        Dimensions::new(400, 300),
        plan(region, width, height),
    )
}

#[test]
fn a_whole_image_request_streams_and_keeps_nothing_decoded() {
    let renderer = renderer();
    let whole = Rect::new(0, 0, 400, 300);
    for (width, height, degrees) in [(200, 150, 0.0), (800, 600, 0.0), (200, 150, 90.0)] {
        // Streamed images are read once, top to bottom: upscaling and rotation, which read
        // out of order, get their input settled first and still come out right.
        let mut plan = plan(whole, width, height);
        plan.degrees = degrees;
        let job = job(
            memory(quadrant_png(), "mem:whole"),
            Loader::Png,
            Dimensions::new(400, 300),
            plan,
        );
        let image = decode(&renderer.render(&job).expect("renders"), Format::Png);
        let want = if degrees == 0.0 {
            [RED, GREEN, BLUE, WHITE]
        } else {
            [BLUE, RED, WHITE, GREEN]
        };
        assert_corners(&image, 4, want, 8);
    }
    let stats = renderer.cache().stats();
    assert_eq!((stats.entries, stats.resident_bytes), (0, 0));
}

#[test]
fn a_region_request_keeps_the_image_at_its_decoded_bytes() {
    let renderer = renderer();
    let region = Rect::new(200, 0, 200, 150);
    let job = quadrant_job("mem:kept", region, 100, 75);
    // The first region of an image is read down to its last row and nothing is kept (a
    // one-off crop pays one decode of the region, not of the image); the second decodes
    // the image whole and keeps it for every later one.
    let first = renderer.open(&job).expect("opens");
    let image = decode(
        &renderer
            .execute(&job, &first, &Cancel::new())
            .expect("renders"),
        Format::Png,
    );
    assert_colour(&image, 50, 37, GREEN, 4);
    assert_eq!(renderer.cache().stats().entries, 0);
    renderer.render(&job).expect("renders again");
    renderer.render(&job).expect("and again");
    let stats = renderer.cache().stats();
    // 400x300, three 8-bit bands.
    assert_eq!((stats.entries, stats.resident_bytes), (1, 360_000));
    assert_eq!(stats.hits, 1);
    let tile = job.clone();
    let opened = renderer.open(&tile).expect("opens");
    // Reading a kept image costs only the answer's memory, not the decode again.
    assert!(
        opened.working_bytes() < 360_000,
        "{}",
        opened.working_bytes()
    );
}

#[test]
fn the_byte_bound_evicts_and_large_images_are_not_kept() {
    // Entries of 360 kB under a 2 MB bound (500 kB largest entry): five fit.
    let renderer = Renderer::new(OpenedImageCache::with_bytes(64, 2_000_000)).expect("libvips");
    for n in 0..8 {
        let job = quadrant_job(&format!("mem:{n}"), Rect::new(0, 0, 200, 150), 100, 75);
        // Kept from the second region asked of it.
        renderer.render(&job).expect("renders");
        renderer.render(&job).expect("renders");
    }
    let stats = renderer.cache().stats();
    assert_eq!((stats.entries, stats.resident_bytes), (5, 1_800_000));
    // The 1000x1000 grid would decode to 3 MB: streamed, never kept.
    let grid = job(
        memory(png_bytes(&DynamicImage::ImageRgb8(grid())), "mem:grid"),
        Loader::Png,
        Dimensions::new(1000, 1000),
        plan(Rect::new(0, 0, 100, 100), 100, 100),
    );
    let image = decode(&renderer.render(&grid).expect("renders"), Format::Png);
    assert_colour(&image, 50, 50, grid_colour(0, 0), 4);
    assert_eq!(renderer.cache().stats().entries, 5);
    renderer.cache().forget("mem:3");
    assert_eq!(renderer.cache().stats().resident_bytes, 1_440_000);
}

#[test]
fn a_cancelled_render_stops() {
    let renderer = Arc::new(renderer());
    // The grid upscaled to 6000x6000 and encoded as PNG: seconds of work.
    let job = job(
        memory(png_bytes(&DynamicImage::ImageRgb8(grid())), "mem:big"),
        Loader::Png,
        Dimensions::new(1000, 1000),
        plan(Rect::new(0, 0, 1000, 1000), 6000, 6000),
    );
    let cancel = Cancel::new();
    let opened = renderer.open(&job).expect("opens");
    let running = {
        let (renderer, cancel) = (Arc::clone(&renderer), cancel.clone());
        std::thread::spawn(move || renderer.execute(&job, &opened, &cancel))
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    cancel.cancel();
    let err = running.join().expect("no panic").unwrap_err();
    assert_eq!(err.kind(), RenderErrorKind::Cancelled, "{err}");
}
