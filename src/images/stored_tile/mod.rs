//! Stored-tile pass-through: a request that asks for exactly one stored JPEG tile of a
//! tiled level, as it is stored, is answered with that tile's bytes made into a complete
//! JPEG, with no decode and no re-encode.
//!
//! Exactly means: the region is one whole tile of the grid of the level the plan chose,
//! scaled by that level's power-of-two factor (what a viewer asks for, from info.json's
//! `tiles`), the size is the tile's own, no rotation or mirroring, quality `default` or
//! `color` (or `gray` on a grey source), format `jpg`, and the level's tiles qualify (see
//! `facts/tiff/stored_tiles.rs`: JPEG, 8-bit, YCbCr/RGB/grey, no alpha, no ICC profile).
//! A partial tile on the right or bottom edge is stored padded to the full tile size, so
//! it is rendered, as is anything else. The ETag and canonical link do not depend on the
//! path taken; the request log line says which one answered.
//!
//! Cost: two entries of the tile arrays (a few bytes each) and the level's JPEGTables
//! (hundreds of bytes), read as one span when they lie together (see `nearby.rs`), then
//! the tile's own bytes: two round trips to S3 on a cold block cache.

mod answer;
mod nearby;
mod splice;

use crate::facts::{ImageInfo, JpegColour, StoredGrid, StoredTiles};
use crate::iiif::{Dimensions, Format, ImageFacts, Plan, Quality, Rect};
use crate::source::{Source, SourceError, SourceErrorKind};

/// One stored tile a request maps onto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TileAddress {
    pub(crate) tiles: StoredTiles,
    pub(crate) index: u64,
    pub(crate) size: Dimensions,
}

/// The stored tile `plan` asks for exactly, if there is one.
pub(crate) fn address(
    info: &ImageInfo,
    page: u32,
    facts: &ImageFacts,
    plan: &Plan,
) -> Option<TileAddress> {
    let ImageInfo::Tiff(tiff) = info else {
        return None;
    };
    // A turned image's tiles are stored turned: they must be rendered upright.
    if !tiff.orientation(page).is_upright() {
        return None;
    }
    address_in(&tiff.level(page, plan.level)?.stored_grid()?, facts, plan)
}

/// False when no stored tile could answer `plan`, whatever the level: worth knowing before
/// reading a directory to find out.
pub(crate) fn may_pass_through(plan: &Plan) -> bool {
    plan.format == Format::Jpg
        && plan.degrees == 0.0
        && !plan.mirror
        && plan.quality != Quality::Bitonal
}

/// The stored tile of `grid`, the level `plan` chose, that `plan` asks for exactly.
pub(crate) fn address_in(
    grid: &StoredGrid,
    facts: &ImageFacts,
    plan: &Plan,
) -> Option<TileAddress> {
    let quality_kept = match plan.quality {
        Quality::Default | Quality::Color => true,
        Quality::Gray => grid.tiles.colour == JpegColour::Grey,
        Quality::Bitonal => false,
    };
    if !may_pass_through(plan) || !quality_kept {
        return None;
    }
    let index = tile_index(
        Dimensions::new(grid.width, grid.height),
        grid.tile,
        facts,
        plan,
    )?;
    (index < grid.tiles.offsets.len()).then_some(TileAddress {
        tiles: grid.tiles,
        index,
        size: grid.tile,
    })
}

/// The index of the whole tile, in a grid of `tile`-sized tiles over `level`, that `plan`
/// asks for exactly; `None` when it asks for anything else.
pub(crate) fn tile_index(
    level: Dimensions,
    tile: Dimensions,
    facts: &ImageFacts,
    plan: &Plan,
) -> Option<u64> {
    let factor = power_of_two_factor(facts, level)?;
    let (tw, th) = (tile.width, tile.height);
    let Rect {
        x,
        y,
        width,
        height,
    } = plan.region;
    let (span_w, span_h) = (u64::from(tw) * factor, u64::from(th) * factor);
    let aligned = u64::from(x) % span_w == 0 && u64::from(y) % span_h == 0;
    let whole_span = u64::from(width) == span_w && u64::from(height) == span_h;
    if !aligned || !whole_span || (plan.width, plan.height) != (tw, th) {
        return None;
    }
    let (col, row) = (u64::from(x) / span_w, u64::from(y) / span_h);
    // A whole tile of the level: edge tiles are stored padded, and rendered instead.
    let inside = (col + 1) * u64::from(tw) <= u64::from(level.width)
        && (row + 1) * u64::from(th) <= u64::from(level.height);
    inside.then(|| row * u64::from(level.width).div_ceil(u64::from(tw)) + col)
}

/// The power-of-two factor between full resolution and `level`, the level's sides being
/// the full ones divided by it and rounded up or down (how pyramids are written, and how
/// info.json's `scaleFactors` announce them); `None` for any other level.
fn power_of_two_factor(facts: &ImageFacts, level: Dimensions) -> Option<u64> {
    let side = |full: u32, factor: u64| {
        let full = u64::from(full);
        [full.div_ceil(factor), full / factor]
    };
    (0..=20).map(|n| 1u64 << n).find(|&factor| {
        side(facts.width, factor).contains(&u64::from(level.width))
            && side(facts.height, factor).contains(&u64::from(level.height))
    })
}

/// Most bytes one stored tile may have: a 1024x1024 tile at JPEG quality 100 is under
/// 3 MB; anything bigger is a damaged byte count.
const MAX_TILE_BYTES: u64 = 16 << 20;

/// Reads the tile at `address` from `source` and makes it a complete JPEG.
pub(crate) fn read(source: &dyn Source, address: &TileAddress) -> Result<Vec<u8>, SourceError> {
    let tiles = &address.tiles;
    let wanted = [
        tiles.offsets.entry_range(address.index),
        tiles.byte_counts.entry_range(address.index),
        tiles.jpeg_tables.and_then(|t| t.range()),
    ];
    let near = nearby::Nearby::gather(source, wanted.into_iter().flatten())?;
    let offset = tiles.offsets.get(&near, address.index)?;
    let len = tiles.byte_counts.get(&near, address.index)?;
    if len == 0 || len > MAX_TILE_BYTES {
        return Err(SourceError::new(
            SourceErrorKind::Other,
            format!("stored tile {} claims {len} bytes", address.index),
        ));
    }
    let tile = source.read_at(offset, len as usize)?;
    let tables = tiles.jpeg_tables.map(|t| t.read(&near)).transpose()?;
    splice::complete_jpeg(&tile, tables.as_deref(), tiles.colour).ok_or_else(|| {
        SourceError::new(
            SourceErrorKind::Other,
            format!("stored tile {} is not an abbreviated JPEG", address.index),
        )
    })
}
