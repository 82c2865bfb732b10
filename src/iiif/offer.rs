//! What info.json offers viewers besides the limits: a tile grid and preferred whole-image
//! sizes, both derived from the image's levels alone.
//!
//! One rule makes info.json the same wherever the facts came from (S3 metadata, a directory
//! walk, a local file): `sizes` and `tiles` are functions of width, height, levels and tile
//! size, nothing else. CloudFront keeps info.json for a year, so two answers for one image
//! would be frozen at the edge.
//!
//! Viewers read these as a pyramid. OpenSeadragon takes `sizes` as its level sizes when
//! there are as many (or one fewer, the full size then added) as scale factors, and maps
//! the i-th smallest to scale factor `2^(maxLevel - i)`; version 5 (inside Mirador 4) does so
//! without checking. So `sizes` lists exactly one size per scale factor it covers, always
//! the smallest factors first, and the factors of a stored pyramid are its own levels:
//! - a pyramid whose levels halve (as `tiffsave --pyramid` and `--subifd` write them, each
//!   level `floor(previous / 2)` until a tile holds it) offers factors `1, 2, .. 2^(n-1)` for
//!   its `n` levels and lists the levels themselves: cheap to serve, never more entries
//!   than levels;
//! - any other image offers factors doubling until one tile holds it, and lists for each
//!   factor the size a reduce-on-load decoder makes, `ceil(side / factor)` (libjpeg's DCT
//!   scaling and JPEG 2000 resolution levels round up, and so do the viewers);
//! - a pyramid whose levels do not halve lists only the levels that sit on a factor, and no
//!   sizes at all when a viewer would misread that list as its levels.
//!
//! Only sizes within the limits are listed, so the largest may be missing: OpenSeadragon
//! then adds the full size itself, which is exactly the missing level.

use super::limits::Limits;
use super::model::{Dimensions, ImageFacts};

/// The tiles a viewer should request: one tile size and its scale factors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TileSpec {
    pub size: Dimensions,
    pub scale_factors: Vec<u32>,
}

/// Untiled images (a JPEG, a strip TIFF) still get tiles, so deep-zoom viewers work; 512
/// is what most pyramids use.
const VIRTUAL_TILE: u32 = 512;

/// Preferred whole-image sizes, ascending: one per scale factor, from the largest factor
/// down, as long as each is within the limits (see the module documentation).
pub(crate) fn sizes(facts: &ImageFacts, limits: &Limits) -> Vec<Dimensions> {
    let factors = scale_factors(facts, tile_size(facts, limits));
    let full = Dimensions::new(facts.width, facts.height);
    let mut sizes: Vec<Dimensions> = factors
        .iter()
        .rev()
        .filter_map(|&s| size_at(facts, s))
        .filter(|size| limits.check(*size).is_ok())
        .collect();
    sizes.sort_by_key(|size| (size.width, size.height));
    sizes.dedup();
    if misread_as_levels(&sizes, full, &factors) {
        return Vec::new();
    }
    sizes
}

/// The stored tile size (or a virtual one), trimmed to the limits, with the scale factors
/// of the image's levels (see the module documentation).
pub(crate) fn tiles(facts: &ImageFacts, limits: &Limits) -> TileSpec {
    let size = tile_size(facts, limits);
    TileSpec {
        size,
        scale_factors: scale_factors(facts, size),
    }
}

fn tile_size(facts: &ImageFacts, limits: &Limits) -> Dimensions {
    let stored = facts
        .tile
        .unwrap_or(Dimensions::new(VIRTUAL_TILE, VIRTUAL_TILE));
    let area_side = (limits.max_area as f64).sqrt() as u32;
    Dimensions {
        width: stored.width.min(limits.max_width).min(area_side).max(1),
        height: stored.height.min(limits.max_height).min(area_side).max(1),
    }
}

/// `1, 2, .. 2^(n-1)` for a halving pyramid of `n` levels; otherwise doubling from 1 until
/// the whole image fits one tile, where viewers start.
fn scale_factors(facts: &ImageFacts, tile: Dimensions) -> Vec<u32> {
    if is_halving_pyramid(facts) {
        return (0..facts.levels.len() as u32).map(|k| 1 << k).collect();
    }
    let mut factors = vec![1u32];
    let mut s = 1u32;
    while (facts.width.div_ceil(s) > tile.width || facts.height.div_ceil(s) > tile.height)
        && s < 1 << 30
    {
        s *= 2;
        factors.push(s);
    }
    factors
}

/// True when there are several levels and level `k` is the full size divided by `2^k`.
fn is_halving_pyramid(facts: &ImageFacts) -> bool {
    let full = Dimensions::new(facts.width, facts.height);
    facts.levels.len() > 1
        && facts.levels.len() <= 31
        && facts
            .levels
            .iter()
            .enumerate()
            .all(|(k, level)| sits_at(*level, full, 1 << k))
}

/// Whether `level` is `full / s` rounded down or up on both axes.
fn sits_at(level: Dimensions, full: Dimensions, s: u32) -> bool {
    let on = |side: u32, full: u32| side == full / s || side == full.div_ceil(s);
    on(level.width, full.width) && on(level.height, full.height)
}

/// The size offered at scale factor `s`: the stored level there, or for an image with one
/// stored level the size a reduce-on-load decoder makes.
fn size_at(facts: &ImageFacts, s: u32) -> Option<Dimensions> {
    let full = Dimensions::new(facts.width, facts.height);
    if facts.levels.len() <= 1 {
        return Some(Dimensions::new(
            full.width.div_ceil(s),
            full.height.div_ceil(s),
        ));
    }
    facts
        .levels
        .iter()
        .copied()
        .find(|&level| sits_at(level, full, s))
}

/// True when OpenSeadragon would take `sizes` (ascending) as its level sizes and find one
/// of them at the wrong scale factor. It takes them when there are as many as factors, or
/// one fewer (then adding the full size); the i-th smallest then stands for factor
/// `2^(maxLevel - i)`, with `maxLevel = log2(largest factor)`.
fn misread_as_levels(sizes: &[Dimensions], full: Dimensions, factors: &[u32]) -> bool {
    let Some(&largest) = factors.last() else {
        return false;
    };
    let levels = largest.ilog2() as usize + 1;
    if sizes.len() != levels && sizes.len() + 1 != levels {
        return false;
    }
    !sizes
        .iter()
        .enumerate()
        .all(|(i, &size)| sits_at(size, full, 1 << (levels - 1 - i)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::level::tests::{pyramid, vips_pyramid};

    const DEFAULT: Limits = Limits {
        max_width: 10_000,
        max_height: 10_000,
        max_area: 100_000_000,
        upscaling: true,
    };

    fn listed(sizes: &[Dimensions]) -> String {
        let sizes: Vec<String> = sizes
            .iter()
            .map(|d| format!("{}x{}", d.width, d.height))
            .collect();
        sizes.join(" ")
    }

    fn with_levels(width: u32, height: u32, levels: &[(u32, u32)]) -> ImageFacts {
        ImageFacts {
            levels: levels.iter().map(|&(w, h)| Dimensions::new(w, h)).collect(),
            tile: Some(Dimensions::new(256, 256)),
            ..ImageFacts::single(width, height)
        }
    }

    #[test]
    #[rustfmt::skip]
    fn sizes_table() {
        let small = Limits { max_width: 8000, max_height: 8000, max_area: 40_000_000, ..DEFAULT };
        let cases = [
            (ImageFacts::single(1000, 1000), DEFAULT, "500x500 1000x1000"),
            (ImageFacts::single(1001, 99), DEFAULT, "501x50 1001x99"),
            (ImageFacts::single(4000, 3000), DEFAULT, "500x375 1000x750 2000x1500 4000x3000"),
            (ImageFacts::single(50, 30), DEFAULT, "50x30"),
            (ImageFacts::single(0, 0), DEFAULT, ""),
            (ImageFacts::single(30000, 20000), small,
                "469x313 938x625 1875x1250 3750x2500 7500x5000"),
            (pyramid(30000, 20000, true, 512), DEFAULT,
                "59x40 118x79 235x157 469x313 938x625 1875x1250 3750x2500 7500x5000"),
            (pyramid(30000, 20000, false, 512), small,
                "58x39 117x78 234x156 468x312 937x625 1875x1250 3750x2500 7500x5000"),
            // The pyramids: the real levels, whatever the source of the facts.
            (vips_pyramid(25167, 12483, 512), DEFAULT,
                "393x195 786x390 1572x780 3145x1560 6291x3120"),
            (vips_pyramid(8000, 6000, 512), DEFAULT,
                "500x375 1000x750 2000x1500 4000x3000 8000x6000"),
            // A pyramid that stops before one tile holds it keeps its own levels.
            (vips_pyramid(1025, 600, 512), DEFAULT, "512x300 1025x600"),
            // Levels that do not halve: those on a factor, unless a viewer would misread them.
            (with_levels(4000, 4000, &[(4000, 4000), (1000, 1000), (250, 250)]), DEFAULT,
                "250x250 1000x1000 4000x4000"),
            (with_levels(1000, 1000, &[(1000, 1000), (250, 250)]), DEFAULT, ""),
        ];
        for (facts, limits, expected) in cases {
            assert_eq!(listed(&sizes(&facts, &limits)), expected, "{facts:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn tiles_table() {
        let stored = ImageFacts { tile: Some(Dimensions { width: 256, height: 128 }), ..ImageFacts::single(1000, 1000) };
        let tight = Limits { max_width: 300, max_height: 10000, max_area: 40_000, upscaling: true };
        // (facts, limits, tile "WxH", scale factors)
        let cases = [
            (ImageFacts::single(1000, 1000), DEFAULT, "512x512", vec![1, 2]),
            (ImageFacts::single(512, 512), DEFAULT, "512x512", vec![1]),
            (ImageFacts::single(513, 10), DEFAULT, "512x512", vec![1, 2]),
            (ImageFacts::single(0, 0), DEFAULT, "512x512", vec![1]),
            (pyramid(30000, 20000, false, 512), DEFAULT, "512x512", vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512]),
            (vips_pyramid(25167, 12483, 512), DEFAULT, "512x512", vec![1, 2, 4, 8, 16, 32, 64]),
            (vips_pyramid(1025, 600, 512), DEFAULT, "512x512", vec![1, 2]),
            (with_levels(1000, 1000, &[(1000, 1000), (250, 250)]), DEFAULT, "256x256", vec![1, 2, 4]),
            (stored, DEFAULT, "256x128", vec![1, 2, 4, 8]),
            (ImageFacts::single(1000, 1000), tight, "200x200", vec![1, 2, 4, 8]),
        ];
        for (facts, limits, size, factors) in cases {
            let spec = tiles(&facts, &limits);
            assert_eq!((listed(&[spec.size]).as_str(), spec.scale_factors), (size, factors), "{facts:?}");
        }
    }

    /// What OpenSeadragon 5 (inside Mirador 4) makes of `sizes`: its level sizes, smallest
    /// first, when their count is its level count or one fewer (then the full size is
    /// added); `None` when it computes levels itself.
    fn osd5_level_sizes(facts: &ImageFacts, limits: &Limits) -> Option<Vec<Dimensions>> {
        let spec = tiles(facts, limits);
        let max_level = spec.scale_factors.last()?.ilog2() as usize;
        let mut listed = sizes(facts, limits);
        if listed.len() != max_level && listed.len() != max_level + 1 {
            return None;
        }
        listed.sort_by_key(|s| s.width);
        if listed.len() == max_level {
            listed.push(Dimensions::new(facts.width, facts.height));
        }
        Some(listed)
    }

    /// Every image a viewer meets, under every limit: whenever a viewer takes `sizes` as its
    /// levels, level `i` is the image at scale `2^-(maxLevel - i)` within a pixel, and a
    /// pyramid never lists more sizes than it has levels.
    #[test]
    fn viewers_never_misread_sizes_as_levels() {
        let tight = Limits {
            max_width: 2000,
            max_height: 2000,
            max_area: 4_000_000,
            ..DEFAULT
        };
        let narrow = Limits {
            max_width: 1000,
            ..DEFAULT
        };
        let mut checked = 0;
        for limits in [DEFAULT, tight, narrow] {
            for (w, h) in [
                (1, 1),
                (50, 30),
                (513, 100),
                (1000, 1000),
                (1025, 600),
                (1100, 300),
                (4000, 3000),
                (5001, 3333),
                (14000, 9000),
                (20001, 10001),
                (25167, 12483),
                (49000, 28000),
            ] {
                for tile in [256, 512] {
                    for facts in [
                        ImageFacts::single(w, h),
                        vips_pyramid(w, h, tile),
                        pyramid(w, h, true, tile),
                        pyramid(w, h, false, tile),
                    ] {
                        let full = Dimensions::new(w, h);
                        if facts.levels.len() > 1 {
                            assert!(sizes(&facts, &limits).len() <= facts.levels.len());
                        }
                        let Some(levels) = osd5_level_sizes(&facts, &limits) else {
                            continue;
                        };
                        let max = levels.len() - 1;
                        for (i, level) in levels.iter().enumerate() {
                            let s = 1u32 << (max - i);
                            assert!(
                                sits_at(*level, full, s),
                                "{facts:?} {limits:?}: level {i} {level:?}"
                            );
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50, "only {checked} cases were taken as levels");
    }
}
