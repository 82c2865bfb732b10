//! [`VipsImage`]: the one owning handle for a libvips image, with loading, reading its
//! header, computing and encoding (the pixel operations are in `ops.rs`).
//!
//! Each operation follows one idiom: call libvips into a NULL out-pointer; on failure take
//! the error buffer at once; on success wrap the new reference. Inputs are borrowed (`&self`):
//! libvips operations take their own reference to their inputs, so the caller's handle
//! stays valid and independent. Optional arguments are passed as libvips option strings
//! where libvips offers them; the few named variadic arguments left pass exactly the C
//! type the operation declares (`int` enums, `VipsArrayDouble *`).

use super::enums::{BandFormat, Interpretation};
use super::ffi;
use super::runtime::take_error;
use super::source::VipsSourceHandle;
use crate::render::error::RenderError;
use std::ffi::{c_int, c_void, CStr, CString};
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
pub(super) fn wrap(
    status: c_int,
    out: *mut ffi::VipsImage,
    what: &str,
) -> Result<VipsImage, RenderError> {
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

fn c_string(text: &str) -> Result<CString, RenderError> {
    CString::new(text).map_err(|_| RenderError::internal(format!("NUL in option string {text:?}")))
}

impl VipsImage {
    pub(super) fn ptr(&self) -> *mut ffi::VipsImage {
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

    /// Opens a file; `name` may carry a libvips option string, e.g. `"in.tif[page=1]"`.
    pub(crate) fn from_file(name: &str) -> Result<Self, RenderError> {
        let name = c_string(name)?;
        // SAFETY: NUL-terminated name; the variadic list is just the terminating NULL.
        let out = unsafe { ffi::vips_image_new_from_file(name.as_ptr(), ptr::null::<c_void>()) };
        wrap(0, out, "load file")
    }

    /// Saves with the saver `name`'s suffix chooses, configured by its option string, e.g.
    /// `"out.tif[tile,pyramid,compression=jpeg,Q=85]"`.
    pub(crate) fn write_to_file(&self, name: &str) -> Result<(), RenderError> {
        let name = c_string(name)?;
        // SAFETY: live input, NUL-terminated name, NULL terminator.
        let status = unsafe {
            ffi::vips_image_write_to_file(self.ptr(), name.as_ptr(), ptr::null::<c_void>())
        };
        if status != 0 {
            return Err(RenderError::internal(format!("save: {}", take_error())));
        }
        Ok(())
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

    /// How libvips reads the bands (sRGB, grey, ...).
    pub(crate) fn interpretation(&self) -> Interpretation {
        // SAFETY: live image; a plain getter.
        let raw = unsafe { ffi::vips_image_get_interpretation(self.ptr()) };
        Interpretation::from_c(raw)
    }

    /// The numeric type of one band of one pixel.
    pub(crate) fn band_format(&self) -> BandFormat {
        // SAFETY: live image; a plain getter.
        let raw = unsafe { ffi::vips_image_get_format(self.ptr()) };
        BandFormat::from_c(raw)
    }

    /// Bytes the pixels take once decoded into memory.
    pub(crate) fn memory_bytes(&self) -> u64 {
        u64::from(self.width())
            * u64::from(self.height())
            * u64::from(self.bands())
            * u64::from(self.band_format().bytes())
    }

    /// An integer header field, or `None` when the image has no such field (asked first, so
    /// a missing field leaves nothing in libvips' error buffer).
    pub(crate) fn int_field(&self, name: &std::ffi::CStr) -> Option<i32> {
        let mut value: c_int = 0;
        // SAFETY: live image, NUL-terminated name, valid out-pointer; get_int is called only
        // for a field that exists.
        unsafe {
            if ffi::vips_image_get_typeof(self.ptr(), name.as_ptr()) == 0 {
                return None;
            }
            (ffi::vips_image_get_int(self.ptr(), name.as_ptr(), &mut value) == 0).then_some(value)
        }
    }

    /// A blob header field (e.g. `icc-profile-data`), borrowed from the image's metadata,
    /// or `None` when the image has no such field.
    pub(crate) fn blob_field(&self, name: &std::ffi::CStr) -> Option<&[u8]> {
        let mut data: *const c_void = std::ptr::null();
        let mut length: usize = 0;
        // SAFETY: live image, NUL-terminated name, valid out-pointers; get_blob is called
        // only for a field that exists. The blob belongs to the image's metadata, which
        // nothing changes once the image is built, so it lives as long as `self`.
        unsafe {
            if ffi::vips_image_get_typeof(self.ptr(), name.as_ptr()) == 0 {
                return None;
            }
            if ffi::vips_image_get_blob(self.ptr(), name.as_ptr(), &mut data, &mut length) != 0
                || data.is_null()
            {
                return None;
            }
            Some(std::slice::from_raw_parts(data.cast::<u8>(), length))
        }
    }

    /// A copy without the fields that record a stored orientation: `orientation`, the
    /// EXIF block and every parsed `exif-*` field (savers rebuild the block from those),
    /// and the XMP block, which may carry one too. libvips 8.14's savers write them back
    /// even with `strip` (tiffsave the Orientation tag, webpsave an EXIF block), and a
    /// viewer would then turn the upright pixels again.
    pub(crate) fn without_orientation(&self) -> Result<Self, RenderError> {
        let mut out = std::ptr::null_mut();
        // SAFETY: live input, valid out-pointer, NULL terminator.
        let status = unsafe { ffi::vips_copy(self.ptr(), &mut out, std::ptr::null::<c_void>()) };
        let copy = wrap(status, out, "copy")?;
        let doomed = |name: &[u8]| {
            name == b"orientation" || name == b"xmp-data" || name.starts_with(b"exif-")
        };
        // SAFETY: `copy` is a new image no one else holds yet, so changing its header races
        // with nothing. get_fields returns a NULL-terminated array of NUL-terminated names
        // that we own and free once with g_strfreev (a copy: removals do not change it).
        unsafe {
            let fields = ffi::vips_image_get_fields(copy.ptr());
            if !fields.is_null() {
                let mut at = fields;
                while !(*at).is_null() {
                    if doomed(CStr::from_ptr(*at).to_bytes()) {
                        ffi::vips_image_remove(copy.ptr(), *at);
                    }
                    at = at.add(1);
                }
                ffi::g_strfreev(fields);
            }
        }
        Ok(copy)
    }

    /// Asks libvips to stop computing this image: a running evaluation fails at its next
    /// tile, and any later one at once. Only a flag is written, so any thread may call it.
    pub(crate) fn kill(&self) {
        // SAFETY: live image; vips_image_set_kill stores a gboolean that evaluation threads
        // poll (libvips' own way of cancelling a computation from another thread).
        unsafe { ffi::vips_image_set_kill(self.ptr(), 1) };
    }

    pub(crate) fn has_alpha(&self) -> bool {
        // SAFETY: live image; a plain predicate.
        unsafe { ffi::vips_image_hasalpha(self.ptr()) != 0 }
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
