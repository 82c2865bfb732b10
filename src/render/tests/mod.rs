//! Pixel tests against real libvips: known patterns are encoded, rendered through the
//! public path (source -> custom source -> pipeline -> encoder) and decoded again with the
//! `image` crate, and colours are read back at known points.
//!
//! Two patterns: four quadrants (red, green, blue, white) for geometry, where every
//! transform moves whole quadrants; and a 10x10 grid of 100 px squares of distinct colours
//! for pyramids and reduce-on-load, where a wrong scale or offset lands on a wrong square.

mod budget;
mod failures;
mod formats;
mod geometry;
mod jpeg2000;
mod levels;

use super::{Loader, OpenedImageCache, RenderJob, Rendered, Renderer};
use crate::facts::LevelLoad;
use crate::iiif::{Dimensions, Format, Plan, Quality, Rect};
use crate::source::{MemorySource, Source};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba};
use std::io::Cursor;
use std::process::Command;
use std::sync::Arc;

pub(super) const RED: [u8; 3] = [255, 0, 0];
pub(super) const GREEN: [u8; 3] = [0, 255, 0];
pub(super) const BLUE: [u8; 3] = [0, 0, 255];
pub(super) const WHITE: [u8; 3] = [255, 255, 255];

/// 400x300, quadrants split at x = 200 and y = 150.
pub(super) fn quadrants() -> RgbImage {
    RgbImage::from_fn(400, 300, |x, y| {
        Rgb(match (x < 200, y < 150) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// The colour of grid square (column, row).
pub(super) fn grid_colour(column: u32, row: u32) -> [u8; 3] {
    [(column * 25 + 10) as u8, (row * 25 + 10) as u8, 100]
}

/// 1000x1000: a 10x10 grid of 100 px squares.
pub(super) fn grid() -> RgbImage {
    RgbImage::from_fn(1000, 1000, |x, y| Rgb(grid_colour(x / 100, y / 100)))
}

pub(super) fn png_bytes(image: &DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

pub(super) fn jpeg_bytes(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(image)
        .expect("encode jpeg");
    out
}

/// Converts a PNG with the vips CLI (`vips <op> in.png out.<ext> <args>`).
pub(super) fn vips_convert(png: &[u8], op: &str, ext: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, output) = (
        dir.path().join("in.png"),
        dir.path().join(format!("out.{ext}")),
    );
    std::fs::write(&input, png).expect("write png");
    let status = Command::new("vips")
        .arg(op)
        .arg(&input)
        .arg(&output)
        .args(args)
        .status()
        .expect("run vips");
    assert!(status.success(), "vips {op} failed");
    std::fs::read(&output).expect("read output")
}

/// A tiled pyramid TIFF of `image`, levels as pages (or as SubIFDs with `--subifd`).
pub(super) fn tiff_pyramid(image: &RgbImage, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "--tile",
        "--pyramid",
        "--tile-width",
        "256",
        "--tile-height",
        "256",
    ];
    args.extend_from_slice(&["--compression", "jpeg", "--Q", "90"]);
    args.extend_from_slice(extra);
    vips_convert(
        &png_bytes(&DynamicImage::ImageRgb8(image.clone())),
        "tiffsave",
        "tif",
        &args,
    )
}

/// A plan for `region` scaled to `width` x `height`, PNG, no rotation.
pub(super) fn plan(region: Rect, width: u32, height: u32) -> Plan {
    Plan {
        region,
        level: 0,
        width,
        height,
        mirror: false,
        degrees: 0.0,
        quality: Quality::Default,
        format: Format::Png,
    }
}

pub(super) fn job(
    source: Arc<dyn Source>,
    loader: Loader,
    full: Dimensions,
    plan: Plan,
) -> RenderJob {
    RenderJob {
        orientation: Default::default(),
        source,
        loader,
        // The tests' TIFFs are tiled pyramids but for the strip ones, which libvips reads
        // just as well by random access.
        ranged: matches!(loader, Loader::Tiff(_)),
        level: full,
        full,
        plan,
    }
}

pub(super) fn memory(bytes: Vec<u8>, name: &str) -> Arc<dyn Source> {
    Arc::new(MemorySource::new(bytes, name))
}

pub(super) fn renderer() -> Renderer {
    Renderer::new(OpenedImageCache::new(8)).expect("libvips starts")
}

/// The formats the `image` crate decodes here: all but AVIF, whose pixels are checked
/// through the service by `tests/colour` (decoded by libvips' CLI).
pub(super) fn decodable_formats() -> impl Iterator<Item = Format> {
    Format::ALL.into_iter().filter(|f| *f != Format::Avif)
}

/// Decodes a response, checking that it is the format and size it claims.
pub(super) fn decode(rendered: &Rendered, format: Format) -> DynamicImage {
    assert_eq!(rendered.mime, format.mime());
    let guessed = image::guess_format(&rendered.bytes).expect("known format");
    let expected = match format {
        Format::Jpg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Webp => ImageFormat::WebP,
        Format::Tif => ImageFormat::Tiff,
        Format::Gif => ImageFormat::Gif,
        Format::Avif => unreachable!("see decodable_formats"),
    };
    assert_eq!(guessed, expected);
    let image = image::load_from_memory(&rendered.bytes).expect("decodes");
    assert_eq!(
        (image.width(), image.height()),
        (rendered.width, rendered.height)
    );
    image
}

/// Renders a PNG of the quadrant pattern with `plan` and decodes it as RGBA.
pub(super) fn render_quadrants(plan: Plan) -> DynamicImage {
    let format = plan.format;
    let bytes = png_bytes(&DynamicImage::ImageRgb8(quadrants()));
    let job = job(
        memory(bytes, "mem:quadrants.png"),
        Loader::Png,
        Dimensions::new(400, 300),
        plan,
    );
    decode(&renderer().render(&job).expect("renders"), format)
}

/// Asserts that the pixel at (x, y) is `want` within `tolerance` per channel.
pub(super) fn assert_colour(image: &DynamicImage, x: u32, y: u32, want: [u8; 3], tolerance: u8) {
    let Rgba([r, g, b, _]) = image.to_rgba8().get_pixel(x, y).to_owned();
    let close = [r, g, b]
        .iter()
        .zip(want)
        .all(|(have, want)| have.abs_diff(want) <= tolerance);
    assert!(
        close,
        "pixel ({x},{y}) is {:?}, wanted {want:?} +-{tolerance}",
        [r, g, b]
    );
}

/// Asserts the colours at the four corners, inset by `inset` pixels.
pub(super) fn assert_corners(image: &DynamicImage, inset: u32, want: [[u8; 3]; 4], tolerance: u8) {
    let (w, h) = (image.width() - 1 - inset, image.height() - 1 - inset);
    for ((x, y), colour) in [(inset, inset), (w, inset), (inset, h), (w, h)]
        .into_iter()
        .zip(want)
    {
        assert_colour(image, x, y, colour, tolerance);
    }
}
