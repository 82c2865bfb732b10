//! The canonical form of a planned request (§4.8 in 3.0, §4.7 in 2.1).
//!
//! Built from the [`Plan`], not from what the client typed, so every spelling of the same
//! picture (`pct:` or pixels, `!w,h` or `w,`, `360` or `0`) yields one string: the target of
//! the `Link: rel="canonical"` header and the basis of the ETag and of cache keys.

use super::limits::Limits;
use super::model::{ImageFacts, Plan};
use super::number::format_decimal;
use super::scale::proportional;
use super::version::Version;

/// `{region}/{size}/{rotation}/{quality}.{format}` in canonical form.
///
/// The limits are needed because 3.0 writes `max` (or `^max`) exactly when the output is
/// the size `max` (or `^max`) would give, and that depends on the limits.
pub fn canonical_request(
    plan: &Plan,
    version: Version,
    facts: &ImageFacts,
    limits: &Limits,
) -> String {
    let region = plan.region;
    let region_text =
        if (region.x, region.y, region.width, region.height) == (0, 0, facts.width, facts.height) {
            "full".to_string()
        } else {
            format!(
                "{},{},{},{}",
                region.x, region.y, region.width, region.height
            )
        };
    let size_text = match version {
        Version::V3 => size_v3(plan, limits),
        Version::V2 => size_v2(plan),
    };
    let mirror = if plan.mirror { "!" } else { "" };
    format!(
        "{region_text}/{size_text}/{mirror}{}/{}.{}",
        format_decimal(plan.degrees),
        plan.quality.name(),
        plan.format.extension()
    )
}

/// `max`, `^max`, `w,h` or `^w,h`.
fn size_v3(plan: &Plan, limits: &Limits) -> String {
    let (rw, rh) = (plan.region.width, plan.region.height);
    let out = (plan.width, plan.height);
    let as_pair = |size: super::model::Dimensions| (size.width, size.height);
    let upscaled = plan.width > rw || plan.height > rh;
    if !upscaled && out == as_pair(limits.max_size(rw, rh, false)) {
        "max".to_string()
    } else if !upscaled {
        format!("{},{}", plan.width, plan.height)
    } else if out == as_pair(limits.max_size(rw, rh, true)) {
        "^max".to_string()
    } else {
        format!("^{},{}", plan.width, plan.height)
    }
}

/// `full` for the region unscaled, `w,` when that reproduces the height, else `w,h`.
fn size_v2(plan: &Plan) -> String {
    let (rw, rh) = (plan.region.width, plan.region.height);
    if (plan.width, plan.height) == (rw, rh) {
        "full".to_string()
    } else if plan.height == proportional(plan.width, rh, rw) {
        format!("{},", plan.width)
    } else {
        format!("{},{}", plan.width, plan.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::plan::plan;
    use crate::iiif::route::{parse_route, Route};

    fn canonical(version: Version, facts: &ImageFacts, limits: &Limits, params: &str) -> String {
        let Ok(Route::Image(_, request)) = parse_route(version, &format!("id/{params}")) else {
            panic!("{params} does not parse");
        };
        let plan =
            plan(&request, version, facts, limits).unwrap_or_else(|err| panic!("{params}: {err}"));
        canonical_request(&plan, version, facts, limits)
    }

    #[test]
    #[rustfmt::skip]
    fn canonical_table() {
        use Version::{V2, V3};
        let square = ImageFacts::single(1000, 1000);
        let small = ImageFacts::single(300, 200);
        let huge = ImageFacts::single(30000, 20000);
        let cases = [
            (V3, &square, "full/max/0/default.jpg", "full/max/0/default.jpg"),
            (V3, &square, "0,0,1000,1000/1000,/360/default.jpg", "full/max/0/default.jpg"),
            (V3, &square, "pct:0,0,100,100/pct:100/0.0/default.jpg", "full/max/0/default.jpg"),
            (V3, &square, "square/!500,800/!90/gray.png", "full/500,500/!90/gray.png"),
            (V3, &square, "full/max/22.50/color.webp", "full/max/22.5/color.webp"),
            (V3, &square, "full/^1500,/0/bitonal.tif", "full/^1500,1500/0/bitonal.tif"),
            (V3, &square, "full/^,500/0/default.gif", "full/500,500/0/default.gif"),
            (V3, &square, "full/1000,500/0/default.jpg", "full/1000,500/0/default.jpg"),
            (V3, &small, "125,15,200,200/max/0/default.jpg", "125,15,175,185/max/0/default.jpg"),
            (V3, &small, "pct:41.6,7.5,40,70/90,/!345/gray.jpg", "125,15,120,140/90,105/!345/gray.jpg"),
            (V3, &huge, "full/max/0/default.jpg", "full/max/0/default.jpg"),
            (V3, &huge, "full/10000,6666/0/default.jpg", "full/max/0/default.jpg"),
            (V3, &huge, "full/10000,6667/0/default.jpg", "full/10000,6667/0/default.jpg"),
            (V2, &square, "full/full/0/default.jpg", "full/full/0/default.jpg"),
            (V2, &square, "full/max/0/default.jpg", "full/full/0/default.jpg"),
            (V2, &square, "full/,500/0/default.jpg", "full/500,/0/default.jpg"),
            (V2, &square, "full/!500,800/0/default.jpg", "full/500,/0/default.jpg"),
            (V2, &square, "full/500,400/!360/gray.jpg", "full/500,400/!0/gray.jpg"),
            (V2, &small, "125,15,120,140/90,/!345/gray.jpg", "125,15,120,140/90,/!345/gray.jpg"),
            // `max` rounds down (6666) where `w,` would round to nearest (6667).
            (V2, &huge, "full/max/0/default.jpg", "full/10000,6666/0/default.jpg"),
            (V2, &square, "full/1500,/0/default.jpg", "full/1500,/0/default.jpg"),
        ];
        for (version, facts, params, expected) in cases {
            let got = canonical(version, facts, &Limits::default(), params);
            assert_eq!(got, expected, "{version:?} {params}");
        }
    }

    #[test]
    fn canonical_forms_are_fixed_points() {
        let facts = ImageFacts::single(1234, 567);
        let limits = Limits {
            max_width: 800,
            max_height: 800,
            max_area: 300_000,
            upscaling: true,
        };
        let requests = [
            "full/max/0/default.jpg",
            "square/max/90/gray.png",
            "pct:10,10,50,50/pct:33.3/!17.25/color.webp",
            "10,20,300,400/^!700,700/0/default.jpg",
            "full/^max/0/default.jpg",
            "full/123,/0/default.jpg",
            "full/,77/0/default.jpg",
            "0,0,1,567/max/0/default.jpg",
        ];
        for version in [Version::V2, Version::V3] {
            for params in requests {
                let params = if version == Version::V2 {
                    params.replace('^', "")
                } else {
                    params.to_string()
                };
                let once = canonical(version, &facts, &limits, &params);
                assert_eq!(
                    canonical(version, &facts, &limits, &once),
                    once,
                    "{version:?} {params}"
                );
            }
        }
    }
}
