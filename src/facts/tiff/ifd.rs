//! One TIFF or BigTIFF directory (IFD), decoded into the few fields facts need.
//!
//! A directory is read as a whole (count, entries, next offset) in one request, then each
//! wanted tag's value is decoded from its entry or, when it does not fit inline, from the
//! bytes it points at. Only the *first* value of per-sample tags is fetched, and the tile
//! offset and byte-count arrays are never touched: they can be megabytes on a big level
//! (where they are is kept, see `stored_tiles.rs`).

use super::header::Layout;
use super::stored_tiles::{PassThroughTags, TagArray, TagBytes};
use crate::facts::error::FactsError;
use crate::facts::fetch::Fetcher;
use crate::facts::Orientation;

/// Directories with more entries than this are refused: real ones have 10-60.
const MAX_ENTRIES: u64 = 4096;
/// SubIFD arrays longer than this are refused: a pyramid has one entry per level.
pub(crate) const MAX_SUBIFDS: usize = 64;

/// The fields of one directory that image facts need. Absent tags take TIFF defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Directory {
    pub(crate) offset: u64,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Tile width and height, when tiled.
    pub(crate) tile: Option<(u32, u32)>,
    /// Rows per strip, when stripped (the TIFF default is "the whole image").
    pub(crate) rows_per_strip: Option<u32>,
    pub(crate) compression: u16,
    pub(crate) photometric: u16,
    pub(crate) samples_per_pixel: u16,
    pub(crate) bits_per_sample: u16,
    pub(crate) planar_config: u16,
    /// NewSubfileType (tag 254); OldSubfileType's "reduced" (2) and "page" (3) are mapped
    /// onto its bits 1 and 2, so older writers group the same way.
    pub(crate) subfile_type: u32,
    pub(crate) sub_ifds: Vec<u64>,
    pub(crate) next: u64,
    /// Orientation (tag 274).
    pub(crate) orientation: Orientation,
    /// Where the tile arrays and JPEG tables are (never their contents), for pass-through.
    pub(crate) stored: PassThroughTags,
}

/// One raw 12- or 20-byte entry.
struct Entry {
    tag: u16,
    kind: u16,
    count: u64,
    field: [u8; 8],
}

fn type_size(kind: u16) -> Option<usize> {
    match kind {
        1 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 13 => Some(4),
        16..=18 => Some(8),
        _ => None,
    }
}

/// Reads and decodes the directory at `offset`.
pub(crate) fn read_directory(
    fetch: &mut Fetcher,
    layout: Layout,
    offset: u64,
) -> Result<Directory, FactsError> {
    let head = fetch.exact(offset, layout.count_size(), "directory")?;
    let count = layout.uint(&head);
    if count == 0 || count > MAX_ENTRIES {
        return Err(FactsError::corrupt(format!(
            "directory at {offset} claims {count} entries"
        )));
    }
    let body_len = count as usize * layout.entry_size() + layout.offset_size();
    let body_at = offset + layout.count_size() as u64;
    let body = fetch.exact(body_at, body_len, "directory entries")?;
    let mut dir = Directory {
        offset,
        width: 0,
        height: 0,
        tile: None,
        rows_per_strip: None,
        compression: 1,
        photometric: u16::MAX,
        samples_per_pixel: 1,
        bits_per_sample: 1,
        planar_config: 1,
        subfile_type: 0,
        sub_ifds: Vec::new(),
        next: layout.uint(&body[body_len - layout.offset_size()..]),
        orientation: Orientation::UPRIGHT,
        stored: PassThroughTags::default(),
    };
    let mut tiles = (None, None);
    for raw in body[..body_len - layout.offset_size()].chunks_exact(layout.entry_size()) {
        apply_entry(
            fetch,
            layout,
            &parse_entry(layout, raw),
            &mut dir,
            &mut tiles,
        )?;
    }
    finish(dir, tiles.0, tiles.1)
}

/// Stores one entry's value in `dir` when it is a tag we use; tile sizes go to `tiles`
/// until both are known.
fn apply_entry(
    fetch: &mut Fetcher,
    layout: Layout,
    entry: &Entry,
    dir: &mut Directory,
    tiles: &mut (Option<u32>, Option<u32>),
) -> Result<(), FactsError> {
    let mut value = || first(fetch, layout, entry);
    match entry.tag {
        254 => dir.subfile_type = narrow(value()?, "NewSubfileType")?,
        255 => dir.subfile_type |= old_subfile_bits(value()?),
        256 => dir.width = narrow(value()?, "ImageWidth")?,
        257 => dir.height = narrow(value()?, "ImageLength")?,
        258 => dir.bits_per_sample = narrow(value()?, "BitsPerSample")?,
        259 => dir.compression = narrow(value()?, "Compression")?,
        262 => dir.photometric = narrow(value()?, "Photometric")?,
        277 => dir.samples_per_pixel = narrow(value()?, "SamplesPerPixel")?,
        274 => dir.orientation = Orientation::from_tag(value()?),
        278 => dir.rows_per_strip = Some(narrow(value()?, "RowsPerStrip")?),
        284 => dir.planar_config = narrow(value()?, "PlanarConfig")?,
        322 => tiles.0 = Some(narrow(value()?, "TileWidth")?),
        323 => tiles.1 = Some(narrow(value()?, "TileLength")?),
        330 => dir.sub_ifds = values(fetch, layout, entry, MAX_SUBIFDS)?,
        324 => {
            dir.stored.tile_offsets = TagArray::new(layout, entry.kind, entry.count, entry.field)
        }
        325 => {
            dir.stored.tile_byte_counts =
                TagArray::new(layout, entry.kind, entry.count, entry.field)
        }
        338 => dir.stored.extra_samples = entry.count > 0,
        347 => dir.stored.jpeg_tables = Some(TagBytes::new(layout, entry.count, entry.field)),
        34675 => dir.stored.has_icc_profile = true,
        _ => {}
    }
    Ok(())
}

/// Checks what a directory must have and fills what TIFF leaves to the reader.
fn finish(
    mut dir: Directory,
    tile_w: Option<u32>,
    tile_h: Option<u32>,
) -> Result<Directory, FactsError> {
    let at = dir.offset;
    if dir.width == 0 || dir.height == 0 {
        return Err(FactsError::corrupt(format!(
            "directory at {at} has no image size"
        )));
    }
    if dir.samples_per_pixel == 0 {
        return Err(FactsError::corrupt(format!(
            "directory at {at} has zero samples per pixel"
        )));
    }
    dir.tile = match (tile_w, tile_h) {
        (None, None) => None,
        (Some(w), Some(h)) if w > 0 && h > 0 => Some((w, h)),
        _ => {
            return Err(FactsError::corrupt(format!(
                "directory at {at} has a broken tile size"
            )))
        }
    };
    if dir.tile.is_some() {
        dir.rows_per_strip = None;
    } else {
        // RowsPerStrip defaults to 2^32-1, "one strip"; report it as the image height.
        let rows = dir.rows_per_strip.unwrap_or(u32::MAX);
        dir.rows_per_strip = Some(rows.clamp(1, dir.height));
    }
    // Photometric has no default; libtiff guesses from the sample count, and so do we.
    if dir.photometric == u16::MAX {
        dir.photometric = if dir.samples_per_pixel >= 3 { 2 } else { 1 };
    }
    Ok(dir)
}

fn old_subfile_bits(value: u64) -> u32 {
    match value {
        2 => 1,
        3 => 2,
        _ => 0,
    }
}

fn parse_entry(layout: Layout, raw: &[u8]) -> Entry {
    let mut field = [0u8; 8];
    let (count, value) = if layout.big_tiff {
        (layout.uint(&raw[4..12]), &raw[12..20])
    } else {
        (layout.uint(&raw[4..8]), &raw[8..12])
    };
    field[..value.len()].copy_from_slice(value);
    Entry {
        tag: layout.uint(&raw[0..2]) as u16,
        kind: layout.uint(&raw[2..4]) as u16,
        count,
        field,
    }
}

/// The first value of an integer tag.
fn first(fetch: &mut Fetcher, layout: Layout, entry: &Entry) -> Result<u64, FactsError> {
    let all = values(fetch, layout, entry, 1)?;
    all.first()
        .copied()
        .ok_or_else(|| FactsError::corrupt(format!("tag {} has no value", entry.tag)))
}

/// Up to `max` values of an integer tag, inline or out of line; more than `max` is refused.
fn values(
    fetch: &mut Fetcher,
    layout: Layout,
    entry: &Entry,
    max: usize,
) -> Result<Vec<u64>, FactsError> {
    let tag = entry.tag;
    let size = type_size(entry.kind).ok_or_else(|| {
        FactsError::corrupt(format!("tag {tag} has non-integer type {}", entry.kind))
    })?;
    if entry.count > MAX_SUBIFDS as u64 && max > 1 {
        return Err(FactsError::corrupt(format!(
            "tag {tag} has {} values",
            entry.count
        )));
    }
    let wanted = entry.count.min(max as u64) as usize;
    let inline = layout.offset_size() as u64;
    let total = entry.count.saturating_mul(size as u64);
    let bytes = if total <= inline {
        bytes::Bytes::copy_from_slice(&entry.field[..wanted * size])
    } else {
        let at = layout.uint(&entry.field[..layout.offset_size()]);
        fetch.exact(at, wanted * size, "tag value")?
    };
    Ok(bytes.chunks_exact(size).map(|v| layout.uint(v)).collect())
}

/// Converts a tag value to a narrower integer, refusing values that do not fit.
fn narrow<T: TryFrom<u64>>(value: u64, name: &str) -> Result<T, FactsError> {
    T::try_from(value).map_err(|_| FactsError::corrupt(format!("{name} {value} is out of range")))
}
