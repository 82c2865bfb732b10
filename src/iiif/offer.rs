//! What info.json offers viewers besides the limits: preferred whole-image sizes and a
//! tile grid.
//!
//! Both are chosen to be cheap for us and sufficient for viewers: sizes are the stored
//! levels when there is a pyramid, and the tile grid matches the stored tiles, so every
//! tile a viewer derives from it reads exactly one stored level (see `level` and the
//! tests in `plan`).

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

/// Below this longer side, a listed size is a thumbnail nobody asks for.
const MIN_LISTED_SIDE: u32 = 64;

/// Preferred whole-image sizes, ascending: the stored levels of a pyramid (cheap to serve),
/// else successive halvings (rounded up) of the full size; only those within the limits.
pub(crate) fn sizes(facts: &ImageFacts, limits: &Limits) -> Vec<Dimensions> {
    let mut sizes = if facts.levels.len() > 1 {
        facts.levels.clone()
    } else {
        halvings(Dimensions {
            width: facts.width,
            height: facts.height,
        })
    };
    sizes.retain(|size| {
        limits.check(*size).is_ok() && size.width <= facts.width && size.height <= facts.height
    });
    sizes.sort_by_key(|size| (size.width, size.height));
    sizes.dedup();
    sizes
}

fn halvings(full: Dimensions) -> Vec<Dimensions> {
    let mut out = vec![full];
    let mut current = full;
    loop {
        let next = Dimensions {
            width: current.width.div_ceil(2),
            height: current.height.div_ceil(2),
        };
        if next.width.max(next.height) < MIN_LISTED_SIDE || next == current {
            return out;
        }
        out.push(next);
        current = next;
    }
}

/// The stored tile size (or a virtual one), trimmed to the limits, with scale factors
/// doubling from 1 until the whole image fits one tile: viewers start from that level.
pub(crate) fn tiles(facts: &ImageFacts, limits: &Limits) -> TileSpec {
    let stored = facts.tile.unwrap_or(Dimensions {
        width: VIRTUAL_TILE,
        height: VIRTUAL_TILE,
    });
    let area_side = (limits.max_area as f64).sqrt() as u32;
    let size = Dimensions {
        width: stored.width.min(limits.max_width).min(area_side).max(1),
        height: stored.height.min(limits.max_height).min(area_side).max(1),
    };
    let mut scale_factors = vec![1u32];
    let mut s = 1u32;
    while (facts.width.div_ceil(s) > size.width || facts.height.div_ceil(s) > size.height)
        && s < 1 << 30
    {
        s *= 2;
        scale_factors.push(s);
    }
    TileSpec {
        size,
        scale_factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::level::tests::pyramid;

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

    #[test]
    #[rustfmt::skip]
    fn sizes_table() {
        let small = Limits { max_width: 8000, max_height: 8000, max_area: 40_000_000, ..DEFAULT };
        let cases = [
            (ImageFacts::single(1000, 1000), DEFAULT, "125x125 250x250 500x500 1000x1000"),
            (ImageFacts::single(1001, 99), DEFAULT, "126x13 251x25 501x50 1001x99"),
            (ImageFacts::single(50, 30), DEFAULT, "50x30"),
            (ImageFacts::single(0, 0), DEFAULT, ""),
            (ImageFacts::single(30000, 20000), small,
                "118x79 235x157 469x313 938x625 1875x1250 3750x2500 7500x5000"),
            (pyramid(30000, 20000, true, 512), DEFAULT,
                "59x40 118x79 235x157 469x313 938x625 1875x1250 3750x2500 7500x5000"),
            (pyramid(30000, 20000, false, 512), small,
                "58x39 117x78 234x156 468x312 937x625 1875x1250 3750x2500 7500x5000"),
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
            (pyramid(30000, 20000, false, 512), DEFAULT, "512x512", vec![1, 2, 4, 8, 16, 32, 64]),
            (stored, DEFAULT, "256x128", vec![1, 2, 4, 8]),
            (ImageFacts::single(1000, 1000), tight, "200x200", vec![1, 2, 4, 8]),
        ];
        for (facts, limits, size, factors) in cases {
            let spec = tiles(&facts, &limits);
            assert_eq!((listed(&[spec.size]).as_str(), spec.scale_factors), (size, factors), "{facts:?}");
        }
    }
}
