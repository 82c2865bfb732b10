//! Step 5, mirror: IIIF's `!` rotation prefix flips about the vertical axis before the
//! rotation.

use super::error::RenderError;
use super::step::StepContext;
use super::vips::VipsImage;

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    if context.plan.mirror {
        image.flip_horizontal()
    } else {
        Ok(image)
    }
}
