//! The C wall: every call into libvips, GObject and GLib, and the crate's only unsafe code.
//!
//! `ffi` declares the C functions and constants and is private to this folder, so the rest
//! of the crate cannot reach past the wall; what crosses it is the safe face re-exported
//! below. `image` owns images and with `ops` wraps every operation in one idiom, `enums`
//! turns libvips' C enums into Rust enums (and back), `source` feeds libvips from a
//! [`crate::source::Source`], `pixels` makes images of pixels our own decoders produced, and `runtime` starts libvips and reads its error buffer.
//! `unsafe_code` is allowed for this module alone, on its `mod` line in `render/mod.rs`.

mod enums;
mod ffi;
mod image;
mod ops;
mod pixels;
mod runtime;
mod source;

pub(crate) use enums::{Angle, BandFormat, Interpretation};
pub(crate) use image::VipsImage;
pub(crate) use pixels::Pixels;
pub(crate) use runtime::{ensure_started, icc_present};
pub use runtime::{init, version};
pub(crate) use source::{Attributed, VipsSourceHandle};
