//! JPEG 2000 regions decoded by OpenJPEG directly (`steps/jp2_region.rs`) give exactly the
//! pixels libvips' own loader gives, for every layout the direct path takes; what it
//! declines still renders through libvips; a failing source keeps its kind.

use super::*;
use crate::render::openjpeg::decode_region;
use crate::render::steps::jp2_region;
use crate::render::steps::load::{self, Access};
use crate::render::vips::VipsImage;
use crate::render::RenderErrorKind;
use crate::source::{SourceError, SourceErrorKind};
use image::{GrayImage, Luma, Rgb as Rgb16Pixel, Rgba};

const JP2: Loader = Loader::Jp2 { tiled: true };

fn grid_png() -> Vec<u8> {
    png_bytes(&DynamicImage::ImageRgb8(grid()))
}

/// `image` as PNG, decoded again: its pixels, band count and depth.
fn pixels_of(image: &VipsImage) -> DynamicImage {
    let png = image.write_to_buffer(".png").expect("encodes");
    image::load_from_memory(&png).expect("decodes")
}

/// The region `region` of `bytes` scaled towards `out`, decoded directly and through
/// libvips at the same reduction: both as images of the same area.
fn both_ways(bytes: &[u8], region: Rect, out: u32) -> (VipsImage, VipsImage) {
    let job = job(
        memory(bytes.to_vec(), "mem:direct.jp2"),
        JP2,
        Dimensions::new(1000, 1000),
        plan(region, out, out * region.height / region.width),
    );
    let opened = load::open(&job, Access::Lazy).expect("libvips opens it");
    let area = jp2_region::direct_area(&job, &opened).expect("small enough to decode at once");
    let direct = jp2_region::decode(&job, &opened, area)
        .expect("decodes")
        .expect("the direct path takes this layout");
    let libvips = opened
        .image
        .extract_area(area.x, area.y, area.width, area.height)
        .expect("crops");
    (direct, libvips)
}

fn assert_same(bytes: &[u8], what: &str) {
    let regions = [
        (Rect::new(300, 200, 400, 400), 400), // full resolution, across tiles
        (Rect::new(100, 500, 600, 400), 150), // reduced twice
        (Rect::new(0, 0, 1000, 1000), 125),   // the whole, reduced three times
        (Rect::new(997, 0, 3, 1000), 3),      // a sliver on the right edge
    ];
    for (region, out) in regions {
        let (direct, libvips) = both_ways(bytes, region, out);
        assert_eq!(
            (
                direct.bands(),
                direct.band_format(),
                direct.interpretation()
            ),
            (
                libvips.bands(),
                libvips.band_format(),
                libvips.interpretation()
            ),
            "{what} {region:?}"
        );
        let (a, b) = (pixels_of(&direct), pixels_of(&libvips));
        assert_eq!((a.width(), a.height()), (b.width(), b.height()), "{what}");
        assert!(
            a.as_bytes() == b.as_bytes(),
            "{what} {region:?}: pixels differ"
        );
    }
}

#[test]
fn direct_decodes_equal_libvips_decodes_exactly() {
    let png = grid_png();
    let tiled = ["--tile-width", "256", "--tile-height", "256"];
    let lossless: Vec<&str> = ["--lossless"].iter().chain(&tiled).copied().collect();
    assert_same(
        &vips_convert(&png, "jp2ksave", "jp2", &lossless),
        "lossless, tiled",
    );
    let lossy = ["--Q", "30", "--tile-width", "256", "--tile-height", "256"];
    assert_same(
        &vips_convert(&png, "jp2ksave", "jp2", &lossy),
        "lossy, tiled",
    );
    // One tile larger than the image: an untiled codestream.
    let one = ["--Q", "30", "--tile-width", "1024", "--tile-height", "1024"];
    assert_same(&vips_convert(&png, "jp2ksave", "jp2", &one), "untiled");

    let grey = GrayImage::from_fn(1000, 1000, |x, y| Luma([((x / 100) * 20 + y / 100) as u8]));
    let grey = png_bytes(&DynamicImage::ImageLuma8(grey));
    assert_same(&vips_convert(&grey, "jp2ksave", "jp2", &tiled), "grey");

    let deep = image::ImageBuffer::from_fn(1000, 1000, |x, y| {
        Rgb16Pixel([(x * 65) as u16, (y * 65) as u16, 40_000u16])
    });
    let deep = png_bytes(&DynamicImage::ImageRgb16(deep));
    assert_same(&vips_convert(&deep, "jp2ksave", "jp2", &lossless), "16-bit");

    let alpha = image::RgbaImage::from_fn(1000, 1000, |x, y| {
        let [r, g, b] = grid_colour(x / 100, y / 100);
        Rgba([r, g, b, if x < 500 { 255 } else { 100 }])
    });
    let alpha = png_bytes(&DynamicImage::ImageRgba8(alpha));
    assert_same(&vips_convert(&alpha, "jp2ksave", "jp2", &lossless), "RGBA");
}

/// Chroma-subsampled YCbCr is left to libvips, which still renders it right.
#[test]
fn layouts_the_direct_path_declines_still_render() {
    let args = ["--subsample-mode", "on", "--Q", "60"];
    let bytes = vips_convert(&grid_png(), "jp2ksave", "jp2", &args);
    let declined = decode_region(
        memory(bytes.clone(), "mem:ycc.jp2"),
        0,
        Rect::new(0, 0, 100, 100),
    );
    assert!(matches!(declined, Ok(None)), "subsampled: declined");
    let region = Rect::new(200, 300, 400, 400);
    let source = memory(bytes, "mem:ycc.jp2");
    let job = job(
        source,
        JP2,
        Dimensions::new(1000, 1000),
        plan(region, 200, 200),
    );
    let image = decode(&renderer().render(&job).expect("renders"), Format::Png);
    for (column, row) in [(2, 3), (5, 6), (3, 5)] {
        let (x, y) = ((column * 100 + 50 - 200) / 2, (row * 100 + 50 - 300) / 2);
        assert_colour(&image, x, y, grid_colour(column, row), 12);
    }
}

/// Serves the first `good` bytes, then fails as S3 does when it throttles.
struct FailingAfter {
    inner: MemorySource,
    good: u64,
}

impl Source for FailingAfter {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<bytes::Bytes, SourceError> {
        if offset + len as u64 > self.good {
            return Err(SourceError::new(SourceErrorKind::Unavailable, "slow down"));
        }
        self.inner.read_at(offset, len)
    }
    fn identity(&self) -> &str {
        "mem:failing.jp2"
    }
}

#[test]
fn a_source_failure_mid_decode_keeps_its_kind() {
    let bytes = vips_convert(&grid_png(), "jp2ksave", "jp2", &["--lossless"]);
    let failing = Arc::new(FailingAfter {
        inner: MemorySource::new(bytes, "mem:failing.jp2"),
        good: 2048,
    });
    let region = Rect::new(500, 500, 200, 200);
    let err = decode_region(failing, 0, region).err().expect("fails");
    let kind = match err {
        crate::render::openjpeg::DecodeFailure::Source(cause) => cause.kind(),
        other => panic!("not the source's failure: {other:?}"),
    };
    assert_eq!(kind, SourceErrorKind::Unavailable);
    let truncated = vips_convert(&grid_png(), "jp2ksave", "jp2", &["--lossless"]);
    let half = truncated[..truncated.len() / 2].to_vec();
    let job = job(
        memory(half, "mem:half.jp2"),
        JP2,
        Dimensions::new(1000, 1000),
        plan(Rect::new(0, 600, 400, 400), 400, 400),
    );
    let err = renderer().render(&job).unwrap_err();
    assert_eq!(err.kind(), RenderErrorKind::Decode, "{err}");
}

/// A JPEG 2000 region that will be decoded directly keeps its opened header (no pixel of
/// it is read by libvips); one too large to decode at once is left to libvips' reading.
#[test]
fn direct_regions_keep_their_header_and_large_ones_stream() {
    let bytes = vips_convert(&grid_png(), "jp2ksave", "jp2", &["--lossless"]);
    let source = memory(bytes, "mem:access.jp2");
    let access = |loader, full: u32, region: Rect, out: u32| {
        let full = Dimensions::new(full, full);
        load::choose_access(
            &job(source.clone(), loader, full, plan(region, out, out)),
            u64::MAX,
        )
    };
    let whole = Rect::new(0, 0, 1000, 1000);
    assert_eq!(access(JP2, 1000, whole, 125), Access::Lazy);
    let untiled = Loader::Jp2 { tiled: false };
    assert_eq!(access(untiled, 1000, whole, 1000), Access::Lazy);
    // But not when keeping it decoded whole would not be allowed: libvips decodes an
    // untiled codestream whole if the direct path declines the file.
    let small = job(
        source.clone(),
        untiled,
        Dimensions::new(1000, 1000),
        plan(whole, 1000, 1000),
    );
    assert_eq!(load::choose_access(&small, 1000), Access::Streamed);
    // Kept, an untiled one counts whole: libvips would decode all of it, were the direct
    // path to decline the file.
    let region = job(
        source.clone(),
        untiled,
        Dimensions::new(1000, 1000),
        plan(whole, 500, 500),
    );
    let opened = load::open(&region, Access::Lazy).expect("opens");
    let kept = crate::render::cost::kept_bytes(untiled, &opened, Access::Lazy);
    assert_eq!(kept, opened.image.memory_bytes());
    // 20000 px square at full size: far past the direct decoder's window, streamed.
    let huge = Rect::new(0, 0, 20_000, 20_000);
    assert_eq!(access(JP2, 20_000, huge, 20_000), Access::Streamed);
}

/// A render decoded directly is weighed with the window OpenJPEG holds (32-bit samples and
/// two 8/16-bit copies), not with the few rows of tiles libvips' lazy reading would hold.
#[test]
fn a_direct_decode_reserves_its_window() {
    let bytes = vips_convert(&grid_png(), "jp2ksave", "jp2", &["--lossless"]);
    let whole = Rect::new(0, 0, 1000, 1000);
    let job = job(
        memory(bytes, "mem:weighed.jp2"),
        JP2,
        Dimensions::new(1000, 1000),
        plan(whole, 1000, 1000),
    );
    let opened = renderer().open(&job).expect("opens");
    let window = 1000 * 1000 * 3 * jp2_region::BYTES_PER_SAMPLE;
    assert!(
        opened.working_bytes() >= window,
        "{} < {window}",
        opened.working_bytes()
    );
}
