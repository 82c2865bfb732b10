//! An OpenJPEG input stream whose read, skip and seek callbacks call
//! [`Source::read_into`]: the same road libvips' own reads take (range reads and the block
//! cache for S3, `pread` for files), so a direct decode reads only the bytes it needs.
//!
//! OpenJPEG owns the state through the stream's user data and frees it with the stream.
//! A source failure is kept in the state, so the caller can answer "not found" or
//! "throttled" rather than OpenJPEG's "stream too short".

use super::ffi::{self, OpjBool, OpjOff, OpjSize, OpjStream};
use crate::source::{Source, SourceError, SourceErrorKind};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

/// OpenJPEG's buffer: it reads this much at a time, and this much again after every skip
/// (one tile-part header per tile outside the window). Measured on an 8000x6000 file of
/// 512 px tiles: 16 KiB cost 70 ms of CPU for a 1000x750 view (which reads all 18 MB),
/// 64 KiB 76-77 ms; OpenJPEG's default of 1 MiB would read a megabyte per skipped tile.
const CHUNK_BYTES: usize = 16 * 1024;

/// OpenJPEG's "end of stream or error" for reads (`(OPJ_SIZE_T)-1`).
const READ_FAILED: OpjSize = OpjSize::MAX;

/// What the callbacks share with the decoder's owner.
pub(super) struct StreamState {
    source: Arc<dyn Source>,
    position: u64,
    /// The first source failure, shared with the [`super::Decoder`] that reads it after a
    /// failed call.
    failure: Arc<Mutex<Option<SourceError>>>,
}

impl StreamState {
    fn read(&mut self, buffer: *mut c_void, wanted: OpjSize) -> OpjSize {
        let left = self.source.len().saturating_sub(self.position);
        let wanted = (wanted as u64).min(left) as usize;
        if wanted == 0 {
            return READ_FAILED;
        }
        // SAFETY: OpenJPEG passes a writable buffer of at least the asked length (which
        // `wanted` does not exceed) that nothing else touches during the call.
        let buffer = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), wanted) };
        match self.source.read_into(self.position, buffer) {
            Ok(n) if n > 0 => {
                self.position += n as u64;
                n
            }
            Ok(_) => READ_FAILED,
            Err(err) => {
                tracing::warn!(source = self.source.identity(), error = %err,
                    "image source read failed (JPEG 2000)");
                let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
                failure.get_or_insert(err);
                READ_FAILED
            }
        }
    }

    fn seek(&mut self, to: OpjOff) -> bool {
        match u64::try_from(to) {
            Ok(to) => {
                self.position = to;
                true
            }
            Err(_) => false,
        }
    }
}

/// Makes a stream over `source`; OpenJPEG frees the state with the stream.
pub(super) fn new_stream(
    source: Arc<dyn Source>,
    failure: Arc<Mutex<Option<SourceError>>>,
) -> *mut OpjStream {
    let length = source.len();
    let state = Box::new(StreamState {
        source,
        position: 0,
        failure,
    });
    // SAFETY: a new input stream (TRUE); the callbacks match OpenJPEG's signatures; the
    // user data is a leaked Box that `free_state` reclaims exactly once, when OpenJPEG
    // destroys the stream.
    unsafe {
        let stream = ffi::opj_stream_create(CHUNK_BYTES, 1);
        if stream.is_null() {
            return stream;
        }
        ffi::opj_stream_set_user_data(stream, Box::into_raw(state).cast(), Some(free_state));
        ffi::opj_stream_set_user_data_length(stream, length);
        ffi::opj_stream_set_read_function(stream, read_cb);
        ffi::opj_stream_set_skip_function(stream, skip_cb);
        ffi::opj_stream_set_seek_function(stream, seek_cb);
        stream
    }
}

/// Runs a callback body; a panic becomes a recorded failure and OpenJPEG's error value.
fn guarded<T>(state: &mut StreamState, failed: T, body: impl FnOnce(&mut StreamState) -> T) -> T {
    match catch_unwind(AssertUnwindSafe(|| body(&mut *state))) {
        Ok(value) => value,
        Err(_) => {
            let mut failure = state.failure.lock().unwrap_or_else(PoisonError::into_inner);
            failure.get_or_insert(SourceError::new(
                SourceErrorKind::Other,
                "panic in JPEG 2000 source callback",
            ));
            failed
        }
    }
}

unsafe extern "C" fn read_cb(buffer: *mut c_void, length: OpjSize, data: *mut c_void) -> OpjSize {
    // SAFETY: `data` is the Box<StreamState> set in new_stream, alive until free_state;
    // OpenJPEG calls back on the decoding thread only, one call at a time.
    let state = unsafe { &mut *data.cast::<StreamState>() };
    guarded(state, READ_FAILED, |s| s.read(buffer, length))
}

unsafe extern "C" fn skip_cb(bytes: OpjOff, data: *mut c_void) -> OpjOff {
    // SAFETY: as in read_cb.
    let state = unsafe { &mut *data.cast::<StreamState>() };
    guarded(state, -1, |s| {
        let to = s.position as i128 + i128::from(bytes);
        match i64::try_from(to) {
            Ok(to) if s.seek(to) => bytes,
            _ => -1,
        }
    })
}

unsafe extern "C" fn seek_cb(to: OpjOff, data: *mut c_void) -> OpjBool {
    // SAFETY: as in read_cb.
    let state = unsafe { &mut *data.cast::<StreamState>() };
    OpjBool::from(guarded(state, false, |s| s.seek(to)))
}

unsafe extern "C" fn free_state(data: *mut c_void) {
    // SAFETY: `data` came from Box::into_raw in new_stream; OpenJPEG frees it once.
    drop(unsafe { Box::from_raw(data.cast::<StreamState>()) });
}
