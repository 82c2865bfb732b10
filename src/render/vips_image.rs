//! [`VipsImage`]: the one owning handle for a libvips image, and every operation we use.
//!
//! Each operation follows one idiom: call libvips into a NULL out-pointer; on failure take
//! the error buffer at once; on success wrap the new reference. Inputs are borrowed (`&self`):
//! libvips operations take their own reference to their inputs, so the caller's handle
//! stays valid and independent. Optional arguments are passed as libvips option strings
//! where libvips offers them; the few named variadic arguments left pass exactly the C
//! type the operation declares (`int` enums, `VipsArrayDouble *`).

use super::error::RenderError;
use super::vips_ffi as ffi;
use super::vips_runtime::take_error;
use super::vips_source::VipsSourceHandle;
use std::ffi::{c_int, c_void, CString};
use std::ptr::{self, NonNull};

/// An owned reference to an immutable libvips image. Drop releases it.
pub(crate) struct VipsImage(NonNull<ffi::VipsImage>);

// SAFETY: a built VipsImage is immutable; libvips documents images as shareable between
// threads (its own operation cache hands one image to many threads). Reference counting
// is atomic in GObject, and lazily started loaders serialise their start under the
// image's own lock, so moving or sharing the handle across threads is sound.
unsafe impl Send for VipsImage {}
// SAFETY: see `Send`; every method takes `&self` and only reads or builds new images.
unsafe impl Sync for VipsImage {}

impl Clone for VipsImage {
    /// A second owning handle: takes a new GObject reference explicitly.
    fn clone(&self) -> Self {
        // SAFETY: self.0 is a live image we hold a reference to; g_object_ref returns it.
        unsafe { ffi::g_object_ref(self.0.as_ptr().cast::<c_void>()) };
        VipsImage(self.0)
    }
}

impl Drop for VipsImage {
    fn drop(&mut self) {
        // SAFETY: we own exactly one reference, released exactly once here.
        unsafe { ffi::g_object_unref(self.0.as_ptr().cast::<c_void>()) };
    }
}

/// Wraps the result of a libvips call that wrote an image into `out`.
fn wrap(status: c_int, out: *mut ffi::VipsImage, what: &str) -> Result<VipsImage, RenderError> {
    match NonNull::new(out) {
        Some(image) if status == 0 => Ok(VipsImage(image)),
        Some(image) => {
            // Defensive: a failed call should not hand back an image, but if one does we
            // still own it.
            drop(VipsImage(image));
            Err(RenderError::internal(format!("{what}: {}", take_error())))
        }
        None => Err(RenderError::internal(format!("{what}: {}", take_error()))),
    }
}

fn c_int_of(value: u32, what: &str) -> Result<c_int, RenderError> {
    c_int::try_from(value).map_err(|_| RenderError::internal(format!("{what}: {value} too large")))
}

fn c_string(text: &str) -> Result<CString, RenderError> {
    CString::new(text).map_err(|_| RenderError::internal(format!("NUL in option string {text:?}")))
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
    fn ptr(&self) -> *mut ffi::VipsImage {
        self.0.as_ptr()
    }

    /// Opens an image from a source; `options` is a libvips option string such as
    /// `"page=2,access=random"`, checked by libvips against the sniffed loader.
    pub(crate) fn from_source(
        source: &VipsSourceHandle,
        options: &str,
    ) -> Result<Self, RenderError> {
        let options = c_string(options)?;
        // SAFETY: the source pointer is live for the call; options is NUL-terminated; the
        // variadic list is just the terminating NULL.
        let out = unsafe {
            ffi::vips_image_new_from_source(
                source.as_ptr(),
                options.as_ptr(),
                ptr::null::<c_void>(),
            )
        };
        wrap(0, out, "load")
    }

    pub(crate) fn width(&self) -> u32 {
        // SAFETY: live image; a plain getter.
        unsafe { ffi::vips_image_get_width(self.ptr()) }.max(0) as u32
    }

    pub(crate) fn height(&self) -> u32 {
        // SAFETY: live image; a plain getter.
        unsafe { ffi::vips_image_get_height(self.ptr()) }.max(0) as u32
    }

    pub(crate) fn bands(&self) -> u32 {
        // SAFETY: live image; a plain getter.
        unsafe { ffi::vips_image_get_bands(self.ptr()) }.max(0) as u32
    }

    /// The `VipsInterpretation` value (see the constants in `vips_ffi`).
    pub(crate) fn interpretation(&self) -> c_int {
        // SAFETY: live image; a plain getter.
        unsafe { ffi::vips_image_get_interpretation(self.ptr()) }
    }

    /// The `VipsBandFormat` value.
    pub(crate) fn band_format(&self) -> c_int {
        // SAFETY: live image; a plain getter.
        unsafe { ffi::vips_image_get_format(self.ptr()) }
    }

    pub(crate) fn has_alpha(&self) -> bool {
        // SAFETY: live image; a plain predicate.
        unsafe { ffi::vips_image_hasalpha(self.ptr()) != 0 }
    }

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

    /// Lossless rotation by a `VipsAngle` (one of `VIPS_ANGLE_D90/D180/D270`).
    pub(crate) fn rot(&self, angle: c_int) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
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

    /// Converts to a `VipsInterpretation` (e.g. sRGB, B_W); extra bands such as alpha are kept.
    pub(crate) fn colourspace(&self, space: c_int) -> Result<Self, RenderError> {
        let mut out = ptr::null_mut();
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

    /// Computes every pixel now into a memory image; the only step where reads and decoding
    /// of a lazy pipeline actually happen.
    pub(crate) fn copy_memory(&self) -> Result<Self, RenderError> {
        // SAFETY: live input; returns a new reference or NULL with the error buffer set.
        let out = unsafe { ffi::vips_image_copy_memory(self.ptr()) };
        wrap(0, out, "copy_memory")
    }

    /// Encodes with a saver chosen and configured by `suffix`, e.g. `".jpg[Q=85,strip]"`.
    pub(crate) fn write_to_buffer(&self, suffix: &str) -> Result<Vec<u8>, RenderError> {
        let suffix = c_string(suffix)?;
        let mut buf: *mut c_void = ptr::null_mut();
        let mut len: usize = 0;
        // SAFETY: live input, NUL-terminated suffix, valid out-pointers, NULL terminator.
        let status = unsafe {
            ffi::vips_image_write_to_buffer(
                self.ptr(),
                suffix.as_ptr(),
                &mut buf,
                &mut len,
                ptr::null::<c_void>(),
            )
        };
        if status != 0 || buf.is_null() {
            return Err(RenderError::internal(format!(
                "write_to_buffer: {}",
                take_error()
            )));
        }
        // SAFETY: on success libvips hands us `len` bytes at `buf`, allocated with g_malloc;
        // we copy them and free the original exactly once.
        unsafe {
            let bytes = std::slice::from_raw_parts(buf.cast::<u8>(), len).to_vec();
            ffi::g_free(buf);
            Ok(bytes)
        }
    }
}
