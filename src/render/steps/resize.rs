//! Step 4, resize: scale the cropped region to exactly the planned width and height.
//!
//! Each axis has its own factor, so IIIF's distorting `w,h` sizes work. `vips_resize`
//! rounds its output size itself, which can leave it a pixel off the plan; the IIIF
//! validator checks exact sizes, so a final embed cuts or extends (by copying the edge
//! pixel) to the exact size.

use super::context::StepContext;
use super::settle::settle;
use crate::iiif::Dimensions;
use crate::render::cost::upscales;
use crate::render::error::RenderError;
use crate::render::vips::VipsImage;

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    let (want_w, want_h) = (context.plan.width, context.plan.height);
    let (have_w, have_h) = (image.width(), image.height());
    if (have_w, have_h) == (want_w, want_h) {
        return Ok(image);
    }
    let image = if context.streamed && upscales(Dimensions::new(have_w, have_h), context.plan) {
        settle(&image)?
    } else {
        image
    };
    let hscale = f64::from(want_w) / f64::from(have_w);
    let vscale = f64::from(want_h) / f64::from(have_h);
    let resized = image.resize(hscale, vscale)?;
    if (resized.width(), resized.height()) == (want_w, want_h) {
        Ok(resized)
    } else {
        resized.embed_copy(want_w, want_h)
    }
}
