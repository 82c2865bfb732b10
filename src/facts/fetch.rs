//! Every byte the facts readers look at comes through a [`Fetcher`]: a few remembered
//! windows over a [`Source`], so that parsing a directory entry by entry costs one read.
//!
//! Each miss reads at least [`CHUNK`] bytes at the wanted offset. 4 KiB holds a typical
//! TIFF directory (15-25 entries of 12 or 20 bytes) and the small out-of-line values
//! libtiff writes right behind it (BitsPerSample, resolutions), and keeps an 8-level
//! pyramid walk well under 64 KiB; a bigger directory costs one more read for its tail.
//! Reads are counted so callers can report, and tests can pin, the cost of a walk.
//!
//! Reads are also budgeted: an object may cost [`BASE_READS`] reads, and a format that
//! finds more structure (a TIFF directory) allows more for each part it finds. Every
//! bound on the parsers' own loops counts entries or segments, not reads, and a hostile
//! file can make each of those a read (4096 directory entries whose values sit 4 KiB
//! apart are 4096 sequential S3 GETs): the budget bounds what that costs in one place.

use super::error::FactsError;
use crate::source::Source;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;

/// The least a miss reads.
pub(crate) const CHUNK: usize = 4096;
/// The most one request may ask for: far beyond any sane header, far below "the file".
const MAX_REQUEST: usize = 1 << 20;
/// Windows remembered; a directory's values are near it, so a few suffice.
const MAX_WINDOWS: usize = 8;
/// Reads any object may cost before its structure allows more: a JPEG's marker chain
/// behind large EXIF, XMP and ICC segments takes a handful.
pub(crate) const BASE_READS: u32 = 16;

struct Window {
    offset: u64,
    data: Bytes,
}

impl Window {
    fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// Reads through a handful of cached windows and counts the reads.
pub(crate) struct Fetcher<'a> {
    source: &'a dyn Source,
    len: u64,
    windows: VecDeque<Window>,
    reads: u32,
    allowed: u32,
}

impl<'a> Fetcher<'a> {
    pub(crate) fn new(source: &'a dyn Source) -> Self {
        Fetcher {
            source,
            len: source.len(),
            windows: VecDeque::new(),
            reads: 0,
            allowed: BASE_READS,
        }
    }

    /// Length of the object.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Reads issued to the source so far.
    pub(crate) fn reads(&self) -> u32 {
        self.reads
    }

    /// Allows `more` reads beyond those allowed so far.
    pub(crate) fn allow(&mut self, more: u32) {
        self.allowed = self.allowed.saturating_add(more);
    }

    /// Exactly `len` bytes at `offset`, or a Corrupt error naming `what` when the object
    /// ends first.
    pub(crate) fn exact(
        &mut self,
        offset: u64,
        len: usize,
        what: &str,
    ) -> Result<Bytes, FactsError> {
        let fits = offset
            .checked_add(len as u64)
            .is_some_and(|end| end <= self.len);
        if !fits {
            return Err(FactsError::corrupt(format!(
                "{what} at offset {offset} (+{len} bytes) runs past the end ({} bytes)",
                self.len
            )));
        }
        let bytes = self.clipped(offset, len)?;
        if bytes.len() < len {
            return Err(FactsError::corrupt(format!(
                "{what} at offset {offset} is truncated"
            )));
        }
        Ok(bytes)
    }

    /// Up to `len` bytes at `offset`; fewer only where the object ends.
    pub(crate) fn clipped(&mut self, offset: u64, len: usize) -> Result<Bytes, FactsError> {
        if len > MAX_REQUEST {
            return Err(FactsError::corrupt(format!(
                "a {len}-byte header field is implausible"
            )));
        }
        let end = offset.saturating_add(len as u64).min(self.len);
        if offset >= end {
            return Ok(Bytes::new());
        }
        let window = self.window_for(offset, end)?;
        let start = (offset - window.offset) as usize;
        let stop = ((end - window.offset) as usize).min(window.data.len());
        Ok(window.data.slice(start..stop.max(start)))
    }

    /// A window holding `[offset, end)`, reading what is missing. A window that holds the
    /// start but not the end is extended by reading only its missing tail.
    fn window_for(&mut self, offset: u64, end: u64) -> Result<&Window, FactsError> {
        let found = self
            .windows
            .iter()
            .position(|w| w.offset <= offset && offset < w.end());
        if let Some(i) = found.filter(|&i| self.windows[i].end() >= end) {
            return Ok(&self.windows[i]);
        }
        let window = match found.and_then(|i| self.windows.remove(i)) {
            Some(old) => {
                let tail = self.read(old.end(), (end - old.end()) as usize)?;
                let mut joined = BytesMut::from(&old.data[(offset - old.offset) as usize..]);
                joined.extend_from_slice(&tail);
                Window {
                    offset,
                    data: joined.freeze(),
                }
            }
            None => Window {
                offset,
                data: self.read(offset, (end - offset) as usize)?,
            },
        };
        if self.windows.len() >= MAX_WINDOWS {
            self.windows.pop_front();
        }
        self.windows.push_back(window);
        let last = self.windows.len() - 1;
        Ok(&self.windows[last])
    }

    /// One read of at least [`CHUNK`] bytes, clipped to the object, within the budget.
    fn read(&mut self, offset: u64, want: usize) -> Result<Bytes, FactsError> {
        if self.reads >= self.allowed {
            // Not a read error and not a parse error: a file laid out so that describing it
            // costs more than any sane one, which this server will not serve.
            return Err(FactsError::unsupported(format!(
                "describing the image takes more than {} reads",
                self.allowed
            )));
        }
        let room = self.len.saturating_sub(offset);
        let len = (want.max(CHUNK) as u64).min(room) as usize;
        self.reads += 1;
        Ok(self.source.read_at(offset, len)?)
    }
}
