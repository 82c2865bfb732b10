//! The second parsing stage: an [`ImageRequest`] checked against the image and the limits
//! becomes a [`Plan`] the renderer can execute without knowing any IIIF rule.

use super::error::IiifError;
use super::level::choose_level;
use super::limits::Limits;
use super::model::{ImageFacts, Plan};
use super::request::ImageRequest;
use super::version::Version;

/// Resolves region, size and level for `request` on the image described by `facts`.
///
/// Errors: 400 for a region that is empty or outside the image, a size below 1 px, over the
/// limits (before or after rotation), or (without `^` in 3.0) larger than the region; 501
/// for `^` when the limits do not allow upscaling.
///
/// The limits bound what is sent, so they are checked again on the rotated answer: an
/// arbitrary angle turns the image onto a bounding box of up to twice its area (and adds
/// alpha), which `full/^max/45/default.png` would otherwise use to escape them.
pub fn plan(
    request: &ImageRequest,
    version: Version,
    facts: &ImageFacts,
    limits: &Limits,
) -> Result<Plan, IiifError> {
    let region = request.region.resolve(facts.width, facts.height)?;
    let size = request.size.resolve(version, region, limits)?;
    let plan = Plan {
        region,
        level: choose_level(facts, region, size),
        width: size.width,
        height: size.height,
        mirror: request.rotation.mirror,
        degrees: request.rotation.degrees,
        quality: request.quality,
        format: request.format,
    };
    limits
        .check(plan.rotated_size())
        .map_err(|err| IiifError::bad_request(format!("after rotation, {}", err.message)))?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::error::IiifErrorKind;
    use crate::iiif::model::{Dimensions, Format, Quality, Rect};
    use crate::iiif::offer::tiles;
    use crate::iiif::route::{parse_route, Route};

    /// Routes and plans `id/{params}` in one go, as the service would.
    fn plan_path(
        version: Version,
        params: &str,
        facts: &ImageFacts,
        limits: &Limits,
    ) -> Result<Plan, IiifErrorKind> {
        match parse_route(version, &format!("id/{params}")) {
            Ok(Route::Image(_, request)) => {
                plan(&request, version, facts, limits).map_err(|err| err.kind)
            }
            Ok(other) => panic!("{params} routed to {other:?}"),
            Err(err) => Err(err.kind),
        }
    }

    /// A plan in one line: `x,y,w,h -> WxH !deg` (mirror marked by `!`), or the error.
    fn summary(version: Version, params: &str, facts: &ImageFacts, limits: &Limits) -> String {
        match plan_path(version, params, facts, limits) {
            Ok(p) => {
                let Rect {
                    x,
                    y,
                    width,
                    height,
                } = p.region;
                let mirror = if p.mirror { "!" } else { "" };
                format!(
                    "{x},{y},{width},{height} -> {}x{} {mirror}{}",
                    p.width, p.height, p.degrees
                )
            }
            Err(kind) => format!("{kind:?}"),
        }
    }

    #[test]
    #[rustfmt::skip]
    fn end_to_end_table() {
        use Version::{V2, V3};
        let square = ImageFacts::single(1000, 1000);
        let small = ImageFacts::single(300, 200);
        let up = Limits::default();
        let no_up = Limits { upscaling: false, ..up };
        let cases = [
            (V3, &square, up, "full/max/0/default.jpg", "0,0,1000,1000 -> 1000x1000 0"),
            (V3, &small, up, "125,15,200,200/max/0/default.jpg", "125,15,175,185 -> 175x185 0"),
            (V3, &small, up, "125,15,120,140/90,/!345/gray.jpg", "125,15,120,140 -> 90x105 !345"),
            (V3, &small, up, "pct:41.6,7.5,40,70/max/22.5/default.png", "125,15,120,140 -> 120x140 22.5"),
            (V3, &square, up, "square/^max/360/default.jpg", "0,0,1000,1000 -> 10000x10000 0"),
            (V3, &square, up, "0,0,100,100/50,50/!0/default.jpg", "0,0,100,100 -> 50x50 !0"),
            (V2, &square, up, "full/full/0/default.jpg", "0,0,1000,1000 -> 1000x1000 0"),
            (V2, &square, up, "full/,1500/0/default.jpg", "0,0,1000,1000 -> 1500x1500 0"),
            (V2, &square, no_up, "full/,1500/0/default.jpg", "BadRequest"),
            (V3, &square, up, "full/,1500/0/default.jpg", "BadRequest"),
            (V3, &square, no_up, "full/^,1500/0/default.jpg", "NotImplemented"),
            (V3, &square, up, "1000,0,10,10/max/0/default.jpg", "BadRequest"),
            (V3, &square, up, "full/10001,/0/default.jpg", "BadRequest"),
            (V3, &square, up, "full/max/0/default.jp2", "BadRequest"),
            // The limits hold for the rotated answer: ^max fills them, so any angle but a
            // half turn overflows; right angles of a square fit exactly.
            (V3, &square, up, "full/^max/45/default.png", "BadRequest"),
            (V3, &square, up, "full/^max/0.5/default.png", "BadRequest"),
            (V3, &square, up, "full/^max/90/default.png", "0,0,1000,1000 -> 10000x10000 90"),
            (V3, &square, up, "full/^max/180/default.png", "0,0,1000,1000 -> 10000x10000 180"),
            (V3, &square, up, "full/^7000,/45/default.png", "0,0,1000,1000 -> 7000x7000 45"),
            (V3, &square, up, "full/^7072,/45/default.png", "BadRequest"),
        ];
        for (version, facts, limits, params, expected) in cases {
            assert_eq!(summary(version, params, facts, &limits), expected, "{version:?} {params}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn rotated_sizes_bound_what_libvips_makes() {
        // (size, degrees, libvips 8.14's `vips rotate` output): never smaller, at most a
        // pixel larger (libvips rounds to nearest, we round up).
        let cases = [
            ((1000, 800), 45.0, (1273, 1273)), ((1000, 800), 30.0, (1266, 1193)),
            ((1000, 800), 0.5, (1007, 809)), ((1000, 800), 89.9, (802, 1001)),
            ((1000, 800), 200.0, (1213, 1094)), ((10000, 10000), 45.0, (14142, 14142)),
            ((10000, 10000), 359.0, (10173, 10173)), ((7, 3), 45.0, (7, 7)),
            ((7, 3), 22.5, (8, 5)), ((1, 1), 45.0, (1, 1)), ((1000, 1), 0.5, (1000, 10)),
            ((1000, 1), 359.0, (1000, 18)), ((1000, 800), 90.0, (800, 1000)),
            ((1000, 800), 270.0, (800, 1000)), ((1000, 800), 180.0, (1000, 800)),
        ];
        for ((width, height), degrees, (vw, vh)) in cases {
            let plan = Plan {
                region: Rect::new(0, 0, width, height),
                level: 0,
                width,
                height,
                mirror: false,
                degrees,
                quality: Quality::Default,
                format: Format::Png,
            };
            let got = plan.rotated_size();
            let close = |ours: u32, theirs: u32| ours >= theirs && ours <= theirs + 1;
            assert!(close(got.width, vw) && close(got.height, vh), "{width}x{height} {degrees}: {got:?}");
        }
    }

    #[test]
    fn quality_and_format_pass_through() {
        let facts = ImageFacts::single(10, 10);
        let plan = plan_path(
            Version::V3,
            "full/max/0/bitonal.webp",
            &facts,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            (plan.quality, plan.format, plan.level),
            (Quality::Bitonal, Format::Webp, 0)
        );
    }

    /// The URLs OpenSeadragon builds for one scale factor (its `getTileUrl`), with the output
    /// size it expects: 2.1 sends `w,`, 3.0 sends `w,h`.
    fn osd_tiles(
        version: Version,
        facts: &ImageFacts,
        tile: Dimensions,
        s: u32,
    ) -> Vec<(String, u32, u32)> {
        let (level_w, level_h) = (facts.width.div_ceil(s), facts.height.div_ceil(s));
        let size = |w: u32, h: u32| match version {
            Version::V2 => format!("{w},"),
            Version::V3 => format!("{w},{h}"),
        };
        if level_w < tile.width && level_h < tile.height {
            return vec![(
                format!("full/{}/0/default.jpg", size(level_w, level_h)),
                level_w,
                level_h,
            )];
        }
        let mut urls = Vec::new();
        for y in 0..level_h.div_ceil(tile.height) {
            for x in 0..level_w.div_ceil(tile.width) {
                let (rx, ry) = (x * tile.width * s, y * tile.height * s);
                let rw = (tile.width * s).min(facts.width - rx);
                let rh = (tile.height * s).min(facts.height - ry);
                let w = tile.width.min(level_w - x * tile.width);
                let h = tile.height.min(level_h - y * tile.height);
                urls.push((
                    format!("{rx},{ry},{rw},{rh}/{}/0/default.jpg", size(w, h)),
                    w,
                    h,
                ));
            }
        }
        urls
    }

    #[test]
    fn every_advertised_tile_reads_its_own_level() {
        use crate::iiif::level::tests::{pyramid, vips_pyramid};
        let limits = Limits::default();
        for facts in [
            pyramid(30001, 20001, true, 512),
            pyramid(30001, 20001, false, 512),
            pyramid(30000, 20000, true, 512),
            pyramid(30000, 20000, false, 512),
            vips_pyramid(25167, 12483, 512),
            vips_pyramid(1025, 600, 512),
        ] {
            let spec = tiles(&facts, &limits);
            // One scale factor per stored level: each tile reads the level made for it.
            let factors: Vec<u32> = (0..facts.levels.len() as u32).map(|k| 1 << k).collect();
            assert_eq!(spec.scale_factors, factors);
            for version in [Version::V2, Version::V3] {
                for &s in &spec.scale_factors {
                    let expected_level = (s.trailing_zeros() as usize).min(facts.levels.len() - 1);
                    for (params, w, h) in osd_tiles(version, &facts, spec.size, s) {
                        let plan = plan_path(version, &params, &facts, &limits).unwrap();
                        // Below 100 px one pixel of rounding is over the 1% tolerance (see
                        // `level`): such a tile may read the next larger level.
                        let tiny = plan.width.min(plan.height) < 100;
                        let allowed = expected_level.saturating_sub(usize::from(tiny));
                        assert!(
                            (allowed..=expected_level).contains(&plan.level),
                            "{version:?} s={s} {params}: level {}",
                            plan.level
                        );
                        assert_eq!(plan.width, w, "{version:?} {params}");
                        // 2.1 derives the height from the rounded-up `w,` of an edge tile, so
                        // it can exceed the viewer's slot by a pixel or two; that is the
                        // aspect ratio the spec asks for, and the viewer scales it in.
                        if version == Version::V3 {
                            assert_eq!(plan.height, h, "{params}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_listed_size_plans_exactly() {
        use crate::iiif::level::tests::pyramid;
        use crate::iiif::offer::sizes;
        let limits = Limits::default();
        let all_facts = [
            ImageFacts::single(1000, 1000),
            ImageFacts::single(30000, 20000),
            pyramid(30000, 20000, true, 512),
            pyramid(30001, 20001, false, 256),
            crate::iiif::level::tests::vips_pyramid(25167, 12483, 512),
        ];
        for facts in &all_facts {
            for size in sizes(facts, &limits) {
                let (w, h) = (size.width, size.height);
                for version in [Version::V2, Version::V3] {
                    let params = format!("full/{w},{h}/0/default.jpg");
                    let plan = plan_path(version, &params, facts, &limits).unwrap();
                    assert_eq!((plan.width, plan.height), (w, h), "{params}");
                    if facts.levels.len() > 1 {
                        assert_eq!(facts.levels[plan.level], size, "{params}");
                    }
                }
            }
        }
    }
}
