//! libvips: the only unsafe code in the crate. Executes an [`crate::iiif::Plan`].
//!
//! A [`Renderer`] takes a [`RenderJob`] (a source, which stored image to open, the plan)
//! and returns encoded bytes. The work is a named list of small steps, one file each:
//! `load` -> `crop` -> `normalise` -> `resize` -> `mirror` -> `rotate` -> `quality` ->
//! `materialise` -> `encode` (see `step.rs`). All C lives behind one wall, the `vips_*`
//! files: `vips_ffi` declares, `vips_image` owns images and with `vips_ops` wraps every
//! operation in one idiom, `vips_source` feeds libvips from a [`crate::source::Source`], and
//! `vips_runtime` starts libvips and reads its error buffer. Nothing else here is unsafe.

mod cache;
mod crop;
mod encode;
mod error;
mod file_convert;
mod job;
mod load;
mod materialise;
mod mirror;
mod normalise;
mod quality;
mod renderer;
mod resize;
mod rotate;
mod step;
#[allow(unsafe_code)]
mod vips_ffi;
#[allow(unsafe_code)]
mod vips_image;
#[allow(unsafe_code)]
mod vips_ops;
#[allow(unsafe_code)]
mod vips_runtime;
#[allow(unsafe_code)]
mod vips_source;

#[cfg(test)]
mod tests;

pub use cache::OpenedImageCache;
pub use error::{RenderError, RenderErrorKind};
pub use file_convert::FileImage;
pub use job::{Loader, RenderJob, Rendered};
/// The walker's tests open every level it finds with render's own options.
#[cfg(test)]
pub(crate) use load::tiff_options;
pub use renderer::Renderer;
pub use vips_runtime::{init, version};
