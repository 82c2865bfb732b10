//! Image facts from a few ranged reads: what an object holds (pages, pyramid levels, tile
//! sizes) and how each stored image is opened ([`Loader`]).
//!
//! info.json and the choice of pyramid level need sizes, levels and tiles, and must not wait
//! for libvips to open a file. The TIFF walker (`tiff/`) reads one directory per read; the
//! other formats cost one or two reads of their header. Everything returns an error, never
//! panics, on truncated or hostile bytes: files come from whoever can write to a bucket.
//!
//! The facts are also the one specification of what to open: [`ImageInfo::open_spec`]
//! names the loader and stored image for a planned level and says whether its bytes can be
//! read by ranges. Render takes that as is and is the only place that writes libvips
//! options from it.

mod error;
mod fetch;
mod jp2;
mod loader;
mod orientation;
mod raster;
mod sniff;
mod tiff;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests_formats;
#[cfg(test)]
mod tests_tiff;
#[cfg(test)]
mod tests_vips;

pub use error::{FactsError, FactsErrorKind};
/// The least one facts read asks for (a directory and what writers put behind it).
pub(crate) use fetch::CHUNK;
pub use loader::{Loader, OpenSpec};
pub use orientation::Orientation;
pub use sniff::{sniff_format, ContainerFormat};
pub use tiff::{
    read_lone_level, read_tiff, JpegColour, LevelLoad, LoneLevel, StoredGrid, StoredTiles,
    TiffInfo, TiffLevel, TiffPage,
};

use crate::iiif::{self, ImageFacts};
use crate::source::Source;
use fetch::Fetcher;

/// What [`read_facts`] learned about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageInfo {
    /// A TIFF, with every page and level.
    Tiff(TiffInfo),
    /// A single-image format, of which only the size is known.
    Raster {
        format: ContainerFormat,
        /// Stored width and height (before `orientation`).
        width: u32,
        height: u32,
        orientation: Orientation,
        /// Stored in tiles that decode apart (a tiled JPEG 2000 codestream), so a region
        /// costs the tiles it touches rather than the whole image.
        tiled: bool,
    },
}

impl ImageInfo {
    pub fn format(&self) -> ContainerFormat {
        match self {
            ImageInfo::Tiff(_) => ContainerFormat::Tiff,
            ImageInfo::Raster { format, .. } => *format,
        }
    }

    /// Pages the service can address. Non-TIFF formats have one; animated GIF and WebP
    /// frames are not counted, since that would mean reading the whole file.
    pub fn page_count(&self) -> u32 {
        match self {
            ImageInfo::Tiff(tiff) => tiff.page_count(),
            ImageInfo::Raster { .. } => 1,
        }
    }

    /// The planning facts of `page` (0-based), as displayed (see [`Orientation`]), or
    /// `None` when there is no such page.
    pub fn facts(&self, page: u32) -> Option<ImageFacts> {
        match self {
            ImageInfo::Tiff(tiff) => tiff.facts(page),
            ImageInfo::Raster {
                width,
                height,
                orientation,
                ..
            } => (page == 0).then(|| {
                let shown = orientation.turn(iiif::Dimensions::new(*width, *height));
                ImageFacts::single(shown.width, shown.height)
            }),
        }
    }

    /// How `page` is turned to be displayed.
    pub fn orientation(&self, page: u32) -> Orientation {
        match self {
            ImageInfo::Tiff(tiff) => tiff.orientation(page),
            ImageInfo::Raster { orientation, .. } => *orientation,
        }
    }

    /// The TIFF details, for choosing `tiffload` options.
    pub fn tiff(&self) -> Option<&TiffInfo> {
        match self {
            ImageInfo::Tiff(tiff) => Some(tiff),
            ImageInfo::Raster { .. } => None,
        }
    }
}

/// Sniffs the format of `source` and reads its facts; the sniffing read is reused.
pub fn read_facts(source: &dyn Source) -> Result<ImageInfo, FactsError> {
    let mut fetch = Fetcher::new(source);
    let format = sniff::sniff_with(&mut fetch)?;
    let mut orientation = Orientation::UPRIGHT;
    let mut tiled = false;
    let (width, height) = match format {
        ContainerFormat::Tiff => return Ok(ImageInfo::Tiff(tiff::tiff_with(&mut fetch)?)),
        ContainerFormat::Jpeg => {
            let (width, height, turned) = raster::jpeg_facts(&mut fetch)?;
            orientation = turned;
            (width, height)
        }
        ContainerFormat::Png => raster::png_size(&mut fetch)?,
        ContainerFormat::Webp => raster::webp_size(&mut fetch)?,
        ContainerFormat::Gif => raster::gif_size(&mut fetch)?,
        ContainerFormat::Jp2 => {
            let head = fetch.exact(0, 2, "JPEG 2000 signature")?;
            let found = if head[..] == [0xFF, 0x4F] {
                jp2::codestream_facts(&mut fetch, 0)?
            } else {
                jp2::jp2_facts(&mut fetch)?
            };
            tiled = found.tiled;
            (found.width, found.height)
        }
    };
    Ok(ImageInfo::Raster {
        format,
        width,
        height,
        orientation,
        tiled,
    })
}
