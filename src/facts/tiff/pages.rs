//! What a TIFF holds, as the service sees it: pages, each a pyramid of levels, and for
//! every level the directory that stores exactly it.
//!
//! Writers mark pyramids in three ways, and all three are recognised:
//! - SubIFDs of a main directory are its reduced levels (OME-TIFF, `tiffsave --subifd`,
//!   and every libvips multi-page pyramid);
//! - in the main chain, NewSubfileType bit 1 ("reduced resolution") attaches a directory to
//!   the full-resolution one before it (`tiffsave --pyramid`: level 0 carries no tag, the
//!   others carry 1), and bit 4 ("transparency mask") directories are not images at all;
//! - older writers set no NewSubfileType anywhere; then a chain whose directories halve in
//!   size with a constant aspect ratio is one pyramid, anything else a multi-page document.

use super::ifd::Directory;
use super::stored_tiles::{StoredGrid, StoredTiles};
use super::walk::{MainIfd, Walk};
use crate::facts::Orientation;
use crate::iiif::{Dimensions, ImageFacts};

const REDUCED: u32 = 1;
const MASK: u32 = 4;

/// Which directory stores one level: libvips opens it with `page=N` or `page=P,subifd=K`
/// (render writes those options; see [`crate::facts::Loader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LevelLoad {
    /// Index in the main IFD chain (libvips `page=N`), counting every directory in it.
    Page(u32),
    /// The `index`th SubIFD of main-chain directory `page` (libvips `page=P,subifd=K`).
    SubIfd { page: u32, index: u32 },
}

/// One stored resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiffLevel {
    pub width: u32,
    pub height: u32,
    /// Tile size; `None` for a stripped level.
    pub tile: Option<Dimensions>,
    /// Rows per strip for a stripped level (the height when it is one strip).
    pub rows_per_strip: Option<u32>,
    /// TIFF Compression: 1 none, 5 LZW, 7 JPEG, 8 deflate, 34712 JPEG 2000 ...
    pub compression: u16,
    /// TIFF Photometric: 1 BlackIsZero, 2 RGB, 6 YCbCr ...
    pub photometric: u16,
    pub samples_per_pixel: u16,
    /// The first sample's bit depth.
    pub bits_per_sample: u16,
    /// 1 chunky (interleaved), 2 planar.
    pub planar_config: u16,
    pub load: LevelLoad,
    /// Where its directory is in the file.
    pub directory: u64,
    /// How it is turned to be displayed (tag 274).
    pub orientation: Orientation,
    /// Its JPEG tiles, when they can be sent as they are stored.
    pub stored_tiles: Option<StoredTiles>,
}

impl TiffLevel {
    fn new(dir: &Directory, load: LevelLoad) -> Self {
        TiffLevel {
            width: dir.width,
            height: dir.height,
            tile: dir.tile.map(|(width, height)| Dimensions { width, height }),
            rows_per_strip: dir.rows_per_strip,
            compression: dir.compression,
            photometric: dir.photometric,
            samples_per_pixel: dir.samples_per_pixel,
            bits_per_sample: dir.bits_per_sample,
            planar_config: dir.planar_config,
            load,
            directory: dir.offset,
            orientation: dir.orientation,
            stored_tiles: dir.stored_tiles(),
        }
    }

    pub fn is_tiled(&self) -> bool {
        self.tile.is_some()
    }

    /// Its grid of stored tiles, when they can be sent as stored.
    pub fn stored_grid(&self) -> Option<StoredGrid> {
        Some(StoredGrid {
            width: self.width,
            height: self.height,
            tile: self.tile?,
            tiles: self.stored_tiles?,
        })
    }
}

/// One addressable image: its full resolution first, then smaller levels, largest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiffPage {
    pub levels: Vec<TiffLevel>,
}

/// Every page of a TIFF and what it cost to find them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiffInfo {
    /// Pages in file order; the service's page numbers (0-based) index this.
    pub pages: Vec<TiffPage>,
    directories: u32,
    reads: u32,
    big_tiff: bool,
    little_endian: bool,
}

impl TiffInfo {
    pub(crate) fn from_walk(walk: Walk, reads: u32) -> Self {
        let pages = group(&walk.mains);
        TiffInfo {
            pages,
            directories: walk.directories,
            reads,
            big_tiff: walk.layout.big_tiff,
            little_endian: walk.layout.little_endian,
        }
    }

    pub fn page_count(&self) -> u32 {
        self.pages.len() as u32
    }

    /// Directories read to find the pages (main chain and SubIFDs, masks included).
    pub fn directories_read(&self) -> u32 {
        self.directories
    }

    /// Reads issued to the source to find them (including the sniffing read, if shared).
    pub fn source_reads(&self) -> u32 {
        self.reads
    }

    pub fn is_big_tiff(&self) -> bool {
        self.big_tiff
    }

    /// Byte order "II" (true) or "MM".
    pub fn is_little_endian(&self) -> bool {
        self.little_endian
    }

    pub fn level(&self, page: u32, level: usize) -> Option<&TiffLevel> {
        self.pages.get(page as usize)?.levels.get(level)
    }

    /// How libvips opens `level` of `page`.
    pub fn level_load(&self, page: u32, level: usize) -> Option<LevelLoad> {
        self.level(page, level).map(|l| l.load)
    }

    pub fn is_tiled(&self, page: u32, level: usize) -> Option<bool> {
        self.level(page, level).map(TiffLevel::is_tiled)
    }

    /// The planning facts of `page` as displayed: its levels, and the full resolution's
    /// tile size, turned by the page's orientation.
    pub fn facts(&self, page: u32) -> Option<ImageFacts> {
        let levels = &self.pages.get(page as usize)?.levels;
        let full = levels.first()?;
        let turn = |d: Dimensions| full.orientation.turn(d);
        let shown = turn(Dimensions::new(full.width, full.height));
        Some(ImageFacts {
            width: shown.width,
            height: shown.height,
            levels: levels
                .iter()
                .map(|l| turn(Dimensions::new(l.width, l.height)))
                .collect(),
            tile: full.tile.map(turn),
        })
    }

    /// How `page` is turned to be displayed: its full resolution's orientation, which its
    /// reduced levels follow (writers tag them alike, or only the first).
    pub fn orientation(&self, page: u32) -> Orientation {
        self.pages
            .get(page as usize)
            .and_then(|p| p.levels.first())
            .map_or(Orientation::UPRIGHT, |l| l.orientation)
    }
}

/// Groups the main chain (and its SubIFDs) into pages.
pub(crate) fn group(mains: &[MainIfd]) -> Vec<TiffPage> {
    // "Marked" means some directory sets a nonzero NewSubfileType: a writer that says "this
    // is a reduced level" or "this is a page" is believed over the size heuristic. A chain
    // of explicit zeros says nothing more than an absent tag, so it gets the heuristic.
    let marked = mains.iter().any(|m| m.dir.subfile_type != 0);
    let pyramid = !marked && is_pyramid_chain(mains);
    let mut pages: Vec<TiffPage> = Vec::new();
    for (index, main) in mains.iter().enumerate() {
        let kind = main.dir.subfile_type;
        if kind & MASK != 0 {
            continue;
        }
        let mut levels = vec![TiffLevel::new(&main.dir, LevelLoad::Page(index as u32))];
        levels.extend(sub_levels(main, index as u32));
        let joins_previous = if marked {
            kind & REDUCED != 0
        } else {
            index > 0 && pyramid
        };
        match pages.last_mut() {
            Some(page) if joins_previous => page.levels.extend(levels),
            _ => pages.push(TiffPage { levels }),
        }
    }
    pages.iter_mut().for_each(order_levels);
    pages
}

/// The image SubIFDs of one main directory, as levels.
fn sub_levels(main: &MainIfd, page: u32) -> impl Iterator<Item = TiffLevel> + '_ {
    main.subs
        .iter()
        .enumerate()
        .filter(|(_, sub)| sub.subfile_type & MASK == 0)
        .map(move |(index, sub)| {
            TiffLevel::new(
                sub,
                LevelLoad::SubIfd {
                    page,
                    index: index as u32,
                },
            )
        })
}

/// Keeps the full resolution first and the rest largest first, dropping levels that are not
/// smaller than it: planning assumes every later level is a reduction of `levels[0]`.
fn order_levels(page: &mut TiffPage) {
    let Some(full) = page.levels.first().cloned() else {
        return;
    };
    let mut rest: Vec<TiffLevel> = page.levels.drain(1..).collect();
    rest.retain(|l| {
        l.width <= full.width
            && l.height <= full.height
            && (l.width, l.height) != (full.width, full.height)
    });
    rest.sort_by_key(|l| std::cmp::Reverse((l.width, l.height)));
    page.levels.extend(rest);
}

/// True when an unmarked main chain looks like one pyramid: at least two directories, each
/// about half the previous one on both axes.
fn is_pyramid_chain(mains: &[MainIfd]) -> bool {
    mains.len() > 1
        && mains
            .windows(2)
            .all(|pair| halves(&pair[0].dir, &pair[1].dir))
}

/// True when `next` is roughly a 2x reduction of `prev` with the same aspect ratio (within
/// 1%). Rounding is forgiven: small levels (3x2 -> 1x1) cannot keep the aspect exactly.
pub(crate) fn halves(prev: &Directory, next: &Directory) -> bool {
    let rounded = |p: u32, n: u32| (2 * n as u64).abs_diff(p as u64) <= 2;
    let roughly = |p: u32, n: u32| {
        let (p, n) = (p as u64, 2 * n as u64);
        n * 100 >= p * 95 && n * 100 <= p * 105
    };
    if rounded(prev.width, next.width) && rounded(prev.height, next.height) {
        return true;
    }
    let (pw, ph, nw, nh) = (
        prev.width as u64,
        prev.height as u64,
        next.width as u64,
        next.height as u64,
    );
    let aspect_close = (pw * nh).abs_diff(nw * ph) * 100 <= pw * nh;
    roughly(prev.width, next.width) && roughly(prev.height, next.height) && aspect_close
}
