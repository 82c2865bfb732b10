//! Step 1 for JPEG 2000: decode exactly the region, at the opened reduction, with
//! OpenJPEG directly (`render/openjpeg/`), instead of reading it through libvips' loader.
//!
//! Measured on an 8000x6000 JPEG 2000 of 512 px tiles (`scripts/bench-iipimage`): libvips
//! decodes every tile a region touches, one at a time per opened image; OpenJPEG given
//! the window decodes only the code blocks under it, and each render decodes on its own
//! thread. The image libvips opened still serves: its header gives the level's size, and
//! it reads the pixels when this path declines (a layout it leaves to libvips, or a
//! region too large to hold decoded at once).
//!
//! The decoded image is the region alone, so the later steps are given a plan whose
//! region is all of it ([`DecodedWindow`]).

use super::crop::map_region;
use crate::iiif::{Dimensions, Plan, Rect};
use crate::render::error::{RenderError, RenderErrorKind};
use crate::render::job::{Loader, RenderJob};
use crate::render::openjpeg::{self, Colour, DecodeFailure};
use crate::render::steps::load::OpenedImage;
use crate::render::vips::{Interpretation, Pixels, VipsImage};

/// The largest region decoded at once, in OpenJPEG's 32-bit samples: 64 MiB, a
/// 2300x2300 RGB window (a 1000x1000 crop takes 12 MB). Larger regions stream through
/// libvips' loader, which holds a few rows of tiles instead.
const MAX_DECODED_BYTES: u64 = 64 << 20;

/// Bytes a direct decode holds per pixel and band: OpenJPEG's 32-bit sample, our
/// interleaved copy and libvips' (up to 16 bits each).
pub(crate) const BYTES_PER_SAMPLE: u64 = 4 + 2 + 2;

/// The area, in the opened level's pixels, a direct decode of `job` produces; `None`
/// when libvips reads it (not a JPEG 2000, or the region is too large).
pub(crate) fn direct_area(job: &RenderJob, opened: &OpenedImage) -> Option<Rect> {
    let image = &opened.image;
    let level = Dimensions::new(image.width(), image.height());
    window(job, level, image.bands())
}

/// Whether `job` will be decoded directly once its level is opened at `level` size,
/// counting the most bands a JPEG 2000 here decodes to (4).
pub(crate) fn expected(job: &RenderJob, level: Dimensions) -> bool {
    window(job, level, 4).is_some()
}

fn window(job: &RenderJob, level: Dimensions, bands: u32) -> Option<Rect> {
    if !matches!(job.loader, Loader::Jp2 { .. }) {
        return None;
    }
    let area = map_region(job.plan.region, job.full, level);
    let samples = u64::from(area.width) * u64::from(area.height) * u64::from(bands);
    (samples * 4 <= MAX_DECODED_BYTES).then_some(area)
}

/// A window decoded directly, with the plan and full size the later steps see: the
/// region is all of the image, so the crop step leaves it as it is.
pub(crate) struct DecodedWindow {
    pub(crate) image: VipsImage,
    pub(crate) plan: Plan,
    pub(crate) full: Dimensions,
}

/// Decodes `job`'s window directly when [`direct_area`] says so; `Ok(None)` when libvips
/// reads it instead (not a JPEG 2000, too large, or a layout OpenJPEG's path declines).
pub(crate) fn decode_window(
    job: &RenderJob,
    opened: &OpenedImage,
) -> Result<Option<DecodedWindow>, RenderError> {
    let Some(area) = direct_area(job, opened) else {
        return Ok(None);
    };
    let Some(image) = decode(job, opened, area)? else {
        return Ok(None);
    };
    Ok(Some(DecodedWindow {
        image,
        plan: Plan {
            region: Rect::new(0, 0, area.width, area.height),
            ..job.plan.clone()
        },
        full: Dimensions::new(area.width, area.height),
    }))
}

/// Decodes `area` of `job`'s image; `Ok(None)` when OpenJPEG's direct path declines the
/// file's layout (libvips then reads it).
pub(crate) fn decode(
    job: &RenderJob,
    opened: &OpenedImage,
    area: Rect,
) -> Result<Option<VipsImage>, RenderError> {
    let reduce = opened.reduce.trailing_zeros();
    let decoded = match openjpeg::decode_region(job.source.clone(), reduce, area) {
        Ok(Some(decoded)) => decoded,
        Ok(None) => return Ok(None),
        Err(DecodeFailure::Source(cause)) => return Err(RenderError::from_source(&cause)),
        Err(DecodeFailure::Codec(message)) => {
            return Err(RenderError::internal(message).with_kind(RenderErrorKind::Decode))
        }
    };
    let interpretation = match (decoded.colour, decoded.sixteen_bits) {
        (Colour::Grey, false) => Interpretation::BW,
        (Colour::Grey, true) => Interpretation::Grey16,
        (Colour::Rgb, false) => Interpretation::Srgb,
        (Colour::Rgb, true) => Interpretation::Rgb16,
    };
    VipsImage::from_pixels(&Pixels {
        data: &decoded.pixels,
        width: decoded.width,
        height: decoded.height,
        bands: decoded.bands,
        sixteen_bits: decoded.sixteen_bits,
        interpretation,
        icc: decoded.icc.as_deref(),
    })
    .map(Some)
}
