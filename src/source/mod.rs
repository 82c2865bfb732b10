//! Bytes in: everything that reads image bytes goes through [`Source::read_at`].
//!
//! The trait is synchronous on purpose: its main caller is libvips, whose read callbacks
//! run on libvips worker threads and must block until bytes arrive. Remote sources bridge
//! to async I/O inside their own implementation. Sources are `Send + Sync` because one
//! opened image is read by many libvips threads at once.
//!
//! A [`Store`] is where sources come from (a directory, an S3 bucket): the rest of the
//! crate holds an `Arc<dyn Store>` and never matches on which kind it is.

mod block_cache;
mod bucket;
mod error;
mod file;
mod memory;
mod meta;
mod s3;
mod s3_error;
mod s3_store;
mod store;
mod whole_cache;

pub use block_cache::{BlockCache, FetchFn};
pub use bucket::{BucketSettings, BucketStore};
pub use error::{SourceError, SourceErrorKind};
pub use file::{FileSource, FileStore, IMAGE_EXTENSIONS};
pub use memory::MemorySource;
pub use meta::{format_levels, metadata_dimensions, MetaDirectories, MetaFacts};
pub use s3::{S3Source, TransferStats};
pub use s3_store::{ObjectHead, S3Credentials, S3Settings, S3Store};
pub use store::{Opened, Store, StoreStats};
pub use whole_cache::{CachedObject, Chunks, ReleaseHook, WholeObjectCache};

use bytes::Bytes;

/// A random-access, read-only view of one stored object.
pub trait Source: Send + Sync {
    /// Total length of the object in bytes.
    fn len(&self) -> u64;

    /// True when the object holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads up to `len` bytes starting at `offset`. Returns fewer bytes only when the
    /// object ends first, and an empty buffer at or past the end.
    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError>;

    /// Reads into `buf` from `offset`, as [`Source::read_at`] with `buf.len()`, returning
    /// how many bytes were written (fewer only at the end of the object). What decoders'
    /// read callbacks call: a source that reads a file overrides it to read straight into
    /// the decoder's buffer, without a zeroed buffer of its own and a copy (a 1000x750
    /// JPEG 2000 view of an 18 MB file reads all of it, every time).
    fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let bytes = self.read_at(offset, buf.len())?;
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    /// A string that names this object *and its version* (path + size + mtime, or
    /// bucket/key + ETag). Caches and ETags key on it, so it must change when the bytes do.
    fn identity(&self) -> &str;
}
