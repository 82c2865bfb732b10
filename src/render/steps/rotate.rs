//! Step 6, rotate: clockwise by the planned degrees onto the rotated bounding box.
//!
//! Right angles use `vips_rot`, which moves pixels without resampling (lossless, exact
//! sizes). Other angles use `vips_rotate`; both turn clockwise for a positive angle, as
//! IIIF wants (checked by a pixel test, `rotation_45_*`). New corner pixels are
//! transparent when the output format has alpha (alpha is added first) and white
//! otherwise, the convention of the IIIF spec's examples.

use super::context::StepContext;
use crate::render::error::RenderError;
use crate::render::vips::{Angle, VipsImage};

/// The lossless rotation for `degrees`, when it is a right angle other than 0.
fn right_angle(degrees: f64) -> Option<Angle> {
    [
        (90.0, Angle::D90),
        (180.0, Angle::D180),
        (270.0, Angle::D270),
    ]
    .into_iter()
    .find_map(|(right, angle)| (degrees == right).then_some(angle))
}

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    let degrees = context.plan.degrees;
    if degrees == 0.0 {
        return Ok(image);
    }
    if let Some(angle) = right_angle(degrees) {
        return image.rot(angle);
    }
    if context.plan.format.has_alpha() {
        let image = if image.has_alpha() {
            image
        } else {
            image.add_alpha()?
        };
        let transparent = vec![0.0; image.bands() as usize];
        image.rotate(degrees, &transparent)
    } else {
        let white = vec![255.0; image.bands() as usize];
        image.rotate(degrees, &white)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_right_angles_are_lossless() {
        assert_eq!(right_angle(90.0), Some(Angle::D90));
        assert_eq!(right_angle(180.0), Some(Angle::D180));
        assert_eq!(right_angle(270.0), Some(Angle::D270));
        assert_eq!(right_angle(45.0), None);
        assert_eq!(right_angle(90.5), None);
    }
}
