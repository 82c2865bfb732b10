//! Step 8, materialise: compute the pixels now, into memory.
//!
//! Until here every step only described work; libvips reads and decodes when pixels are
//! pulled. Pulling them here, before the encoder, means a failure is a read or decode
//! failure (truncated file, source error) and not an encoding one, so the caller can
//! tell a broken image from a broken encoder. It costs one copy of the output, which the
//! planner's size limits keep small, and encoders that pass over the image twice (GIF's
//! palette) read memory rather than re-running the pipeline.

use super::context::StepContext;
use super::settle::settle;
use crate::render::error::RenderError;
use crate::render::vips::VipsImage;

pub(crate) fn apply(image: VipsImage, _context: &StepContext) -> Result<VipsImage, RenderError> {
    settle(&image)
}
