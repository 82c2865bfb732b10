//! Step 4b, settle: compute a streamed image into memory before rotation (IIIF's, or the
//! orientation's).
//!
//! A streamed image (`access=sequential`) can only be read from top to bottom, once.
//! Crop, normalise, resize, mirror and quality read rows in order, but rotation reads
//! across them, so a streamed image about to be rotated is computed here first, at the
//! output's size (small: the limits bound it). Upscaling also reads out of order; the
//! resize step settles its own input for that.

use super::context::StepContext;
use crate::render::error::{RenderError, RenderErrorKind};
use crate::render::vips::VipsImage;

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    // A horizontal flip (orientation 2) reads rows in order; every other turn does not.
    let turns = context.orientation.value() > 2;
    if !context.streamed || (context.plan.degrees == 0.0 && !turns) {
        return Ok(image);
    }
    settle(&image)
}

/// The image's pixels, computed now into memory; a failure here is a read or decode one.
pub(crate) fn settle(image: &VipsImage) -> Result<VipsImage, RenderError> {
    image
        .copy_memory()
        .map_err(|err| err.with_kind(RenderErrorKind::Decode))
}
