//! Streams one download into its file: written aside as `<name>.part`, checked to be
//! exactly as long as the HEAD said, then renamed into place. The part file is removed on
//! every way out but success, a cancelled or panicking download included.

use super::Chunks;
use crate::source::{SourceError, SourceErrorKind};
use std::fs::File;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Writes `body` (`len` bytes) to `path` and opens it for reading.
pub(super) async fn write(
    path: &Path,
    len: u64,
    mut body: Box<dyn Chunks>,
) -> Result<File, SourceError> {
    let mut part = PartFile {
        path: path.with_extension("part"),
        renamed: false,
    };
    let mut file = tokio::fs::File::create(&part.path).await?;
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        written += chunk.len() as u64;
        if written > len {
            return Err(SourceError::new(
                SourceErrorKind::Replaced,
                format!("the body runs past the {len} bytes its HEAD announced"),
            ));
        }
        file.write_all(&chunk).await?;
    }
    if written < len {
        return Err(SourceError::new(
            SourceErrorKind::Unavailable,
            format!("the body ended after {written} of {len} bytes"),
        ));
    }
    // tokio writes in the background: flush waits for the last write to land.
    file.flush().await?;
    drop(file);
    tokio::fs::rename(&part.path, path).await?;
    part.renamed = true;
    Ok(tokio::fs::File::open(path).await?.into_std().await)
}

/// A part file, removed when dropped unless it was renamed into place.
struct PartFile {
    path: PathBuf,
    renamed: bool,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
