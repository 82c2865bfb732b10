//! Where images live, as one trait: [`Store`] turns a (decoded) object name into an
//! [`Opened`] object, hands out a whole local copy when a format needs one, and lists what
//! it can for the index page.
//!
//! The two stores are [`FileStore`] (a directory) and [`super::BucketStore`] (an S3
//! bucket); callers hold an `Arc<dyn Store>` and never ask which one it is, so a new kind
//! of store is one more implementation here, not another `match` in the service.

use super::{
    metadata_dimensions, FileStore, MetaFacts, ObjectHead, ReleaseHook, Source, SourceError,
    SourceErrorKind, TransferStats, IMAGE_EXTENSIONS,
};
use crate::cache::CacheStats;
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

/// At most this many images are listed for the index page.
const LIST_LIMIT: usize = 500;

/// A place images are read from.
#[async_trait]
pub trait Store: Send + Sync {
    /// Opens the object an identifier names.
    async fn open(&self, name: &str) -> Result<Opened, SourceError>;

    /// Opens the object at a location in the store's own terms (an S3 key, a path under
    /// the root), bypassing the identifier's mapping: what a trusted preflight names.
    async fn open_at(&self, location: &str) -> Result<Opened, SourceError>;

    /// A source holding the whole object locally, for formats libvips cannot read by
    /// ranges efficiently (JPEG, PNG, JPEG 2000, strip TIFF); a local object already is.
    async fn whole(&self, opened: &Opened) -> Result<Arc<dyn Source>, SourceError>;

    /// Drops everything the store keeps of the object's version `opened` names (its HEAD,
    /// blocks, whole copy), after a read found the object replaced; nothing for a store
    /// that keeps nothing.
    fn forget(&self, _opened: &Opened) {}

    /// Asks `hook` to close its handles on objects the store evicts or forgets from its
    /// disk (their space is freed only then); nothing for a store without one.
    fn on_release(&self, _hook: ReleaseHook) {}

    /// Names of the images the store can list (sorted, at most a few hundred), for the
    /// index page; empty when the store does not list.
    async fn list(&self) -> Result<Vec<String>, SourceError>;

    /// Traffic and caches since start; zero for a store without either.
    fn stats(&self) -> StoreStats;
}

/// An object, opened: a source that reads it by ranges, and for S3 its HEAD.
pub struct Opened {
    /// Reads through the block cache: the directory walker and libvips alike, so the
    /// directories the walk read are cached when libvips opens the same file again.
    pub source: Arc<dyn Source>,
    pub head: Option<ObjectHead>,
}

impl Opened {
    /// Width, height and tile size from the object's user metadata, if it carries them.
    pub fn meta(&self) -> Option<MetaFacts> {
        self.head
            .as_ref()
            .and_then(|h| metadata_dimensions(&h.metadata))
    }
}

/// A store's S3 traffic and caches since start, for the request log line.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreStats {
    pub s3: TransferStats,
    pub blocks: CacheStats,
    pub whole: CacheStats,
    pub heads: CacheStats,
}

/// A file opened by `open` on the blocking pool, as an [`Opened`].
async fn opened_file(
    open: impl FnOnce() -> Result<super::FileSource, SourceError> + Send + 'static,
) -> Result<Opened, SourceError> {
    let source = tokio::task::spawn_blocking(open)
        .await
        .map_err(|e| SourceError::new(SourceErrorKind::Other, e.to_string()))??;
    let source: Arc<dyn Source> = Arc::new(source);
    Ok(Opened { source, head: None })
}

/// Files are opened per request (a stat and an open, microseconds; no descriptors are
/// hoarded), on the blocking pool because a network file system can take longer.
#[async_trait]
impl Store for FileStore {
    async fn open(&self, name: &str) -> Result<Opened, SourceError> {
        let (files, name) = (self.clone(), name.to_string());
        opened_file(move || files.open(&name)).await
    }

    async fn open_at(&self, location: &str) -> Result<Opened, SourceError> {
        let (files, location) = (self.clone(), location.to_string());
        opened_file(move || files.open_path(&location)).await
    }

    async fn whole(&self, opened: &Opened) -> Result<Arc<dyn Source>, SourceError> {
        Ok(Arc::clone(&opened.source))
    }

    async fn list(&self) -> Result<Vec<String>, SourceError> {
        let root = self.root().to_path_buf();
        tokio::task::spawn_blocking(move || list_images(&root))
            .await
            .map_err(|e| SourceError::new(SourceErrorKind::Other, e.to_string()))
    }

    fn stats(&self) -> StoreStats {
        StoreStats::default()
    }
}

/// Image files under `root` (three levels deep at most), as identifiers relative to it.
fn list_images(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < 3 {
                dirs.push((path, depth + 1));
            } else if kind.is_file() && has_image_extension(&path) {
                if let Ok(rel) = path.strip_prefix(root) {
                    found.push(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    found.sort();
    found.truncate(LIST_LIMIT);
    found
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}
