//! Process-wide libvips state: start-up, the version string, and the error buffer.
//!
//! libvips is initialised once per process (`vips_init` is not meant to run twice) and its
//! operation cache is switched off: that cache holds references to recently used images
//! and so to their sources, which would keep objects (and S3 clients' buffers) alive that
//! our own opened-image cache already decides about, with no bound we control.

use super::ffi;
use crate::render::error::RenderError;
use std::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

static STARTED: OnceLock<Result<(), RenderError>> = OnceLock::new();

/// Starts libvips once (later calls return the first result) and applies `concurrency`
/// (libvips worker threads per pipeline; 0 keeps libvips' default, the CPU count).
///
/// The concurrency is applied on every call because it is a plain setter: the image core may
/// call this after a [`crate::render::Renderer`] already started libvips with the default.
pub fn init(concurrency: usize) -> Result<(), RenderError> {
    ensure_started()?;
    let threads = c_int::try_from(concurrency).unwrap_or(c_int::MAX);
    // SAFETY: libvips is initialised (above); vips_concurrency_set only stores an int.
    unsafe { ffi::vips_concurrency_set(threads) };
    Ok(())
}

/// Starts libvips with its defaults unless that already happened.
pub(crate) fn ensure_started() -> Result<(), RenderError> {
    STARTED.get_or_init(start).clone()
}

fn start() -> Result<(), RenderError> {
    // SAFETY: called exactly once (OnceLock) with a NUL-terminated argv0 that outlives the
    // call; vips_init copies what it keeps.
    let status = unsafe { ffi::vips_init(c"tessera".as_ptr()) };
    if status != 0 {
        return Err(RenderError::internal(format!(
            "vips_init failed: {}",
            take_error()
        )));
    }
    // SAFETY: libvips is initialised; this only stores an int.
    unsafe { ffi::vips_cache_set_max(0) };
    Ok(())
}

/// Whether libvips was built with lcms2, so ICC profiles can be applied.
pub(crate) fn icc_present() -> bool {
    // SAFETY: reads a build-time flag; needs no initialisation.
    unsafe { ffi::vips_icc_present() != 0 }
}

/// The linked libvips version, e.g. "8.14.1".
pub fn version() -> String {
    // SAFETY: vips_version_string returns a pointer to a static NUL-terminated string and
    // needs no initialisation.
    unsafe { CStr::from_ptr(ffi::vips_version_string()) }
        .to_string_lossy()
        .into_owned()
}

/// Takes libvips' error buffer and clears it.
///
/// The buffer is global to the process, not per thread, so it is read right after the
/// failing call; under concurrency a message may still carry a neighbour's text, which is
/// acceptable for a log line and never used for control flow.
pub(crate) fn take_error() -> String {
    // SAFETY: vips_error_buffer_copy returns a newly allocated NUL-terminated string (or
    // NULL), which we copy and release with g_free as its documentation requires.
    unsafe {
        let raw = ffi::vips_error_buffer_copy();
        ffi::vips_error_clear();
        if raw.is_null() {
            return String::from("unknown libvips error");
        }
        let text = CStr::from_ptr(raw).to_string_lossy().trim_end().to_owned();
        ffi::g_free(raw.cast::<c_void>());
        if text.is_empty() {
            String::from("unknown libvips error")
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_is_idempotent_and_reports_the_linked_version() {
        init(2).expect("starts");
        init(0).expect("starts again");
        assert!(version().starts_with("8."), "{}", version());
    }
}
