//! Test helpers: a small TIFF writer for hand-built (and hand-broken) files, a source that
//! counts reads, and a runner for the `vips` command line.
//!
//! The writer lays out each directory with its out-of-line values right behind it, as
//! libtiff does, and returns where every directory and next-offset field landed so tests
//! can patch in cycles and bad offsets.

use crate::source::{MemorySource, Source, SourceError};
use bytes::Bytes;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub(crate) const SHORT: u16 = 3;
pub(crate) const LONG: u16 = 4;

/// One directory to write: entries as (tag, type, values), plus SubIFDs.
#[derive(Clone, Debug, Default)]
pub(crate) struct TestIfd {
    pub(crate) entries: Vec<(u16, u16, Vec<u64>)>,
    pub(crate) subifds: Vec<TestIfd>,
}

impl TestIfd {
    /// An 8-bit RGB, uncompressed, stripped image.
    pub(crate) fn image(width: u32, height: u32) -> Self {
        TestIfd::default()
            .tag(256, LONG, &[width as u64])
            .tag(257, LONG, &[height as u64])
            .tag(258, SHORT, &[8, 8, 8])
            .tag(259, SHORT, &[1])
            .tag(262, SHORT, &[2])
            .tag(277, SHORT, &[3])
    }

    /// Sets (or replaces) a tag, keeping entries sorted as TIFF requires.
    pub(crate) fn tag(mut self, tag: u16, kind: u16, values: &[u64]) -> Self {
        self.entries.retain(|e| e.0 != tag);
        self.entries.push((tag, kind, values.to_vec()));
        self.entries.sort_by_key(|e| e.0);
        self
    }

    pub(crate) fn tiled(self, w: u32, h: u32) -> Self {
        self.tag(322, LONG, &[w as u64]).tag(323, LONG, &[h as u64])
    }

    pub(crate) fn subfile(self, kind: u32) -> Self {
        self.tag(254, LONG, &[kind as u64])
    }

    pub(crate) fn with_subs(mut self, subs: Vec<TestIfd>) -> Self {
        self.subifds = subs;
        self
    }
}

/// A written file, with the offsets of its main directories and their next fields.
pub(crate) struct Built {
    pub(crate) bytes: Vec<u8>,
    pub(crate) ifds: Vec<u64>,
    pub(crate) next_fields: Vec<usize>,
    pub(crate) big: bool,
    pub(crate) little: bool,
}

impl Built {
    /// Overwrites an offset-sized field at `pos`.
    pub(crate) fn patch(&mut self, pos: usize, value: u64) {
        let bytes = num(value, if self.big { 8 } else { 4 }, self.little);
        self.bytes[pos..pos + bytes.len()].copy_from_slice(&bytes);
    }

    pub(crate) fn source(&self) -> MemorySource {
        MemorySource::new(self.bytes.clone(), "mem:built")
    }
}

fn num(value: u64, size: usize, little: bool) -> Vec<u8> {
    let le = value.to_le_bytes();
    let mut out = le[..size].to_vec();
    if !little {
        out.reverse();
    }
    out
}

fn type_size(kind: u16) -> usize {
    match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        16..=18 => 8,
        _ => 4,
    }
}

/// Writes a TIFF: classic or BigTIFF, little or big endian.
pub(crate) fn build(ifds: &[TestIfd], big: bool, little: bool) -> Built {
    let mut w = Built {
        bytes: Vec::new(),
        ifds: Vec::new(),
        next_fields: Vec::new(),
        big,
        little,
    };
    w.bytes
        .extend_from_slice(if little { b"II" } else { b"MM" });
    if big {
        w.bytes.extend(num(43, 2, little));
        w.bytes.extend(num(8, 2, little));
        w.bytes.extend(num(0, 2, little));
    } else {
        w.bytes.extend(num(42, 2, little));
    }
    let mut prev_next = w.bytes.len();
    w.bytes.extend(num(0, if big { 8 } else { 4 }, little));
    for ifd in ifds {
        let (offset, next_field) = write_ifd(&mut w, ifd);
        w.patch(prev_next, offset);
        w.ifds.push(offset);
        w.next_fields.push(next_field);
        prev_next = next_field;
    }
    w
}

/// Writes SubIFDs first (so their offsets are known), then the directory and its values.
fn write_ifd(w: &mut Built, ifd: &TestIfd) -> (u64, usize) {
    let subs: Vec<u64> = ifd.subifds.iter().map(|s| write_ifd(w, s).0).collect();
    let mut entries = ifd.entries.clone();
    if !subs.is_empty() {
        entries.push((330, if w.big { 18 } else { 13 }, subs));
        entries.sort_by_key(|e| e.0);
    }
    if w.bytes.len() % 2 == 1 {
        w.bytes.push(0);
    }
    let (big, little) = (w.big, w.little);
    let (osize, esize) = if big { (8, 20) } else { (4, 12) };
    let offset = w.bytes.len() as u64;
    let count_size = if big { 8 } else { 2 };
    let mut data_at = offset as usize + count_size + entries.len() * esize + osize;
    let mut dir = num(entries.len() as u64, count_size, little);
    let mut data = Vec::new();
    for (tag, kind, values) in &entries {
        dir.extend(num(*tag as u64, 2, little));
        dir.extend(num(*kind as u64, 2, little));
        dir.extend(num(values.len() as u64, osize, little));
        let raw: Vec<u8> = values
            .iter()
            .flat_map(|v| num(*v, type_size(*kind), little))
            .collect();
        if raw.len() <= osize {
            let mut field = raw.clone();
            field.resize(osize, 0);
            dir.extend(field);
        } else {
            dir.extend(num(data_at as u64, osize, little));
            data_at += raw.len();
            data.extend(raw);
        }
    }
    let next_field = offset as usize + dir.len();
    dir.extend(num(0, osize, little));
    w.bytes.extend(dir);
    w.bytes.extend(data);
    (offset, next_field)
}

/// A source that counts reads and bytes, as a test stand-in for a remote object.
pub(crate) struct CountingSource {
    inner: MemorySource,
    pub(crate) reads: AtomicU32,
    pub(crate) bytes: AtomicU64,
}

impl CountingSource {
    pub(crate) fn new(bytes: impl Into<Bytes>) -> Self {
        CountingSource {
            inner: MemorySource::new(bytes, "mem:counted"),
            reads: AtomicU32::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub(crate) fn from_file(path: &Path) -> Self {
        CountingSource::new(std::fs::read(path).expect("test file is readable"))
    }

    pub(crate) fn reads(&self) -> u32 {
        self.reads.load(Ordering::SeqCst)
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::SeqCst)
    }
}

impl Source for CountingSource {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
        let out = self.inner.read_at(offset, len)?;
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.bytes.fetch_add(out.len() as u64, Ordering::SeqCst);
        Ok(out)
    }

    fn identity(&self) -> &str {
        self.inner.identity()
    }
}

/// Runs `vips` with `args` in `dir`; `false` (with a message) when the CLI is missing.
pub(crate) fn vips(dir: &Path, args: &[&str]) -> bool {
    match Command::new("vips").args(args).current_dir(dir).output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => panic!(
            "vips {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(err) => {
            eprintln!("SKIPPED: the vips CLI is not available ({err}); install libvips-tools");
            false
        }
    }
}

/// A hostile little TIFF: one directory of `entries` BitsPerSample entries whose values sit
/// out of line, cycling over `spots` places 4 KiB apart, so no window of the fetcher ever
/// holds the next one (about 90 KB for 4096 entries over 10 spots).
pub(crate) fn scattered_values(entries: u16, spots: u32) -> Vec<u8> {
    let dir_end = 8 + 2 + 12 * entries as u32 + 4;
    let mut bytes = b"II*\0\x08\0\0\0".to_vec();
    bytes.extend(entries.to_le_bytes());
    for i in 0..entries as u32 {
        let at = dir_end + (i % spots) * 4096;
        for field in [258u16.to_le_bytes(), SHORT.to_le_bytes()] {
            bytes.extend(field);
        }
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(at.to_le_bytes());
    }
    bytes.extend(0u32.to_le_bytes());
    bytes.resize((dir_end + spots * 4096) as usize, 8);
    bytes
}
