//! What a render costs, known before its pixels are computed: the pixels it decodes
//! (checked before anything is downloaded, from the facts alone) and the memory it works
//! in (estimated once the image is opened, from the header libvips read).
//!
//! These numbers are what the image core holds renders to: a request whose decode or
//! working memory does not fit is refused before a pixel is decoded, and every render
//! reserves its working memory from the budget's render share while it runs. They are
//! upper bounds by design: over-counting costs concurrency, under-counting costs the
//! process.

use super::job::{Loader, RenderJob};
use super::steps::crop::map_region;
use super::steps::jp2_region;
use super::steps::load::{Access, OpenedImage};
use crate::facts::Orientation;
use crate::iiif::{Dimensions, Plan, Rect};

/// Bytes per output pixel while the answer is made: the pixels computed into memory
/// (at most four 8-bit bands after normalisation and rotation's alpha) and the encoded
/// image twice (libvips' buffer and the copy the answer owns), each at worst as large as
/// the raw pixels (PNG of noise).
const OUTPUT_PIXEL_BYTES: u64 = 12;

/// Bytes per pixel of an image settled into memory mid-pipeline (8-bit, up to 4 bands).
const SETTLED_PIXEL_BYTES: u64 = 4;

/// Rows of input a streamed or lazily read image holds at once: libvips' line and tile
/// caches and the shrink's buffers, across its worker threads.
const WINDOW_ROWS: u64 = 1024;

/// Margin in pixels around a tiled region: the tiles it touches extend past its edges.
const TILE_MARGIN: u64 = 1024;

/// What a lazily read tiled level holds while kept open: libtiff's directory and tile
/// offset arrays (16 bytes a tile: 38 KB for a 30000x20000 level of 512 px tiles) and
/// libvips' per-image state, never its pixels. An estimate, not yet measured: the soak's
/// peak RSS is the check.
const LAZY_ENTRY_BYTES: u64 = 1 << 20;

/// Rows of decoded tiles libvips' JPEG 2000 loader keeps per opened image (its tile
/// cache holds three rows of tiles), counted at the largest tile height writers use.
const JP2_CACHED_ROWS: u64 = 3 * 1024;

/// Bytes an opened image is counted at in the opened-image cache.
pub(crate) fn kept_bytes(loader: Loader, opened: &OpenedImage, access: Access) -> u64 {
    let image = &opened.image;
    match (access, loader) {
        // An untiled codestream is one tile: libvips would decode and cache all of it if
        // the direct decoder declined the file.
        (Access::Lazy, Loader::Jp2 { tiled: false }) => image.memory_bytes(),
        (Access::Lazy, Loader::Jp2 { tiled: true }) => {
            let row = image.memory_bytes() / u64::from(image.height()).max(1);
            LAZY_ENTRY_BYTES + row * JP2_CACHED_ROWS.min(u64::from(image.height()))
        }
        (Access::Lazy, _) => LAZY_ENTRY_BYTES,
        (Access::Decoded | Access::Streamed, _) => image.memory_bytes(),
    }
}

/// The pixels a render decodes. A tiled level decodes only the tiles under the region;
/// every other stored image counts whole, at its stored size rather than its
/// reduce-on-load size, as sharp's `limitInputPixels` does: a progressive JPEG or an
/// interlaced PNG is held whole by its decoder whatever is asked of it.
pub fn decode_pixels(ranged: bool, level: Dimensions, full: Dimensions, region: Rect) -> u64 {
    if ranged {
        let region = map_region(region, full, level);
        u64::from(region.width) * u64::from(region.height)
    } else {
        u64::from(level.width) * u64::from(level.height)
    }
}

/// The memory a render of `job` works in, from the opened image's real size and bands.
/// `fresh` is true when this render opened the image (a kept, decoded image that another
/// render already paid for costs nothing more to read).
pub(crate) fn working_bytes(
    job: &RenderJob,
    opened: &OpenedImage,
    access: Access,
    fresh: bool,
) -> u64 {
    let image = &opened.image;
    let size = Dimensions::new(image.width(), image.height());
    let pixel = image.memory_bytes() / area(size).max(1);
    let region = map_region(job.plan.region, job.full, size);
    let input = match access {
        Access::Lazy => {
            let cols = u64::from(region.width) + TILE_MARGIN;
            let rows = (u64::from(region.height) + TILE_MARGIN).min(WINDOW_ROWS);
            cols * rows * pixel
        }
        Access::Decoded if !fresh => 0,
        Access::Decoded => image.memory_bytes() + decoder_bytes(job.loader, opened, pixel),
        Access::Streamed => decoder_bytes(job.loader, opened, pixel),
    };
    // A JPEG 2000 window decoded directly holds the window alone; the larger of the two
    // counts, because the direct decoder may decline the file's layout only once it has
    // read the header, and libvips then reads it as chosen.
    let input = match jp2_region::direct_area(job, opened) {
        Some(window) => {
            let bands = u64::from(image.bands());
            input.max(area_of(window) * bands * jp2_region::BYTES_PER_SAMPLE)
        }
        None => input,
    };
    let settled = match access {
        Access::Streamed => {
            settled_pixels(region, &job.plan, job.orientation) * SETTLED_PIXEL_BYTES
        }
        _ => 0,
    };
    input + settled + area(job.plan.rotated_size()) * OUTPUT_PIXEL_BYTES
}

/// What the decoder itself holds while it streams: a window of rows, or the whole image
/// where the format gives it no choice.
fn decoder_bytes(loader: Loader, opened: &OpenedImage, pixel: u64) -> u64 {
    let image = &opened.image;
    let (width, height) = (u64::from(image.width()), u64::from(image.height()));
    let bands = u64::from(image.bands());
    let interlaced = image.int_field(c"interlaced").unwrap_or(0) != 0;
    match loader {
        // OpenJPEG decodes a whole tile (for most files, the image) into 32-bit planes.
        Loader::Jp2 { .. } => width * height * bands * 4,
        // A GIF frame is composed onto a full RGBA canvas.
        Loader::Gif => width * height * 4,
        // A progressive JPEG keeps every DCT coefficient (2 bytes per sample) at full
        // size, whatever the shrink.
        Loader::Jpeg if interlaced => {
            let factor = u64::from(opened.reduce);
            width * factor * height * factor * bands * 2
        }
        // An interlaced PNG is decoded whole before its first row is known.
        Loader::Png if interlaced => width * height * pixel,
        _ => width * height.min(WINDOW_ROWS) * pixel,
    }
}

/// Pixels a streamed render settles into memory: before an upscaling resize, the cropped
/// region (upscaling reads rows out of order); after the resize, the output, when rotation
/// or turning the stored orientation upright follows (they read across rows; a plain
/// horizontal flip, orientation 2, does not: see `steps/settle.rs`).
fn settled_pixels(region: Rect, plan: &Plan, orientation: Orientation) -> u64 {
    let before = if upscales(Dimensions::new(region.width, region.height), plan) {
        u64::from(region.width) * u64::from(region.height)
    } else {
        0
    };
    let after = if plan.degrees != 0.0 || orientation.value() > 2 {
        u64::from(plan.width) * u64::from(plan.height)
    } else {
        0
    };
    before + after
}

/// True when the plan's size is larger than `have` on either axis.
pub(crate) fn upscales(have: Dimensions, plan: &Plan) -> bool {
    plan.width > have.width || plan.height > have.height
}

fn area_of(rect: Rect) -> u64 {
    u64::from(rect.width) * u64::from(rect.height)
}

fn area(size: Dimensions) -> u64 {
    u64::from(size.width) * u64::from(size.height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_objects_count_their_stored_size_and_tiles_their_region() {
        let full = Dimensions::new(65_000, 65_000);
        let corner = Rect::new(0, 0, 1, 1);
        // A 1x1 region of an untiled image still decodes the image.
        assert_eq!(decode_pixels(false, full, full, corner), 4_225_000_000);
        // A tiled level decodes the region, measured in that level.
        let half = Dimensions::new(32_500, 32_500);
        let tile = Rect::new(0, 0, 1024, 1024);
        assert_eq!(decode_pixels(true, half, full, tile), 512 * 512);
        assert_eq!(decode_pixels(true, full, full, tile), 1024 * 1024);
    }

    #[test]
    fn settling_counts_upscaled_regions_and_rotated_outputs() {
        let plan = |width, height, degrees| Plan {
            region: Rect::new(0, 0, 100, 100),
            level: 0,
            width,
            height,
            mirror: false,
            degrees,
            quality: crate::iiif::Quality::Default,
            format: crate::iiif::Format::Png,
        };
        let region = Rect::new(0, 0, 100, 100);
        let upright = Orientation::UPRIGHT;
        assert_eq!(settled_pixels(region, &plan(50, 50, 0.0), upright), 0);
        assert_eq!(settled_pixels(region, &plan(50, 50, 45.0), upright), 2_500);
        assert_eq!(settled_pixels(region, &plan(200, 50, 0.0), upright), 10_000);
        assert_eq!(
            settled_pixels(region, &plan(200, 50, 90.0), upright),
            20_000
        );
        // Turning a stored orientation upright settles the output like a rotation; a
        // horizontal flip does not.
        let turned = Orientation::from_tag(6);
        assert_eq!(settled_pixels(region, &plan(50, 50, 0.0), turned), 2_500);
        let flipped = Orientation::from_tag(2);
        assert_eq!(settled_pixels(region, &plan(50, 50, 0.0), flipped), 0);
    }
}
