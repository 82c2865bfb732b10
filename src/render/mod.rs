//! libvips: the only unsafe code in the crate. Executes an [`crate::iiif::Plan`].
//!
//! A [`Renderer`] takes a [`RenderJob`] (a source, which stored image to open, the plan)
//! and returns encoded bytes. The code is in two folders and a few files beside them:
//!
//! - `vips/`, the C wall: every call into libvips and the only `unsafe`. Its C
//!   declarations are private to it; what leaves it is safe methods on `VipsImage`, a
//!   custom source fed by a [`crate::source::Source`], start-up, and Rust enums in place
//!   of C constants.
//! - `steps/`, the pipeline: the render as a named list of small steps, one file each,
//!   `load` -> `crop` -> `normalise` -> `resize` -> `mirror` -> `rotate` -> `quality` ->
//!   `materialise` -> `encode` (with `settle` after the resize for streamed images). Steps use the wall's safe face and never see C.
//! - here: the public face ([`Renderer`], [`RenderJob`], [`RenderError`]), the
//!   opened-image cache, what a render costs (`cost.rs`), how an abandoned one stops
//!   ([`Cancel`]), [`FileImage`] for `tessera convert`, and in `tests/` the pixel
//!   tests through the public path.
//!
//! The split is there so that a change to one step reads as a change to one file, and so
//! that the compiler, not convention, keeps C out of everything but `vips/`.

mod cache;
mod cancel;
mod cost;
mod error;
mod file_convert;
mod job;
mod renderer;
mod steps;
// The exceptions to the crate-wide `unsafe_code = "deny"` (Cargo.toml): the C walls.
#[allow(unsafe_code)]
mod openjpeg;
#[allow(unsafe_code)]
mod vips;

#[cfg(test)]
mod tests;

pub use cache::OpenedImageCache;
pub use cancel::{Cancel, CancelOnDrop};
pub use cost::decode_pixels;
pub use error::{RenderError, RenderErrorKind};
pub use file_convert::FileImage;
pub use job::{Loader, RenderJob, Rendered};
pub use renderer::{OpenedJob, Renderer};
pub use steps::encode::Encoding;
/// The walker's tests open every level it finds with render's own options.
#[cfg(test)]
pub(crate) use steps::load::tiff_options;
pub use vips::{init, version};
