//! An in-memory source, for unit tests and for bytes already fetched whole.

use super::{Source, SourceError};
use bytes::Bytes;

/// A source over bytes held in memory.
pub struct MemorySource {
    bytes: Bytes,
    identity: String,
}

impl MemorySource {
    pub fn new(bytes: impl Into<Bytes>, identity: impl Into<String>) -> Self {
        MemorySource { bytes: bytes.into(), identity: identity.into() }
    }
}

impl Source for MemorySource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
        let total = self.bytes.len() as u64;
        let start = offset.min(total) as usize;
        let end = offset.saturating_add(len as u64).min(total) as usize;
        Ok(self.bytes.slice(start..end))
    }

    fn identity(&self) -> &str {
        &self.identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_clipped_at_the_end() {
        let src = MemorySource::new(vec![1u8, 2, 3, 4, 5], "mem:test");
        assert_eq!(&src.read_at(1, 2).unwrap()[..], &[2, 3]);
        assert_eq!(&src.read_at(3, 10).unwrap()[..], &[4, 5]);
        assert!(src.read_at(5, 1).unwrap().is_empty());
        assert!(src.read_at(u64::MAX, 4).unwrap().is_empty());
    }
}
