//! One level's directory read alone, at an offset recorded beforehand (`iiif-directories`
//! in the object's metadata, which `create-metadata` writes from a full walk), without
//! walking the chain before it.
//!
//! A pyramid's directories form a chain, and writers put each behind its level's tiles,
//! megabytes apart: reaching level N's directory by walking costs N + 2 dependent reads
//! (header, then one per directory), each a round trip to S3. Read at a known offset it
//! costs one. The offset is only a hint: what is there must parse as a directory (the same
//! bounded parser as the walk), and the caller checks that it describes the level it
//! expects before using it, else walks as usual.

use super::header::Layout;
use super::ifd::read_directory;
use super::stored_tiles::StoredGrid;
use crate::facts::error::FactsError;
use crate::facts::fetch::Fetcher;
use crate::facts::Orientation;
use crate::source::Source;

/// What one directory, read alone, says about its level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoneLevel {
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    /// Its tiles, when they can be sent as stored.
    pub grid: Option<StoredGrid>,
}

/// Reads the directory at `offset` of a TIFF (`big_tiff`: BigTIFF) in the given byte order.
pub fn read_lone_level(
    source: &dyn Source,
    little_endian: bool,
    big_tiff: bool,
    offset: u64,
) -> Result<LoneLevel, FactsError> {
    let mut fetch = Fetcher::new(source);
    if offset < 8 || offset >= fetch.len() {
        return Err(FactsError::corrupt(format!(
            "directory offset {offset} is outside the file ({} bytes)",
            fetch.len()
        )));
    }
    let layout = Layout {
        little_endian,
        big_tiff,
    };
    let dir = read_directory(&mut fetch, layout, offset)?;
    Ok(LoneLevel {
        width: dir.width,
        height: dir.height,
        orientation: dir.orientation,
        grid: dir.stored_grid(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::read_facts;
    use crate::facts::testkit::{build, TestIfd, LONG, SHORT};
    use crate::facts::ImageInfo;

    /// A YCbCr JPEG level of 128 px tiles, with made-up tile arrays.
    fn jpeg_tiled(width: u32, height: u32) -> TestIfd {
        let tiles = u64::from(width.div_ceil(128) * height.div_ceil(128));
        let offsets: Vec<u64> = (0..tiles).map(|i| 4096 + i * 100).collect();
        TestIfd::image(width, height)
            .tiled(128, 128)
            .tag(259, SHORT, &[7])
            .tag(262, SHORT, &[6])
            .tag(324, LONG, &offsets)
            .tag(325, LONG, &vec![100; tiles as usize])
    }

    #[test]
    fn a_walked_levels_directory_read_alone_says_the_same() {
        for big in [false, true] {
            let levels = [
                jpeg_tiled(1000, 800),
                jpeg_tiled(500, 400).subfile(1),
                TestIfd::image(250, 200).subfile(1),
            ];
            let source = build(&levels, big, true).source();
            let ImageInfo::Tiff(tiff) = read_facts(&source).unwrap() else {
                panic!("a TIFF")
            };
            for level in &tiff.pages[0].levels {
                let lone = read_lone_level(&source, tiff.is_little_endian(), big, level.directory)
                    .unwrap();
                assert_eq!((lone.width, lone.height), (level.width, level.height));
                assert_eq!(lone.grid, level.stored_grid());
                assert_eq!(lone.grid.is_some(), level.width > 250, "{}", level.width);
                assert_eq!(lone.orientation, level.orientation);
            }
        }
    }

    #[test]
    fn a_wrong_offset_is_an_error_not_a_guess() {
        let source = build(&[TestIfd::image(100, 80)], false, true).source();
        let len = source.len();
        for offset in [0, 4, len, len + 100] {
            assert!(
                read_lone_level(&source, true, false, offset).is_err(),
                "{offset}"
            );
        }
        // Inside the file but not at a directory: whatever parses there is checked by
        // the caller against the level it expects; garbage counts are refused here.
        assert!(read_lone_level(&source, true, true, 8).is_err());
    }
}
