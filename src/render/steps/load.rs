//! Step 1, load: open the planned level through a custom source, reducing on load where
//! the format can (JPEG shrink, WebP scale, JPEG 2000 resolution levels), and choosing how
//! libvips may read it ([`Access`]).
//!
//! Reduce-on-load is the biggest single saving for untiled formats: libjpeg decodes at
//! 1/2, 1/4 or 1/8 size for a fraction of the work. The factor chosen is the largest power
//! of two after which the region still has at least the output's pixels on both axes, so
//! the resize step only ever shrinks (or upsizes exactly as much as the plan asked).
//!
//! The access mode decides what stays in memory. Opening a JPEG, PNG, WebP or strip TIFF
//! with `access=random` makes libvips decode all of it into memory at the first pixel
//! asked for; that pays only when the decoded image is kept for the next region of it.
//! So a whole-object image is decoded and kept only for a region request whose decoded
//! size fits the opened-image cache's entry limit, and only from the second region asked
//! of it (the renderer streams the first: a one-off crop costs one decode down to its last
//! row, not of the whole); a whole-image request, or an image too large to keep, is read
//! once from top to bottom (`access=sequential`) and never resident whole.

use super::jp2_region;
use crate::facts::LevelLoad;
use crate::iiif::{Dimensions, Rect};
use crate::metrics::meter::RequestMeter;
use crate::render::error::{RenderError, RenderErrorKind};
use crate::render::job::{Loader, RenderJob};
use crate::render::vips::{Attributed, VipsImage, VipsSourceHandle};
use crate::source::SourceError;
use std::sync::Arc;

/// Every load fails on truncated data instead of yielding grey half-images.
const FAIL_ON: &str = "fail_on=truncated";

/// Bytes a decoded pixel is counted at before the image is opened and its real bands are
/// known: four 8-bit bands (RGBA, CMYK), the most any whole-object format decodes to here
/// but for 16-bit PNG, whose decoded size is checked against the same limit once opened.
pub(crate) const PREDICTED_PIXEL_BYTES: u64 = 4;

/// The largest JPEG 2000 reduction we ask for before knowing the file's level count
/// (OpenJPEG's default encoder stores 6 resolutions, i.e. 5 reductions).
const MAX_JP2_REDUCTION: u32 = 5;

/// How libvips may read an opened image, chosen per render before opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A tiled TIFF level, read tile by tile in any order: cheap to keep, so kept.
    Lazy,
    /// A whole-object image decoded once into memory (`memory=true`: never into a temp
    /// file libvips would write to /tmp unbudgeted) at its reduce-on-load size, and kept
    /// so its other regions cost no decode.
    Decoded,
    /// Read once from top to bottom and not kept: pixels flow through a window of rows.
    /// Steps that read in another order (rotation, upscaling) get the pixels settled
    /// into memory at the output's size first.
    Streamed,
}

impl Access {
    fn options(self) -> String {
        let access = match self {
            Access::Lazy => "access=random",
            Access::Decoded => "access=random,memory=true",
            Access::Streamed => "access=sequential",
        };
        format!("{access},{FAIL_ON}")
    }

    /// Whether an image opened this way may be reused by another render.
    pub(crate) fn keeps(self) -> bool {
        self != Access::Streamed
    }
}

/// A loaded image together with the source it reads from.
///
/// Field order matters: the image is released before the source handle. libvips' loader
/// holds its own reference to the source, so either order is safe; this one also matches
/// the dependency.
pub(crate) struct OpenedImage {
    pub(crate) image: VipsImage,
    source: VipsSourceHandle,
    /// The reduce-on-load factor it was opened at (1: full size).
    pub(crate) reduce: u32,
}

impl OpenedImage {
    /// The error the source last reported, if any.
    pub(crate) fn source_error(&self) -> Option<SourceError> {
        self.source.last_error()
    }

    /// Credits the reads libvips' workers make for this image to `meter` while the guard
    /// lives (see `metrics::meter`).
    pub(crate) fn attribute_reads(&self, meter: Option<Arc<RequestMeter>>) -> Attributed {
        self.source.attribute(meter)
    }
}

/// The largest `n <= max_log2` such that `region` (measured in `level` pixels) divided by
/// `2^n` still covers `out_w` x `out_h`.
pub(crate) fn reduction(
    region: Rect,
    full: Dimensions,
    level: Dimensions,
    out: Dimensions,
    max_log2: u32,
) -> u32 {
    let rw = u64::from(region.width) * u64::from(level.width) / u64::from(full.width.max(1));
    let rh = u64::from(region.height) * u64::from(level.height) / u64::from(full.height.max(1));
    (0..=max_log2)
        .rev()
        .find(|n| rw >= u64::from(out.width) << n && rh >= u64::from(out.height) << n)
        .unwrap_or(0)
}

/// The `tiffload` options that open exactly one directory: a page of the main chain, or
/// a SubIFD of one.
pub(crate) fn tiff_options(load: LevelLoad) -> String {
    match load {
        LevelLoad::Page(page) => format!("page={page}"),
        LevelLoad::SubIfd { page, index } => format!("page={page},subifd={index}"),
    }
}

/// The reductions to try as powers of two, best first. Only JPEG 2000 has more than one:
/// its number of stored resolutions is unknown until opened, and asking for too many
/// fails the open.
fn reductions(job: &RenderJob) -> Vec<u32> {
    let out = Dimensions {
        width: job.plan.width,
        height: job.plan.height,
    };
    let reduce = |max| reduction(job.plan.region, job.full, job.level, out, max);
    match job.loader {
        Loader::Jpeg => vec![reduce(3)],
        Loader::Webp => vec![reduce(6)],
        Loader::Jp2 { .. } => (0..=reduce(MAX_JP2_REDUCTION)).rev().collect(),
        Loader::Tiff(_) | Loader::Png | Loader::Gif => vec![0],
    }
}

/// The loader's own options for a reduction of `2^n`.
fn reduce_options(loader: Loader, n: u32) -> String {
    match loader {
        Loader::Tiff(load) => tiff_options(load),
        Loader::Jpeg => format!("shrink={}", 1u32 << n),
        // libwebp scales while decoding; powers of two keep the arithmetic exact.
        Loader::Webp if n > 0 => format!("scale={}", 1.0 / f64::from(1u32 << n)),
        Loader::Jp2 { .. } => format!("page={n}"),
        Loader::Webp | Loader::Png | Loader::Gif => String::new(),
    }
}

/// How to read `job`'s image: tiled levels lazily, except when the whole level is shrunk
/// (see below); a JPEG 2000 whose region OpenJPEG will decode directly (`jp2_region`)
/// lazily too, so its opened header is kept for the next render (libvips reads no pixel of
/// it); a region of a tiled JPEG 2000 too large for that lazily as well (libvips decodes
/// the tiles it touches: 0.2 s for a 1000x1000 region of an 8000x6000 image, where
/// decoding the whole to keep it took 5.4 s); a whole-object image decoded and kept only
/// for a region request whose predicted decoded size is at most `keep_limit` bytes;
/// everything else streamed.
///
/// A whole tiled level shrunk to a smaller answer (a tiled TIFF without a pyramid asked
/// for `full/!1000,1000`) is streamed too: read lazily, libvips' shrink pulls every tile
/// row once per strip of output and decodes each tile several times (2.8 s where one
/// decode takes 0.7 s, on an 8000x6000 JPEG-tiled TIFF); read in order, each tile is
/// decoded once.
pub(crate) fn choose_access(job: &RenderJob, keep_limit: u64) -> Access {
    let whole = job.plan.region == Rect::new(0, 0, job.full.width, job.full.height);
    if job.ranged {
        let shrinks = u64::from(job.plan.width) * 2 <= u64::from(job.level.width)
            && u64::from(job.plan.height) * 2 <= u64::from(job.level.height);
        return if whole && shrinks {
            Access::Streamed
        } else {
            Access::Lazy
        };
    }
    let factor = 1u64 << reductions(job)[0];
    let side = |length: u32| u64::from(length).div_ceil(factor);
    let decoded = side(job.level.width) * side(job.level.height) * PREDICTED_PIXEL_BYTES;
    let reduced = Dimensions::new(side(job.level.width) as u32, side(job.level.height) as u32);
    // Kept even for a whole-image request, as libvips reads no pixel of it; but an untiled
    // codestream only when keeping all of it decoded would be allowed, as libvips does
    // that if the direct decoder declines the file.
    let tiled = job.loader == (Loader::Jp2 { tiled: true });
    if jp2_region::expected(job, reduced) && (tiled || decoded <= keep_limit) {
        return Access::Lazy;
    }
    if tiled && !whole {
        return Access::Lazy;
    }
    if whole || decoded > keep_limit {
        Access::Streamed
    } else {
        Access::Decoded
    }
}

/// The option strings to try, best first, each with its reduction as a power of two.
pub(crate) fn load_attempts(job: &RenderJob, access: Access) -> Vec<(String, u32)> {
    reductions(job)
        .into_iter()
        .map(|n| {
            let specific = reduce_options(job.loader, n);
            let options = if specific.is_empty() {
                access.options()
            } else {
                format!("{specific},{}", access.options())
            };
            (options, n)
        })
        .collect()
}

/// Opens the job's level, trying each option string in turn. A source failure stops at
/// once (retrying cannot help); a decode failure moves on to the next attempt.
pub(crate) fn open(job: &RenderJob, access: Access) -> Result<OpenedImage, RenderError> {
    let mut last = RenderError::internal("no load attempt");
    for (options, n) in load_attempts(job, access) {
        let source = VipsSourceHandle::new(job.source.clone())?;
        match VipsImage::from_source(&source, &options) {
            Ok(image) => {
                warn_if_level_differs(job, &image);
                return Ok(OpenedImage {
                    image,
                    source,
                    reduce: 1 << n,
                });
            }
            Err(err) => {
                if let Some(cause) = source.last_error() {
                    return Err(RenderError::from_source(&cause));
                }
                last = err.with_kind(RenderErrorKind::Decode);
            }
        }
    }
    Err(last)
}

/// A stored TIFF level whose size differs from the planner's facts means the facts are
/// wrong (or stale). The crop maps through the real size, so the render stays correct;
/// the log says which object to look at.
fn warn_if_level_differs(job: &RenderJob, image: &VipsImage) {
    let opened = Dimensions {
        width: image.width(),
        height: image.height(),
    };
    if matches!(job.loader, Loader::Tiff(_)) && opened != job.level {
        tracing::warn!(
            source = job.source.identity(),
            loader = ?job.loader,
            expected = ?job.level,
            opened = ?opened,
            "stored level size differs from the image facts"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_is_the_largest_power_that_still_covers() {
        let full = Dimensions::new(4000, 3000);
        let cases = [
            // region, output, max, expected
            (
                Rect::new(0, 0, 4000, 3000),
                Dimensions::new(4000, 3000),
                3,
                0,
            ),
            (
                Rect::new(0, 0, 4000, 3000),
                Dimensions::new(2000, 1500),
                3,
                1,
            ),
            (
                Rect::new(0, 0, 4000, 3000),
                Dimensions::new(1999, 1500),
                3,
                1,
            ),
            (Rect::new(0, 0, 4000, 3000), Dimensions::new(500, 375), 3, 3),
            (Rect::new(0, 0, 4000, 3000), Dimensions::new(100, 75), 3, 3),
            (Rect::new(0, 0, 4000, 3000), Dimensions::new(100, 75), 5, 5),
            // distortion: the tighter axis decides
            (
                Rect::new(0, 0, 4000, 3000),
                Dimensions::new(1000, 3000),
                3,
                0,
            ),
            (Rect::new(0, 0, 1024, 1024), Dimensions::new(256, 256), 3, 2),
            (Rect::new(0, 0, 1024, 1024), Dimensions::new(257, 256), 3, 1),
            // upscaling never reduces
            (Rect::new(0, 0, 100, 100), Dimensions::new(400, 400), 3, 0),
        ];
        for (region, out, max, want) in cases {
            assert_eq!(
                reduction(region, full, full, out, max),
                want,
                "{region:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn tiff_levels_open_their_own_directory() {
        assert_eq!(tiff_options(LevelLoad::Page(3)), "page=3");
        let sub = LevelLoad::SubIfd { page: 1, index: 2 };
        assert_eq!(tiff_options(sub), "page=1,subifd=2");
    }

    #[test]
    fn reduction_measures_the_region_in_the_opened_level() {
        // A half-size level: a 1024 px full-res region is 512 px there.
        assert_eq!(
            reduction(
                Rect::new(0, 0, 1024, 1024),
                Dimensions::new(4000, 4000),
                Dimensions::new(2000, 2000),
                Dimensions::new(128, 128),
                5
            ),
            2
        );
    }
}
