//! A libvips custom source whose read and seek callbacks call [`Source::read_into`].
//!
//! This is the one road by which image bytes reach libvips, for local files and S3 alike,
//! so range reads and the block cache apply to every loader. libvips calls the callbacks on
//! its worker threads (any of them, one at a time per source: loaders serialise access to
//! their source), so the state is `Send + Sync` and its position lives behind a mutex.
//!
//! Ownership: each connected signal holds one `Arc` of the state, released by GLib's
//! destroy notify when the source is finalised, so the state lives exactly as long as
//! libvips might call back. The Rust handle holds a GObject reference and one more `Arc`,
//! through which the renderer reads the last source error after a failure: libvips only
//! knows "read failed", we know "not found" or "throttled".

use super::ffi::{self, gint64, GCallback};
use super::runtime::take_error;
use crate::metrics::meter::{self, RequestMeter};
use crate::render::error::RenderError;
use crate::source::{Source, SourceError, SourceErrorKind};
use std::ffi::{c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What the callbacks share: the byte source, the read position, the last failure.
struct SourceState {
    source: Arc<dyn Source>,
    position: Mutex<u64>,
    last_error: Mutex<Option<SourceError>>,
    /// Meters of the renders computing from this source now, newest last: a read on a
    /// libvips worker thread (which carries no request of its own) is the newest one's.
    readers: Mutex<Vec<Arc<RequestMeter>>>,
}

/// Locks tolerate poisoning: a panic caught in one callback must not wedge the source.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SourceState {
    fn fail(&self, err: SourceError) -> gint64 {
        tracing::warn!(source = self.source.identity(), error = %err, "image source read failed");
        *lock(&self.last_error) = Some(err);
        -1
    }

    fn read(&self, buffer: *mut c_void, length: gint64) -> gint64 {
        let Ok(wanted) = usize::try_from(length) else {
            return 0;
        };
        let _entered = match meter::current() {
            Some(_) => None,
            None => lock(&self.readers)
                .last()
                .map(|reader| meter::enter(Some(Arc::clone(reader)))),
        };
        let mut position = lock(&self.position);
        // SAFETY: libvips passes a writable buffer of at least `length` bytes that nothing
        // else touches during the call.
        let buffer = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), wanted) };
        let n = match self.source.read_into(*position, buffer) {
            Ok(n) => n,
            Err(err) => return self.fail(err),
        };
        *position += n as u64;
        n as gint64
    }

    fn seek(&self, offset: gint64, whence: c_int) -> gint64 {
        let mut position = lock(&self.position);
        let base = match whence {
            0 => 0,                         // SEEK_SET
            1 => *position as i128,         // SEEK_CUR
            2 => self.source.len() as i128, // SEEK_END
            _ => return -1,
        };
        let target = base + offset as i128;
        if target < 0 || target > i64::MAX as i128 {
            return -1;
        }
        *position = target as u64;
        target as gint64
    }
}

/// Runs a callback body, turning a panic into a recorded error and -1.
fn guarded(state: &SourceState, body: impl FnOnce() -> gint64) -> gint64 {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        state.fail(SourceError::new(
            SourceErrorKind::Other,
            "panic in source callback",
        ))
    })
}

unsafe extern "C" fn read_cb(
    _custom: *mut c_void,
    buffer: *mut c_void,
    length: gint64,
    data: *mut c_void,
) -> gint64 {
    // SAFETY: `data` is the Arc<SourceState> pointer given at connect time, kept alive
    // until the destroy notify runs, which GLib does only after the last callback.
    let state = unsafe { &*data.cast::<SourceState>() };
    guarded(state, || state.read(buffer, length))
}

unsafe extern "C" fn seek_cb(
    _custom: *mut c_void,
    offset: gint64,
    whence: c_int,
    data: *mut c_void,
) -> gint64 {
    // SAFETY: as in read_cb.
    let state = unsafe { &*data.cast::<SourceState>() };
    guarded(state, || state.seek(offset, whence))
}

unsafe extern "C" fn release_state(data: *mut c_void, _closure: *mut c_void) {
    // SAFETY: `data` came from Arc::into_raw for this one connection; GLib calls the
    // destroy notify exactly once, so this balances that into_raw.
    drop(unsafe { Arc::from_raw(data.cast::<SourceState>()) });
}

/// A render's claim on its source's worker-thread reads; released when dropped.
pub(crate) struct Attributed {
    state: Arc<SourceState>,
    meter: Option<Arc<RequestMeter>>,
}

impl Drop for Attributed {
    fn drop(&mut self) {
        if let Some(meter) = self.meter.take() {
            let mut readers = lock(&self.state.readers);
            if let Some(at) = readers.iter().rposition(|r| Arc::ptr_eq(r, &meter)) {
                readers.remove(at);
            }
        }
    }
}

/// An owned reference to a `VipsSourceCustom` reading from a [`Source`].
pub(crate) struct VipsSourceHandle {
    ptr: NonNull<ffi::VipsSource>,
    state: Arc<SourceState>,
}

// SAFETY: the GObject reference may be released from any thread (atomic refcount), and
// libvips serialises use of a source inside the loader that owns it; the Rust-side state is
// Send + Sync (Arc<dyn Source + Send + Sync>, mutexes).
unsafe impl Send for VipsSourceHandle {}
// SAFETY: see Send; through `&self` we only hand the pointer to libvips and read the
// mutex-guarded last error.
unsafe impl Sync for VipsSourceHandle {}

impl VipsSourceHandle {
    /// Credits reads made on threads of no request (libvips' workers) to `meter` until the
    /// guard drops: for the duration of one render.
    pub(crate) fn attribute(&self, meter: Option<Arc<RequestMeter>>) -> Attributed {
        if let Some(meter) = &meter {
            lock(&self.state.readers).push(Arc::clone(meter));
        }
        Attributed {
            state: Arc::clone(&self.state),
            meter,
        }
    }

    pub(crate) fn new(source: Arc<dyn Source>) -> Result<Self, RenderError> {
        let state = Arc::new(SourceState {
            source,
            position: Mutex::new(0),
            last_error: Mutex::new(None),
            readers: Mutex::new(Vec::new()),
        });
        // SAFETY: libvips is started by the renderer before any source is made; the call
        // returns a new reference or NULL.
        let raw = unsafe { ffi::vips_source_custom_new() };
        let ptr = NonNull::new(raw).ok_or_else(|| {
            RenderError::internal(format!("vips_source_custom_new: {}", take_error()))
        })?;
        let handle = VipsSourceHandle { ptr, state };
        // SAFETY: the casts give each handler the exact C signature the "read" and "seek"
        // signals declare (connection.h: gint64 (*)(VipsSourceCustom *, void *, gint64) and
        // gint64 (*)(VipsSourceCustom *, gint64, int), plus the user-data pointer).
        let (read, seek) = unsafe {
            (
                std::mem::transmute::<
                    unsafe extern "C" fn(*mut c_void, *mut c_void, gint64, *mut c_void) -> gint64,
                    GCallback,
                >(read_cb),
                std::mem::transmute::<
                    unsafe extern "C" fn(*mut c_void, gint64, c_int, *mut c_void) -> gint64,
                    GCallback,
                >(seek_cb),
            )
        };
        handle.connect(c"read", read)?;
        handle.connect(c"seek", seek)?;
        Ok(handle)
    }

    fn connect(&self, signal: &CStr, handler: GCallback) -> Result<(), RenderError> {
        let data = Arc::into_raw(Arc::clone(&self.state))
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: live source object; NUL-terminated signal name; `data` stays valid until
        // `release_state` runs when the handler is disconnected at finalisation.
        let id = unsafe {
            ffi::g_signal_connect_data(
                self.ptr.as_ptr().cast::<c_void>(),
                signal.as_ptr(),
                handler,
                data,
                release_state,
                0,
            )
        };
        if id == 0 {
            // GLib refused the connection and will never call the destroy notify.
            // SAFETY: balances the into_raw above; nobody else saw `data`.
            drop(unsafe { Arc::from_raw(data.cast::<SourceState>()) });
            return Err(RenderError::internal(format!(
                "cannot connect {signal:?} on a custom source"
            )));
        }
        Ok(())
    }

    pub(crate) fn as_ptr(&self) -> *mut ffi::VipsSource {
        self.ptr.as_ptr()
    }

    /// The last error the source reported, if any: the real cause behind a libvips
    /// "read failed".
    pub(crate) fn last_error(&self) -> Option<SourceError> {
        lock(&self.state.last_error).clone()
    }
}

impl Drop for VipsSourceHandle {
    fn drop(&mut self) {
        // SAFETY: we own one reference, released once; images loaded from the source hold
        // their own references, so this never frees a source still in use.
        unsafe { ffi::g_object_unref(self.ptr.as_ptr().cast::<c_void>()) };
    }
}
