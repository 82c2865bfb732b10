//! Step 2, crop: cut the planned region out of the opened image.
//!
//! The region is in full-resolution pixels; the opened image may be a pyramid level or a
//! shrink-on-load, so the rectangle is scaled per axis by `opened / full`. Both edges are
//! rounded to the nearest pixel (not floor and ceil): neighbouring tiles then share their
//! boundary exactly instead of overlapping by a pixel. The result is clamped inside the
//! image and is never empty.

use super::context::StepContext;
use crate::iiif::{Dimensions, Rect};
use crate::render::error::RenderError;
use crate::render::vips::VipsImage;

/// `value * to / from`, rounded half up, in integers (no float drift at large sizes).
fn scale_round(value: u32, to: u32, from: u32) -> u64 {
    let from = u64::from(from.max(1));
    (2 * u64::from(value) * u64::from(to) + from) / (2 * from)
}

/// One axis: the span `[start, start + len)` of `full` mapped into `opened`.
fn map_span(start: u32, len: u32, full: u32, opened: u32) -> (u32, u32) {
    let opened64 = u64::from(opened.max(1));
    let lo = scale_round(start, opened, full).min(opened64 - 1);
    let hi = scale_round(start.saturating_add(len), opened, full)
        .min(opened64)
        .max(lo + 1);
    (lo as u32, (hi - lo) as u32)
}

/// `region` (in `full` pixels) expressed in the pixels of an image of size `opened`.
pub(crate) fn map_region(region: Rect, full: Dimensions, opened: Dimensions) -> Rect {
    let (x, width) = map_span(region.x, region.width, full.width, opened.width);
    let (y, height) = map_span(region.y, region.height, full.height, opened.height);
    Rect {
        x,
        y,
        width,
        height,
    }
}

pub(crate) fn apply(image: VipsImage, context: &StepContext) -> Result<VipsImage, RenderError> {
    let opened = Dimensions {
        width: image.width(),
        height: image.height(),
    };
    let area = map_region(context.plan.region, context.full, opened);
    if area
        == (Rect {
            x: 0,
            y: 0,
            width: opened.width,
            height: opened.height,
        })
    {
        return Ok(image);
    }
    image.extract_area(area.x, area.y, area.width, area.height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_into_the_opened_level() {
        let cases = [
            // same size: unchanged
            (
                Rect::new(10, 20, 30, 40),
                Dimensions::new(400, 300),
                Dimensions::new(400, 300),
                Rect::new(10, 20, 30, 40),
            ),
            // exact half level
            (
                Rect::new(512, 512, 512, 512),
                Dimensions::new(4096, 4096),
                Dimensions::new(2048, 2048),
                Rect::new(256, 256, 256, 256),
            ),
            // odd pyramid (ceil halving): the right edge tile ends at the level's edge
            (
                Rect::new(512, 0, 489, 1001),
                Dimensions::new(1001, 1001),
                Dimensions::new(501, 501),
                Rect::new(256, 0, 245, 501),
            ),
            // tiny region never vanishes
            (
                Rect::new(7, 7, 1, 1),
                Dimensions::new(1000, 1000),
                Dimensions::new(125, 125),
                Rect::new(1, 1, 1, 1),
            ),
            // the last pixel stays inside the image
            (
                Rect::new(999, 999, 1, 1),
                Dimensions::new(1000, 1000),
                Dimensions::new(125, 125),
                Rect::new(124, 124, 1, 1),
            ),
            // shrink-on-load rounding up (ceil(1001 / 8) = 126)
            (
                Rect::new(0, 0, 1001, 1001),
                Dimensions::new(1001, 1001),
                Dimensions::new(126, 126),
                Rect::new(0, 0, 126, 126),
            ),
        ];
        for (region, full, opened, want) in cases {
            assert_eq!(
                map_region(region, full, opened),
                want,
                "{region:?} {full:?} -> {opened:?}"
            );
        }
    }

    #[test]
    fn neighbouring_tiles_share_their_boundary() {
        let (full, opened) = (Dimensions::new(3000, 3000), Dimensions::new(375, 375));
        let left = map_region(Rect::new(0, 0, 1000, 1000), full, opened);
        let right = map_region(Rect::new(1000, 0, 1000, 1000), full, opened);
        assert_eq!(left.x + left.width, right.x);
    }
}
