//! Step 3, normalise: bring any stored pixel type to 8-bit sRGB, or 8-bit grey for grey
//! sources, keeping alpha.
//!
//! Done right after the crop, so it touches only the region, and before every step whose
//! constants assume 0..255 values (rotation backgrounds, flattening, the bitonal
//! threshold). CMYK, LAB, 16-bit and float images all pass through `vips_colourspace`,
//! which knows each conversion; a grey source stays one band because IIIF `default`
//! quality must not turn a grey image into a colour one.

use super::context::StepContext;
use crate::render::error::RenderError;
use crate::render::vips::{BandFormat, Interpretation, VipsImage};

pub(crate) fn apply(image: VipsImage, _context: &StepContext) -> Result<VipsImage, RenderError> {
    to_8bit(image)
}

/// 8-bit sRGB, or 8-bit grey for grey images, alpha kept (also used by `convert`).
pub(crate) fn to_8bit(image: VipsImage) -> Result<VipsImage, RenderError> {
    let interpretation = image.interpretation();
    let grey = matches!(interpretation, Interpretation::BW | Interpretation::Grey16);
    let target = if grey {
        Interpretation::BW
    } else {
        Interpretation::Srgb
    };
    let image = if interpretation == target {
        image
    } else {
        image.colourspace(target)?
    };
    if image.band_format() == BandFormat::Uchar {
        Ok(image)
    } else {
        image.cast_uchar()
    }
}
