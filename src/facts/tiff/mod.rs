//! TIFF and BigTIFF: the directory walker and the grouping of directories into pages and
//! pyramid levels.
//!
//! A TIFF costs one read per directory (plus one for the header, and one more for a SubIFD
//! array that sits behind big tile arrays), where libvips re-reads every directory's tile
//! arrays on open, about 170 small reads for a big pyramid.

mod header;
mod ifd;
mod lone;
mod pages;
mod stored_tiles;
pub(super) mod walk;

#[cfg(test)]
mod tests_group;

pub use lone::{read_lone_level, LoneLevel};
pub use pages::{LevelLoad, TiffInfo, TiffLevel, TiffPage};
pub use stored_tiles::{JpegColour, StoredGrid, StoredTiles};

use super::error::FactsError;
use super::fetch::Fetcher;
use crate::source::Source;

/// Walks the directories of a TIFF or BigTIFF and groups them into pages.
pub fn read_tiff(source: &dyn Source) -> Result<TiffInfo, FactsError> {
    tiff_with(&mut Fetcher::new(source))
}

/// The same walk over a fetcher that may already hold the sniffing read.
pub(super) fn tiff_with(fetch: &mut Fetcher) -> Result<TiffInfo, FactsError> {
    let walked = walk::walk(fetch)?;
    let info = TiffInfo::from_walk(walked, fetch.reads());
    if info.pages.is_empty() {
        return Err(FactsError::corrupt("the TIFF has only transparency masks"));
    }
    Ok(info)
}
