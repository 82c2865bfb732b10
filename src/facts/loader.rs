//! The one specification of what to open: which libvips loader reads an object, which
//! stored image inside it, and whether its bytes can be read by ranges.
//!
//! The facts know the container from the sniffed bytes and, for a TIFF, every directory
//! from the walk, so the renderer does not sniff and guess; libvips still checks the bytes
//! and fails with a decode error when they are not what the spec says.

use super::{ContainerFormat, ImageInfo, LevelLoad};

/// Which libvips loader reads the object, and which stored image inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loader {
    /// A TIFF directory: a page of the main chain, or a pyramid level stored as a SubIFD.
    Tiff(LevelLoad),
    Jpeg,
    Png,
    Webp,
    /// JPEG 2000; the renderer picks the resolution level to decode. `tiled`: stored in
    /// tiles that decode apart, so a region need not decode the whole image.
    Jp2 {
        tiled: bool,
    },
    Gif,
}

/// How to open one planned level of one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenSpec {
    pub loader: Loader,
    /// True when libvips can read the level by ranges (a tiled TIFF level); otherwise it
    /// needs the whole object locally (JPEG, PNG, JPEG 2000, strip TIFF).
    pub ranged: bool,
}

impl ImageInfo {
    /// How to open `level` of `page` (0-based), or `None` when there is no such level.
    pub fn open_spec(&self, page: u32, level: usize) -> Option<OpenSpec> {
        let raster = |loader| {
            (page == 0 && level == 0).then_some(OpenSpec {
                loader,
                ranged: false,
            })
        };
        match self {
            ImageInfo::Tiff(tiff) => tiff.level(page, level).map(|l| OpenSpec {
                loader: Loader::Tiff(l.load),
                ranged: l.is_tiled(),
            }),
            ImageInfo::Raster { format, tiled, .. } => match format {
                // A sniffed TIFF is always walked, so it never arrives here as a raster.
                ContainerFormat::Tiff => None,
                ContainerFormat::Jpeg => raster(Loader::Jpeg),
                ContainerFormat::Png => raster(Loader::Png),
                ContainerFormat::Webp => raster(Loader::Webp),
                ContainerFormat::Jp2 => raster(Loader::Jp2 { tiled: *tiled }),
                ContainerFormat::Gif => raster(Loader::Gif),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::read_facts;
    use crate::facts::testkit::{build, TestIfd};

    #[test]
    fn rasters_have_one_whole_image() {
        let info = ImageInfo::Raster {
            format: ContainerFormat::Png,
            width: 10,
            height: 10,
            orientation: Default::default(),
            tiled: false,
        };
        let spec = info.open_spec(0, 0).unwrap();
        assert_eq!(spec.loader, Loader::Png);
        assert!(!spec.ranged);
        assert_eq!(info.open_spec(1, 0), None);
        assert_eq!(info.open_spec(0, 1), None);
    }

    #[test]
    fn tiff_levels_open_their_own_directory_by_ranges_when_tiled() {
        let subs = vec![
            TestIfd::image(500, 400).tiled(128, 128).subfile(1),
            TestIfd::image(250, 200).subfile(1),
        ];
        let page = TestIfd::image(1000, 800).tiled(128, 128).with_subs(subs);
        let source = build(&[page], false, true).source();
        let info = read_facts(&source).unwrap();
        let spec = |level| info.open_spec(0, level);
        let want = |load, ranged| {
            Some(OpenSpec {
                loader: Loader::Tiff(load),
                ranged,
            })
        };
        assert_eq!(spec(0), want(LevelLoad::Page(0), true));
        assert_eq!(spec(1), want(LevelLoad::SubIfd { page: 0, index: 0 }, true));
        assert_eq!(
            spec(2),
            want(LevelLoad::SubIfd { page: 0, index: 1 }, false)
        );
        assert_eq!(spec(3), None);
        assert_eq!(info.open_spec(1, 0), None);
    }
}
