//! Where a level's stored JPEG tiles are, so that a request asking for exactly one of them
//! can be answered with its bytes instead of a decode and re-encode.
//!
//! The walker never reads the tile offset and byte-count arrays (megabytes on a big
//! level); it records where they are ([`TagArray`]), and answering a tile reads one entry
//! of each: a few bytes. JPEGTables (tag 347), which holds the quantisation and Huffman
//! tables the tiles leave out, is recorded the same way.
//!
//! Only what a browser shows exactly as libvips would decode it qualifies: JPEG
//! compression, 8-bit, interleaved samples, YCbCr or RGB with three samples or grey with
//! one, no extra (alpha) samples, no ICC profile (its colours would need converting, see
//! `render/steps/normalise.rs`). Everything else is rendered.

use super::header::Layout;
use super::ifd::Directory;
use crate::iiif::Dimensions;
use crate::source::{Source, SourceError, SourceErrorKind};

/// How a stored JPEG tile's samples are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JpegColour {
    /// Photometric YCbCr (the usual JPEG-in-TIFF): a JFIF stream.
    YCbCr,
    /// Photometric RGB: the components are R, G, B, which an Adobe APP14 marker with
    /// transform 0 tells a decoder.
    Rgb,
    Grey,
}

/// Where a tag's values are: at an offset in the file, or inline in the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    At(u64),
    Inline([u8; 8]),
}

/// An integer array tag (StripOffsets-like), read one entry at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagArray {
    layout: Layout,
    /// Bytes per value: 2, 4 or 8.
    size: u8,
    count: u64,
    place: Place,
}

/// A byte-string tag (JPEGTables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagBytes {
    len: u64,
    place: Place,
}

/// A level's stored JPEG tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredTiles {
    pub offsets: TagArray,
    pub byte_counts: TagArray,
    pub jpeg_tables: Option<TagBytes>,
    pub colour: JpegColour,
}

fn place(layout: Layout, field: [u8; 8], total: u64) -> Place {
    if total <= layout.offset_size() as u64 {
        Place::Inline(field)
    } else {
        Place::At(layout.uint(&field[..layout.offset_size()]))
    }
}

fn corrupt(what: String) -> SourceError {
    SourceError::new(SourceErrorKind::Other, what)
}

impl TagArray {
    /// An array tag of TIFF type `kind` (SHORT, LONG or LONG8), or `None` for another type.
    pub(crate) fn new(layout: Layout, kind: u16, count: u64, field: [u8; 8]) -> Option<Self> {
        let size: u8 = match kind {
            3 => 2,
            4 => 4,
            16 => 8,
            _ => return None,
        };
        let place = place(layout, field, count.saturating_mul(u64::from(size)));
        Some(TagArray {
            layout,
            size,
            count,
            place,
        })
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Where value `index` is stored in the file; `None` when inline or out of range.
    pub fn entry_range(&self, index: u64) -> Option<std::ops::Range<u64>> {
        let Place::At(offset) = self.place else {
            return None;
        };
        let size = u64::from(self.size);
        let start = offset.checked_add(index.checked_mul(size)?)?;
        (index < self.count).then_some(start..start.checked_add(size)?)
    }

    /// Value `index`, reading its few bytes from `source` when the array is out of line.
    pub fn get(&self, source: &dyn Source, index: u64) -> Result<u64, SourceError> {
        if index >= self.count {
            return Err(corrupt(format!("entry {index} of {}", self.count)));
        }
        let size = usize::from(self.size);
        let at = index as usize * size;
        match self.place {
            Place::Inline(field) => Ok(self.layout.uint(&field[at..at + size])),
            Place::At(offset) => {
                let bytes = source.read_at(offset + at as u64, size)?;
                if bytes.len() != size {
                    return Err(corrupt(format!("short read of entry {index}")));
                }
                Ok(self.layout.uint(&bytes))
            }
        }
    }
}

impl TagBytes {
    pub(crate) fn new(layout: Layout, count: u64, field: [u8; 8]) -> Self {
        TagBytes {
            len: count,
            place: place(layout, field, count),
        }
    }

    /// Where the bytes are stored in the file; `None` when inline.
    pub fn range(&self) -> Option<std::ops::Range<u64>> {
        let Place::At(offset) = self.place else {
            return None;
        };
        Some(offset..offset.checked_add(self.len)?)
    }

    pub fn read(&self, source: &dyn Source) -> Result<Vec<u8>, SourceError> {
        let len = usize::try_from(self.len).map_err(|_| corrupt("huge JPEGTables".into()))?;
        match self.place {
            Place::Inline(field) => Ok(field[..len.min(8)].to_vec()),
            Place::At(offset) => {
                let bytes = source.read_at(offset, len)?;
                if bytes.len() != len {
                    return Err(corrupt("short read of JPEGTables".into()));
                }
                Ok(bytes.to_vec())
            }
        }
    }
}

/// The raw tags of one directory that decide pass-through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PassThroughTags {
    pub(crate) tile_offsets: Option<TagArray>,
    pub(crate) tile_byte_counts: Option<TagArray>,
    pub(crate) jpeg_tables: Option<TagBytes>,
    pub(crate) has_icc_profile: bool,
    pub(crate) extra_samples: bool,
}

/// A tiled level whose whole tiles can be sent as stored: its size, its tiles' size, and
/// where they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredGrid {
    pub width: u32,
    pub height: u32,
    pub tile: Dimensions,
    pub tiles: StoredTiles,
}

impl Directory {
    /// Its JPEG tiles, when it is tiled and they can be sent as they are stored.
    pub(crate) fn stored_tiles(&self) -> Option<StoredTiles> {
        self.tile?;
        stored_tiles(
            &self.stored,
            self.compression,
            self.photometric,
            self.samples_per_pixel,
            self.bits_per_sample,
            self.planar_config,
        )
    }

    /// Its grid of stored tiles, when there is one to send as stored.
    pub(crate) fn stored_grid(&self) -> Option<StoredGrid> {
        let (width, height) = self.tile?;
        Some(StoredGrid {
            width: self.width,
            height: self.height,
            tile: Dimensions { width, height },
            tiles: self.stored_tiles()?,
        })
    }
}

/// What of `tags` a level with these properties can serve as stored tiles.
pub(crate) fn stored_tiles(
    tags: &PassThroughTags,
    compression: u16,
    photometric: u16,
    samples: u16,
    bits: u16,
    planar: u16,
) -> Option<StoredTiles> {
    const JPEG: u16 = 7;
    if compression != JPEG || bits != 8 || planar != 1 || tags.has_icc_profile || tags.extra_samples
    {
        return None;
    }
    let colour = match (photometric, samples) {
        (6, 3) => JpegColour::YCbCr,
        (2, 3) => JpegColour::Rgb,
        (1, 1) => JpegColour::Grey,
        _ => return None,
    };
    let (offsets, byte_counts) = (tags.tile_offsets?, tags.tile_byte_counts?);
    (offsets.len() == byte_counts.len() && !offsets.is_empty()).then_some(StoredTiles {
        offsets,
        byte_counts,
        jpeg_tables: tags.jpeg_tables,
        colour,
    })
}
