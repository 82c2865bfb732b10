//! Step 4c, orient: turn the rendered region the way the source's EXIF/TIFF orientation
//! says it is displayed (`facts::Orientation`), and drop every record of the stored
//! orientation. The region was cut and resized in stored coordinates, so this touches
//! only the output-sized pixels; IIIF's mirror and rotation come after it, on the image
//! as displayed. The metadata goes whatever the orientation: savers write it back even
//! with `strip`, and an orientation the facts did not read (a PNG's `eXIf`) must not be
//! claimed by an answer whose pixels are served as stored.

use super::context::StepContext;
use crate::render::error::RenderError;
use crate::render::vips::{Angle, VipsImage};

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    turn(image, context)?.without_orientation()
}

fn turn(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    match context.orientation.value() {
        2 => image.flip_horizontal(),
        3 => image.rot(Angle::D180),
        // A vertical flip is a half turn of the horizontal one.
        4 => image.rot(Angle::D180)?.flip_horizontal(),
        // Transpose and transverse: a quarter turn, then the horizontal flip.
        5 => image.rot(Angle::D90)?.flip_horizontal(),
        6 => image.rot(Angle::D90),
        7 => image.rot(Angle::D270)?.flip_horizontal(),
        8 => image.rot(Angle::D270),
        _ => Ok(image),
    }
}
