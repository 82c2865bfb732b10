//! Images made from pixels already in memory: what a decoder of our own (OpenJPEG, for
//! JPEG 2000 regions) hands to the rest of the pipeline.

use super::enums::Interpretation;
use super::ffi;
use super::image::{wrap, VipsImage};
use crate::render::error::RenderError;
use std::ffi::{c_int, c_void};
use std::ptr;

/// Interleaved 8 or 16-bit samples (native byte order) and what they mean.
pub(crate) struct Pixels<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bands: u32,
    pub(crate) sixteen_bits: bool,
    pub(crate) interpretation: Interpretation,
    /// An ICC profile to attach, as a loader would.
    pub(crate) icc: Option<&'a [u8]>,
}

impl VipsImage {
    /// An image holding a copy of `pixels`.
    pub(crate) fn from_pixels(pixels: &Pixels) -> Result<Self, RenderError> {
        let sample = if pixels.sixteen_bits { 2 } else { 1 };
        let expected = pixels.width as usize * pixels.height as usize * pixels.bands as usize;
        if pixels.data.len() != expected * sample {
            return Err(RenderError::internal(format!(
                "{} bytes for a {}x{}x{} image",
                pixels.data.len(),
                pixels.width,
                pixels.height,
                pixels.bands
            )));
        }
        let int = |value: u32| {
            c_int::try_from(value).map_err(|_| RenderError::internal("image too large"))
        };
        let format = if pixels.sixteen_bits {
            ffi::VIPS_FORMAT_USHORT
        } else {
            ffi::VIPS_FORMAT_UCHAR
        };
        // SAFETY: `data` holds exactly width * height * bands samples of `format` (checked
        // above); libvips copies them before returning.
        let raw = unsafe {
            ffi::vips_image_new_from_memory_copy(
                pixels.data.as_ptr().cast(),
                pixels.data.len(),
                int(pixels.width)?,
                int(pixels.height)?,
                int(pixels.bands)?,
                format,
            )
        };
        let raw = wrap(0, raw, "image from memory")?;
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer; "interpretation" takes a VipsInterpretation
        // (an int); NULL terminator.
        let status = unsafe {
            ffi::vips_copy(
                raw.ptr(),
                &mut out,
                c"interpretation".as_ptr(),
                pixels.interpretation.to_c(),
                ptr::null::<c_void>(),
            )
        };
        let image = wrap(status, out, "copy")?;
        if let Some(icc) = pixels.icc {
            // SAFETY: `image` is new and held by no one else, so setting a field races with
            // nothing; libvips copies the profile.
            unsafe {
                ffi::vips_image_set_blob_copy(
                    image.ptr(),
                    c"icc-profile-data".as_ptr(),
                    icc.as_ptr().cast(),
                    icc.len(),
                );
            }
        }
        Ok(image)
    }
}
