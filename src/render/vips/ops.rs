//! The pixel operations on [`VipsImage`]: geometry, colour and thresholds.
//!
//! Kept apart from the handle itself (`image.rs`) only for length; the idiom is the
//! same: required arguments plus a NULL terminator, results through `wrap`. The named
//! arguments used here ("extend", "vscale", "background") pass exactly the C type the
//! operation declares for them: a `VipsExtend` enum as `int`, a `gdouble`, a
//! `VipsArrayDouble *`.

use super::enums::{Angle, Interpretation};
use super::ffi;
use super::image::{wrap, VipsImage};
use crate::render::error::RenderError;
use std::ffi::{c_int, c_void};
use std::ptr;

fn c_int_of(value: u32, what: &str) -> Result<c_int, RenderError> {
    c_int::try_from(value).map_err(|_| RenderError::internal(format!("{what}: {value} too large")))
}

/// Calls `f` with a libvips `VipsArrayDouble` holding `values`, then releases the array.
fn with_array_double<T>(values: &[f64], f: impl FnOnce(*mut c_void) -> T) -> T {
    // SAFETY: vips_array_double_new copies `values` (len as int; at most 4 bands here)
    // into a new refcounted area; libvips refs it if it keeps it, so we unref ours after.
    unsafe {
        let array = ffi::vips_array_double_new(values.as_ptr(), values.len() as c_int);
        let result = f(array);
        ffi::vips_area_unref(array);
        result
    }
}

impl VipsImage {
    pub(crate) fn extract_area(&self, x: u32, y: u32, w: u32, h: u32) -> Result<Self, RenderError> {
        let (x, y) = (c_int_of(x, "extract x")?, c_int_of(y, "extract y")?);
        let (w, h) = (
            c_int_of(w, "extract width")?,
            c_int_of(h, "extract height")?,
        );
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer, required int args, NULL terminator.
        let status = unsafe {
            ffi::vips_extract_area(self.ptr(), &mut out, x, y, w, h, ptr::null::<c_void>())
        };
        wrap(status, out, "extract_area")
    }

    /// Places the image at (0, 0) of a `w` x `h` canvas, copying edge pixels outwards
    /// where the canvas is larger and cutting where it is smaller.
    pub(crate) fn embed_copy(&self, w: u32, h: u32) -> Result<Self, RenderError> {
        let (w, h) = (c_int_of(w, "embed width")?, c_int_of(h, "embed height")?);
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer; "extend" is a VipsExtend enum, passed as
        // c_int, then the NULL terminator.
        let status = unsafe {
            ffi::vips_embed(
                self.ptr(),
                &mut out,
                0,
                0,
                w,
                h,
                c"extend".as_ptr(),
                ffi::VIPS_EXTEND_COPY,
                ptr::null::<c_void>(),
            )
        };
        wrap(status, out, "embed")
    }

    /// Scales by `hscale` horizontally and `vscale` vertically (lanczos3, libvips' default).
    pub(crate) fn resize(&self, hscale: f64, vscale: f64) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer; "vscale" is declared gdouble and passed as
        // f64, then the NULL terminator.
        let status = unsafe {
            ffi::vips_resize(
                self.ptr(),
                &mut out,
                hscale,
                c"vscale".as_ptr(),
                vscale,
                ptr::null::<c_void>(),
            )
        };
        wrap(status, out, "resize")
    }

    pub(crate) fn flip_horizontal(&self) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer, VipsDirection as c_int, NULL terminator.
        let status = unsafe {
            ffi::vips_flip(
                self.ptr(),
                &mut out,
                ffi::VIPS_DIRECTION_HORIZONTAL,
                ptr::null::<c_void>(),
            )
        };
        wrap(status, out, "flip")
    }

    /// Lossless rotation by a right angle, clockwise.
    pub(crate) fn rot(&self, angle: Angle) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        let angle = angle.to_c();
        // SAFETY: live input, valid out-pointer, VipsAngle as c_int, NULL terminator.
        let status = unsafe { ffi::vips_rot(self.ptr(), &mut out, angle, ptr::null::<c_void>()) };
        wrap(status, out, "rot")
    }

    /// Rotation by any angle onto the bounding-box canvas, new pixels set to `background`
    /// (one value per band).
    pub(crate) fn rotate(&self, degrees: f64, background: &[f64]) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        let status = with_array_double(background, |array| {
            // SAFETY: live input, valid out-pointer, angle as double; "background" is
            // declared VipsArrayDouble* and gets one, then the NULL terminator.
            unsafe {
                ffi::vips_rotate(
                    self.ptr(),
                    &mut out,
                    degrees,
                    c"background".as_ptr(),
                    array,
                    ptr::null::<c_void>(),
                )
            }
        });
        wrap(status, out, "rotate")
    }

    /// Converts to 8-bit sRGB through ICC profiles (lcms2): from the embedded profile, else
    /// libvips' default for the image's type (its CMYK profile for CMYK), with the relative
    /// colorimetric intent and no black-point compensation, as browsers do. Alpha is kept.
    pub(crate) fn icc_to_srgb(&self) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer, NUL-terminated strings; each optional
        // argument is a (name, value) pair of the type libvips declares (gboolean and
        // VipsIntent as int, depth as int), then the NULL terminator.
        let status = unsafe {
            ffi::vips_icc_transform(
                self.ptr(),
                &mut out,
                c"srgb".as_ptr(),
                c"embedded".as_ptr(),
                1 as c_int,
                c"intent".as_ptr(),
                ffi::VIPS_INTENT_RELATIVE,
                c"depth".as_ptr(),
                8 as c_int,
                ptr::null::<c_void>(),
            )
        };
        wrap(status, out, "icc_transform")
    }

    pub(crate) fn cast_uchar(&self) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer, VipsBandFormat as c_int, NULL terminator.
        let status = unsafe {
            ffi::vips_cast(
                self.ptr(),
                &mut out,
                ffi::VIPS_FORMAT_UCHAR,
                ptr::null::<c_void>(),
            )
        };
        wrap(status, out, "cast")
    }

    /// Converts to another interpretation (e.g. sRGB, grey); extra bands such as alpha are
    /// kept.
    pub(crate) fn colourspace(&self, space: Interpretation) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        let space = space.to_c();
        // SAFETY: live input, valid out-pointer, VipsInterpretation as c_int, NULL terminator.
        let status =
            unsafe { ffi::vips_colourspace(self.ptr(), &mut out, space, ptr::null::<c_void>()) };
        wrap(status, out, "colourspace")
    }

    pub(crate) fn add_alpha(&self) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        // SAFETY: live input, valid out-pointer, NULL terminator.
        let status = unsafe { ffi::vips_addalpha(self.ptr(), &mut out, ptr::null::<c_void>()) };
        wrap(status, out, "addalpha")
    }

    /// Removes alpha by compositing onto `background` (one value per colour band).
    pub(crate) fn flatten(&self, background: &[f64]) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        let status = with_array_double(background, |array| {
            // SAFETY: live input, valid out-pointer; "background" is declared
            // VipsArrayDouble* and gets one, then the NULL terminator.
            unsafe {
                ffi::vips_flatten(
                    self.ptr(),
                    &mut out,
                    c"background".as_ptr(),
                    array,
                    ptr::null::<c_void>(),
                )
            }
        });
        wrap(status, out, "flatten")
    }

    /// 255 where a band is >= `threshold`, else 0 (uchar).
    pub(crate) fn threshold(&self, threshold: f64) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
        let op = ffi::VIPS_OPERATION_RELATIONAL_MOREEQ;
        // SAFETY: live input, valid out-pointer, relational enum as c_int, constant as
        // double, NULL terminator.
        let status = unsafe {
            ffi::vips_relational_const1(self.ptr(), &mut out, op, threshold, ptr::null::<c_void>())
        };
        wrap(status, out, "relational_const1")
    }
}
