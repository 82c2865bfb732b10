//! The small reads a stored tile needs before its own bytes (one entry of each tile array
//! and the level's JPEGTables), made as one read when they lie together.
//!
//! Writers put a directory's arrays and tables beside it (libtiff writes them with the
//! directory), so the three usually sit within a few kilobytes; read one after the other
//! they would cost three round trips to S3 on a cold cache, read as one span they cost
//! one. Scattered ones are read apart, as before: a span is never read beyond
//! [`MAX_SPAN`], so a hostile layout cannot turn a tile into a large download.

use crate::source::{Source, SourceError};
use bytes::Bytes;
use std::ops::Range;

/// The most one gathering read fetches: the two 8-byte entries of a 100 000-tile level
/// can be 1.6 MB apart, where reading apart is cheaper than reading between.
pub(crate) const MAX_SPAN: u64 = 256 * 1024;

/// A source with one window read ahead; reads inside the window cost nothing.
pub(crate) struct Nearby<'s> {
    source: &'s dyn Source,
    start: u64,
    window: Bytes,
}

impl<'s> Nearby<'s> {
    /// Reads the span covering `wanted` in one read when it is at most [`MAX_SPAN`] long
    /// and more than one range is wanted; otherwise reads nothing ahead.
    pub(crate) fn gather(
        source: &'s dyn Source,
        wanted: impl IntoIterator<Item = Range<u64>>,
    ) -> Result<Self, SourceError> {
        let (mut start, mut end, mut count) = (u64::MAX, 0, 0);
        for range in wanted {
            start = start.min(range.start);
            end = end.max(range.end);
            count += 1;
        }
        let mut nearby = Nearby {
            source,
            start: 0,
            window: Bytes::new(),
        };
        if count > 1 && end - start <= MAX_SPAN && end <= source.len() {
            nearby.window = source.read_at(start, (end - start) as usize)?;
            nearby.start = start;
        }
        Ok(nearby)
    }
}

impl Source for Nearby<'_> {
    fn len(&self) -> u64 {
        self.source.len()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
        let window_end = self.start + self.window.len() as u64;
        match offset.checked_add(len as u64) {
            Some(end) if offset >= self.start && end <= window_end => {
                let at = (offset - self.start) as usize;
                Ok(self.window.slice(at..at + len))
            }
            _ => self.source.read_at(offset, len),
        }
    }

    fn identity(&self) -> &str {
        self.source.identity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemorySource;
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

    /// Counts the reads that reach the object.
    struct Counted {
        inner: MemorySource,
        reads: AtomicU32,
    }

    impl Source for Counted {
        fn len(&self) -> u64 {
            self.inner.len()
        }
        fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
            self.reads.fetch_add(1, Relaxed);
            self.inner.read_at(offset, len)
        }
        fn identity(&self) -> &str {
            self.inner.identity()
        }
    }

    fn counted(len: usize) -> Counted {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        Counted {
            inner: MemorySource::new(bytes, "nearby"),
            reads: AtomicU32::new(0),
        }
    }

    #[test]
    fn ranges_lying_together_cost_one_read_and_read_the_same_bytes() {
        let source = counted(100_000);
        let nearby = Nearby::gather(&source, [1000..1008, 5000..5008, 3000..3500]).unwrap();
        assert_eq!(source.reads.load(Relaxed), 1);
        for (offset, len) in [(1000, 8), (5000, 8), (3000, 500), (1000, 4008)] {
            let got = nearby.read_at(offset, len).unwrap();
            assert_eq!(got, source.inner.read_at(offset, len).unwrap());
        }
        assert_eq!(source.reads.load(Relaxed), 1, "all inside the window");
        nearby.read_at(90_000, 8).unwrap();
        assert_eq!(
            source.reads.load(Relaxed),
            2,
            "outside: read from the source"
        );
    }

    #[test]
    fn scattered_or_single_ranges_are_not_read_ahead() {
        let source = counted(2_000_000);
        let far = Nearby::gather(&source, [0..8, MAX_SPAN..MAX_SPAN + 8]).unwrap();
        assert_eq!(source.reads.load(Relaxed), 0, "too far apart");
        assert_eq!(
            far.read_at(0, 8).unwrap(),
            source.inner.read_at(0, 8).unwrap()
        );
        let one = Nearby::gather(&source, std::iter::once(100..108)).unwrap();
        one.read_at(100, 8).unwrap();
        let none = Nearby::gather(&source, []).unwrap();
        assert_eq!(none.len(), 2_000_000);
        assert_eq!(
            source.reads.load(Relaxed),
            2,
            "one read each, nothing ahead"
        );
    }
}
