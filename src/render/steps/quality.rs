//! Step 7, quality: IIIF `default`, `color`, `gray` and `bitonal`, and alpha only where
//! the output format can carry it.
//!
//! `default` keeps what normalise left (sRGB or grey). `color` is always three sRGB bands,
//! even from a grey source. `gray` is one luminance band. `bitonal` is grey thresholded at
//! the midpoint to pure 0 and 255, so every format (JPEG aside, whose compression
//! smudges edges) carries exactly two values.

use super::context::StepContext;
use crate::iiif::Quality;
use crate::render::error::RenderError;
use crate::render::vips::{Interpretation, VipsImage};

/// The bitonal cut: values at or above it become white.
const BITONAL_THRESHOLD: f64 = 128.0;

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    let image = if !context.plan.format.has_alpha() && image.has_alpha() {
        flatten_onto_white(image)?
    } else {
        image
    };
    match context.plan.quality {
        Quality::Default => Ok(image),
        Quality::Color => to_space(image, Interpretation::Srgb),
        Quality::Gray => to_space(image, Interpretation::BW),
        Quality::Bitonal => to_space(image, Interpretation::BW)?.threshold(BITONAL_THRESHOLD),
    }
}

fn to_space(image: VipsImage, space: Interpretation) -> Result<VipsImage, RenderError> {
    if image.interpretation() == space {
        Ok(image)
    } else {
        image.colourspace(space)
    }
}

/// Composites alpha onto white, one background value per colour band.
fn flatten_onto_white(image: VipsImage) -> Result<VipsImage, RenderError> {
    let colour_bands = image.bands().saturating_sub(1).max(1) as usize;
    image.flatten(&vec![255.0; colour_bands])
}
