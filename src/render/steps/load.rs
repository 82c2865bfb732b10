//! Step 1, load: open the planned level through a custom source, reducing on load where
//! the format can (JPEG shrink, WebP scale, JPEG 2000 resolution levels).
//!
//! Reduce-on-load is the biggest single saving for untiled formats: libjpeg decodes at
//! 1/2, 1/4 or 1/8 size for a fraction of the work. The factor chosen is the largest power
//! of two after which the region still has at least the output's pixels on both axes, so
//! the resize step only ever shrinks (or upsizes exactly as much as the plan asked).

use crate::facts::LevelLoad;
use crate::iiif::{Dimensions, Rect};
use crate::render::error::{RenderError, RenderErrorKind};
use crate::render::job::{Loader, RenderJob};
use crate::render::vips::{VipsImage, VipsSourceHandle};
use crate::source::SourceError;

/// Every loaded image is opened for random access: a cached image serves tiles in any
/// order, and truncated data fails the render instead of yielding grey half-images.
const COMMON_OPTIONS: &str = "access=random,fail_on=truncated";

/// The largest JPEG 2000 reduction we ask for before knowing the file's level count
/// (OpenJPEG's default encoder stores 6 resolutions, i.e. 5 reductions).
const MAX_JP2_REDUCTION: u32 = 5;

/// A loaded image together with the source it reads from.
///
/// Field order matters: the image is released before the source handle. libvips' loader
/// holds its own reference to the source, so either order is safe; this one also matches
/// the dependency.
pub(crate) struct OpenedImage {
    pub(crate) image: VipsImage,
    source: VipsSourceHandle,
}

impl OpenedImage {
    /// The error the source last reported, if any.
    pub(crate) fn source_error(&self) -> Option<SourceError> {
        self.source.last_error()
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

/// The option strings to try, best first. Only JPEG 2000 has more than one: its number of
/// stored resolutions is unknown until opened, and asking for too many fails the open.
pub(crate) fn load_attempts(job: &RenderJob) -> Vec<String> {
    let out = Dimensions {
        width: job.plan.width,
        height: job.plan.height,
    };
    let reduce = |max| reduction(job.plan.region, job.full, job.level, out, max);
    let specific: Vec<String> = match job.loader {
        Loader::Tiff(load) => vec![tiff_options(load)],
        Loader::Jpeg => vec![format!("shrink={}", 1u32 << reduce(3))],
        // libwebp scales while decoding; powers of two keep the arithmetic exact.
        Loader::Webp => match reduce(6) {
            0 => vec![String::new()],
            n => vec![format!("scale={}", 1.0 / f64::from(1u32 << n))],
        },
        Loader::Jp2 => (0..=reduce(MAX_JP2_REDUCTION))
            .rev()
            .map(|n| format!("page={n}"))
            .collect(),
        Loader::Png | Loader::Gif => vec![String::new()],
    };
    specific
        .into_iter()
        .map(|s| {
            if s.is_empty() {
                COMMON_OPTIONS.to_owned()
            } else {
                format!("{s},{COMMON_OPTIONS}")
            }
        })
        .collect()
}

/// Opens the job's level, trying each option string in turn. A source failure stops at
/// once (retrying cannot help); a decode failure moves on to the next attempt.
pub(crate) fn open(job: &RenderJob) -> Result<OpenedImage, RenderError> {
    let mut last = RenderError::internal("no load attempt");
    for options in load_attempts(job) {
        let source = VipsSourceHandle::new(job.source.clone())?;
        match VipsImage::from_source(&source, &options) {
            Ok(image) => {
                warn_if_level_differs(job, &image);
                return Ok(OpenedImage { image, source });
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
