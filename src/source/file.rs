//! Local files: a root directory served read-only, with identifiers mapped to paths.
//!
//! The identifier arrives percent-decoded, so `a%2Fb` is `a/b` here and may address a
//! subfolder. Everything that could leave the root is refused before the file system is
//! touched (`..`, `.`, empty segments, absolute paths, NUL, backslashes), and the resolved
//! path is canonicalised and checked against the canonical root so that a symlink cannot
//! point out of it either.

use super::{Source, SourceError, SourceErrorKind};
use bytes::Bytes;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The image file extensions, lowercase: tried in this order when no template is configured
/// and the identifier does not name a file as is, and listed by the viewer's index. One list,
/// so the index never shows a file the store would not find (or hides one it would).
pub const IMAGE_EXTENSIONS: [&str; 10] = [
    "tif", "tiff", "ptif", "jp2", "jpg", "jpeg", "png", "webp", "gif", "jpx",
];

/// A served directory and how identifiers map into it.
#[derive(Clone)]
pub struct FileStore {
    root: PathBuf,
    template: String,
}

impl FileStore {
    /// `template` uses `{id}` (or serverless-iiif's `%s`) for the identifier; empty means
    /// "the identifier, or the identifier plus a known image extension".
    pub fn new(root: &Path, template: &str) -> Result<FileStore, SourceError> {
        let root = root.canonicalize().map_err(|e| {
            SourceError::new(
                SourceErrorKind::Other,
                format!("root {}: {e}", root.display()),
            )
        })?;
        Ok(FileStore {
            root,
            template: template.replace("%s", "{id}"),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens the file an identifier names. Blocking: call from a blocking context.
    pub fn open(&self, identifier: &str) -> Result<FileSource, SourceError> {
        check_identifier(identifier)?;
        let path = self.locate(identifier)?;
        FileSource::open(&path, &self.root)
    }

    /// Opens the file at `relative`, a path under the root taken as it is (no template, no
    /// extension search). Blocking: call from a blocking context.
    pub fn open_path(&self, relative: &str) -> Result<FileSource, SourceError> {
        check_identifier(relative)?;
        FileSource::open(&self.root.join(relative), &self.root)
    }

    fn locate(&self, identifier: &str) -> Result<PathBuf, SourceError> {
        if !self.template.is_empty() {
            let relative = self.template.replace("{id}", identifier);
            check_identifier(&relative)?;
            return Ok(self.root.join(relative));
        }
        let exact = self.root.join(identifier);
        if exact.is_file() {
            return Ok(exact);
        }
        IMAGE_EXTENSIONS
            .iter()
            .map(|ext| self.root.join(format!("{identifier}.{ext}")))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| {
                SourceError::new(
                    SourceErrorKind::NotFound,
                    format!("no file for {identifier:?}"),
                )
            })
    }
}

/// Refuses identifiers that could name something outside the root.
fn check_identifier(identifier: &str) -> Result<(), SourceError> {
    let refuse = |why: &str| {
        Err(SourceError::new(
            SourceErrorKind::Forbidden,
            format!("{why}: {identifier:?}"),
        ))
    };
    if identifier.is_empty() || identifier.len() > 1024 {
        return refuse("empty or overlong identifier");
    }
    if identifier.contains('\0') || identifier.contains('\\') {
        return refuse("NUL or backslash in identifier");
    }
    if identifier.starts_with('/') {
        return refuse("absolute path");
    }
    if identifier
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return refuse("empty, '.' or '..' path segment");
    }
    Ok(())
}

/// One open file, read with positioned reads (no shared cursor, so any thread may read).
pub struct FileSource {
    file: File,
    len: u64,
    identity: String,
}

impl FileSource {
    fn open(path: &Path, root: &Path) -> Result<FileSource, SourceError> {
        let real = path.canonicalize()?;
        if !real.starts_with(root) {
            return Err(SourceError::new(
                SourceErrorKind::Forbidden,
                format!("{} resolves outside the root", path.display()),
            ));
        }
        let file = File::open(&real)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(SourceError::new(
                SourceErrorKind::NotFound,
                "not a regular file",
            ));
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let identity = format!("file:{}#{}-{}", real.display(), meta.len(), mtime);
        Ok(FileSource {
            file,
            len: meta.len(),
            identity,
        })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
        let end = offset.saturating_add(len as u64).min(self.len);
        let mut buf = vec![0u8; end.saturating_sub(offset) as usize];
        let filled = self.read_into(offset, &mut buf)?;
        buf.truncate(filled);
        Ok(Bytes::from(buf))
    }

    fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let end = offset.saturating_add(buf.len() as u64).min(self.len);
        let buf = &mut buf[..end.saturating_sub(offset) as usize];
        let mut filled = 0;
        while filled < buf.len() {
            match self
                .file
                .read_at(&mut buf[filled..], offset + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(filled)
    }

    fn identity(&self) -> &str {
        &self.identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(files: &[&str]) -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, f.as_bytes()).unwrap();
        }
        let store = FileStore::new(dir.path(), "").unwrap();
        (dir, store)
    }

    #[test]
    fn finds_files_as_named_or_by_extension() {
        let (_d, store) = store_with(&["a.tif", "sub/b.jpg", "c"]);
        for (id, content) in [
            ("a", "a.tif"),
            ("a.tif", "a.tif"),
            ("sub/b", "sub/b.jpg"),
            ("c", "c"),
        ] {
            let src = store.open(id).unwrap();
            assert_eq!(
                &src.read_at(0, 100).unwrap()[..],
                content.as_bytes(),
                "{id}"
            );
        }
        assert_eq!(
            store.open("missing").err().unwrap().kind(),
            SourceErrorKind::NotFound
        );
    }

    #[test]
    fn reads_into_a_buffer_as_read_at_does() {
        let (_d, store) = store_with(&["sub/b.jpg"]);
        let src = store.open("sub/b").unwrap();
        let mut buf = [0xaa_u8; 16];
        // In the middle, then across the end: only what exists is written.
        assert_eq!(src.read_into(2, &mut buf[..3]).unwrap(), 3);
        assert_eq!(&buf[..3], b"b/b");
        assert_eq!(src.read_into(6, &mut buf).unwrap(), 3);
        assert_eq!(&buf[..4], b"jpg\xaa");
        assert_eq!(src.read_into(9, &mut buf).unwrap(), 0);
        assert_eq!(src.read_into(50, &mut buf).unwrap(), 0);
        assert_eq!(&src.read_at(6, 16).unwrap()[..], b"jpg");
    }

    #[test]
    fn refuses_everything_that_could_leave_the_root() {
        let (_d, store) = store_with(&["a.tif"]);
        for id in [
            "../a",
            "/etc/passwd",
            "a/../../x",
            "./a",
            "a//b",
            "a\0b",
            "a\\b",
            "",
        ] {
            let err = store.open(id).err().unwrap();
            assert_eq!(err.kind(), SourceErrorKind::Forbidden, "{id:?}");
        }
        let long = "x".repeat(2000);
        assert_eq!(
            store.open(&long).err().unwrap().kind(),
            SourceErrorKind::Forbidden
        );
    }

    #[test]
    fn refuses_symlinks_out_of_the_root() {
        let outside = tempfile::NamedTempFile::new().unwrap();
        let (dir, store) = store_with(&[]);
        std::os::unix::fs::symlink(outside.path(), dir.path().join("escape.tif")).unwrap();
        let err = store.open("escape").err().unwrap();
        assert_eq!(err.kind(), SourceErrorKind::Forbidden);
    }

    #[test]
    fn template_maps_identifiers() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("images")).unwrap();
        std::fs::write(dir.path().join("images/x.tif"), b"x").unwrap();
        for template in ["images/{id}.tif", "images/%s.tif"] {
            let store = FileStore::new(dir.path(), template).unwrap();
            assert_eq!(store.open("x").unwrap().len(), 1);
        }
    }

    #[test]
    fn identity_changes_when_the_file_does() {
        let (dir, store) = store_with(&["a.tif"]);
        let first = store.open("a").unwrap().identity().to_string();
        std::fs::write(dir.path().join("a.tif"), b"longer content").unwrap();
        assert_ne!(store.open("a").unwrap().identity(), first);
    }
}
