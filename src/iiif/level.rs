//! Choosing which stored resolution to read for a planned output.
//!
//! Reading the smallest level that still has enough pixels is what makes a deep-zoom tile
//! cost one stored tile instead of a full-resolution area 2^n times larger. "Enough" needs
//! a tolerance: pyramid tools halve with floor or ceil, and viewers round tile sizes up
//! (OpenSeadragon asks for `ceil(w / s)`; a 2.1 `w,` request derives its height from that
//! rounded width), so the level made for scale factor `s` can be a pixel or two short of
//! the request. Without tolerance such a tile would be read from the level four times
//! larger. So a level qualifies when the region mapped into it (`region * level / full`)
//! has at least 100/101 of the output on each axis: an upscale of at most 1%, invisible,
//! and enough for those roundings on any tile of 100 px or more. Tiny outputs, where one
//! pixel is more than 1%, read the next larger level, which costs about the same.

use super::model::{Dimensions, ImageFacts, Rect};

/// Index into `facts.levels` of the smallest level that covers `out` for `region`;
/// level 0 when none does (an upscale) or when the facts list no levels.
pub(crate) fn choose_level(facts: &ImageFacts, region: Rect, out: Dimensions) -> usize {
    facts
        .levels
        .iter()
        .enumerate()
        .rev()
        .find(|(_, level)| {
            covers(region.width, level.width, facts.width, out.width)
                && covers(region.height, level.height, facts.height, out.height)
        })
        .map_or(0, |(index, _)| index)
}

/// Whether `region` full-resolution pixels, seen in a level `level` px long out of `full`,
/// provide `out` pixels within the 1% tolerance. Exact integer arithmetic.
fn covers(region: u32, level: u32, full: u32, out: u32) -> bool {
    let available = u128::from(region) * u128::from(level); // in units of 1/full px
    let wanted = u128::from(out) * u128::from(full);
    available * 101 >= wanted * 100
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A pyramid halving `width` x `height` with ceil (or floor) until both sides are <= 64.
    pub(crate) fn pyramid(width: u32, height: u32, ceil: bool, tile: u32) -> ImageFacts {
        let mut levels = vec![Dimensions { width, height }];
        while let Some(&last) = levels.last().filter(|d| d.width > 64 || d.height > 64) {
            let half = |side: u32| if ceil { side.div_ceil(2) } else { side / 2 };
            levels.push(Dimensions {
                width: half(last.width),
                height: half(last.height),
            });
        }
        let tile = Some(Dimensions {
            width: tile,
            height: tile,
        });
        ImageFacts {
            width,
            height,
            levels,
            tile,
        }
    }

    /// The levels `vips tiffsave --pyramid` writes: halving with floor while a side is
    /// larger than the tile.
    pub(crate) fn vips_pyramid(width: u32, height: u32, tile: u32) -> ImageFacts {
        let mut levels = vec![Dimensions { width, height }];
        while let Some(&last) = levels.last().filter(|d| d.width > tile || d.height > tile) {
            levels.push(Dimensions::new(last.width / 2, last.height / 2));
        }
        ImageFacts {
            width,
            height,
            levels,
            tile: Some(Dimensions::new(tile, tile)),
        }
    }

    #[test]
    fn pyramid_helper_shapes() {
        let ceil = pyramid(30000, 20000, true, 512);
        let floor = pyramid(30000, 20000, false, 512);
        assert_eq!(ceil.levels.len(), 10);
        assert_eq!(ceil.levels[6], Dimensions::new(469, 313));
        assert_eq!(floor.levels[6], Dimensions::new(468, 312));
        assert_eq!(floor.levels[9], Dimensions::new(58, 39));
    }

    #[test]
    fn level_table() {
        let single = ImageFacts::single(1000, 1000);
        let ceil = pyramid(30000, 20000, true, 512);
        let floor = pyramid(30000, 20000, false, 512);
        let full = Rect::new(0, 0, 30000, 20000);
        // (facts, region, output, expected level)
        let cases = [
            (
                &single,
                Rect::new(0, 0, 1000, 1000),
                Dimensions::new(10, 10),
                0,
            ),
            (
                &single,
                Rect::new(0, 0, 1000, 1000),
                Dimensions::new(2000, 2000),
                0,
            ),
            (&ceil, full, Dimensions::new(30000, 20000), 0),
            (&ceil, full, Dimensions::new(15000, 10000), 1),
            (&ceil, full, Dimensions::new(15150, 10000), 1),
            (&ceil, full, Dimensions::new(15151, 10000), 0),
            (&ceil, full, Dimensions::new(10000, 6666), 1),
            (&ceil, full, Dimensions::new(469, 313), 6),
            (&floor, full, Dimensions::new(469, 313), 6),
            (&floor, full, Dimensions::new(472, 315), 6),
            (&floor, full, Dimensions::new(473, 313), 5),
            (&ceil, full, Dimensions::new(58, 39), 9),
            (&floor, full, Dimensions::new(59, 40), 8),
            (&ceil, full, Dimensions::new(1, 1), 9),
            (&ceil, Rect::new(0, 0, 2, 2), Dimensions::new(2, 2), 0),
            (&ceil, Rect::new(0, 0, 2, 2), Dimensions::new(1, 1), 1),
            (
                &ceil,
                Rect::new(0, 0, 4096, 4096),
                Dimensions::new(512, 512),
                3,
            ),
            (
                &ceil,
                Rect::new(0, 0, 4096, 4096),
                Dimensions::new(517, 512),
                3,
            ),
            (
                &ceil,
                Rect::new(0, 0, 4096, 4096),
                Dimensions::new(518, 512),
                2,
            ),
            (
                &floor,
                Rect::new(16384, 0, 13616, 16384),
                Dimensions::new(426, 513),
                5,
            ),
        ];
        for (facts, region, out, expected) in cases {
            assert_eq!(
                choose_level(facts, region, out),
                expected,
                "{region:?} -> {out:?}"
            );
        }
    }

    #[test]
    fn facts_without_levels_pick_zero() {
        let facts = ImageFacts {
            width: 10,
            height: 10,
            levels: vec![],
            tile: None,
        };
        assert_eq!(
            choose_level(&facts, Rect::new(0, 0, 10, 10), Dimensions::new(5, 5)),
            0
        );
    }
}
