//! libvips: the only unsafe code in the crate. Executes an [`crate::iiif::Plan`].
//!
//! A [`Renderer`] takes a [`RenderJob`] (a source, which stored image to open, the plan)
//! and returns encoded bytes. The work is a named list of small steps, one file each:
//! `load` -> `crop` -> `normalise` -> `resize` -> `mirror` -> `rotate` -> `quality` ->
//! `materialise` -> `encode` (see `step.rs`). All C lives behind one wall, the `vips`
//! folder: its private `ffi` declares, the rest wraps every call in safe methods and Rust
//! enums (see `vips/mod.rs`). Nothing else here is unsafe.

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
// The one exception to the crate-wide `unsafe_code = "deny"` (Cargo.toml): the C wall.
#[allow(unsafe_code)]
mod vips;

#[cfg(test)]
mod tests;

pub use cache::OpenedImageCache;
pub use error::{RenderError, RenderErrorKind};
pub use file_convert::FileImage;
pub use job::{Loader, RenderJob, Rendered};
pub use renderer::Renderer;
pub use vips::{init, version};
