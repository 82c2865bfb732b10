//! Step 5, mirror: IIIF's `!` rotation prefix flips about the vertical axis before the
//! rotation.

use super::context::StepContext;
use crate::render::error::RenderError;
use crate::render::vips::VipsImage;

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    if context.plan.mirror {
        image.flip_horizontal()
    } else {
        Ok(image)
    }
}
