//! The pipeline: the render as a named list of small steps, each in its own file.
//!
//! Every step takes the image so far and returns the next one; a step with nothing to do
//! returns its input untouched. Steps read the plan and never share mutable state, so each
//! can be read (and tested) alone. What they may read, [`StepContext`], has a file of its
//! own (`context.rs`), so a step imports that and not this list of its siblings.
//!
//! Loading (`load.rs`) comes before and encoding (`encode.rs`) after the list, because they
//! turn bytes into an image and back: they live in this folder as the first and last
//! steps, but the renderer calls them itself rather than through [`PIPELINE`].

pub(super) mod context;
pub(super) mod crop;
pub(crate) mod encode;
mod icc_profile;
pub(super) mod jp2_region;
pub(super) mod load;
mod materialise;
mod mirror;
mod orient;
// `pub(super)` for `convert`, which brings whole files to 8 bits the same way.
pub(super) mod normalise;
mod quality;
mod resize;
mod rotate;
mod settle;

use crate::render::cancel::Cancel;
use crate::render::error::RenderError;
use crate::render::vips::VipsImage;
use context::StepContext;

pub(crate) type Step = fn(VipsImage, &StepContext) -> Result<VipsImage, RenderError>;

/// The steps in IIIF order (region, size, rotation with mirroring, quality), with colour
/// normalisation before the resize so every later step sees 8-bit sRGB or grey, a streamed
/// image settled into memory before rotation reads across its rows, and the pixels
/// computed at the end so decode failures are told apart from encode failures.
pub(crate) const PIPELINE: [(&str, Step); 9] = [
    ("crop", crop::apply),
    ("normalise", normalise::apply),
    ("resize", resize::apply),
    ("settle", settle::apply),
    ("orient", orient::apply),
    ("mirror", mirror::apply),
    ("rotate", rotate::apply),
    ("quality", quality::apply),
    ("materialise", materialise::apply),
];

/// Runs every step in order, naming the failing one in the error. Each step's input is
/// registered with `cancel` first, so an abandoned render stops in the step computing.
pub(crate) fn run(
    image: VipsImage,
    context: &StepContext,
    cancel: &Cancel,
) -> Result<VipsImage, RenderError> {
    PIPELINE.iter().try_fold(image, |image, (name, step)| {
        cancel.watch(&image)?;
        step(image, context).map_err(|err| {
            let message = format!("{name}: {}", err.message());
            RenderError::new(err.kind(), message)
        })
    })
}
