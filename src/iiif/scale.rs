//! What a size means for a region (§4.2): the output dimensions, with every rule applied.
//!
//! The rules, in the order they are applied:
//! - a `^` size on a server without upscaling is a feature we do not offer: 501;
//! - an output larger than the region (on either side) is an upscale: without `^` in 3.0
//!   that is 400; in 2.1 upscaling needs no prefix and is allowed iff the server allows it
//!   (`sizeAboveFull`), else 400;
//! - the result must be at least 1 px and within the limits, else 400; only `!w,h`, whose
//!   definition includes "not larger than ... server-imposed limits", is capped instead.
//!
//! Derived sides (`w,` gives h) round half up in integer arithmetic and never drop below
//! 1 px, so the same request gives the same size everywhere.

use super::error::IiifError;
use super::limits::Limits;
use super::model::{Dimensions, Rect};
use super::size::{Size, SizeKind};
use super::version::Version;

impl Size {
    /// The output size for `region`, with every rule of the module doc applied.
    pub(crate) fn resolve(
        &self,
        version: Version,
        region: Rect,
        limits: &Limits,
    ) -> Result<Dimensions, IiifError> {
        if self.upscale && !limits.upscaling {
            return Err(IiifError::not_implemented(
                "size upscaling (^) is not supported",
            ));
        }
        let out = self.compute(region, limits)?;
        let upscaled = out.width > region.width || out.height > region.height;
        if upscaled && !self.upscale {
            if version == Version::V3 {
                // This includes `!w,h` whose fit would exceed the region: the spec's "as large
                // as possible but not larger than the extracted region" could be read as
                // clamping to the region, but the validator's size_noup wants `!2000,3000` on
                // a 1000x1000 image to fail with 400, and Cantaloupe does the same.
                return Err(IiifError::bad_request(
                    "size is larger than the region; Image API 3.0 requires the ^ prefix",
                ));
            }
            if !limits.upscaling {
                return Err(IiifError::bad_request("size is larger than the region"));
            }
        }
        limits.check(out)?;
        Ok(out)
    }

    fn compute(&self, region: Rect, limits: &Limits) -> Result<Dimensions, IiifError> {
        let (rw, rh) = (region.width, region.height);
        let out = match self.kind {
            SizeKind::Full => Dimensions {
                width: rw,
                height: rh,
            },
            SizeKind::Max => limits.max_size(rw, rh, self.upscale),
            SizeKind::Width(w) => Dimensions {
                width: w,
                height: proportional(w, rh, rw),
            },
            SizeKind::Height(h) => Dimensions {
                width: proportional(h, rw, rh),
                height: h,
            },
            SizeKind::Percent(n) => {
                let scaled = |side: u32| (f64::from(side) * n / 100.0).round();
                let (w, h) = (scaled(rw), scaled(rh));
                if w < 1.0 && h < 1.0 {
                    return Err(IiifError::bad_request("size is smaller than 1 pixel"));
                }
                // `as` saturates; an absurd percentage then fails the limits check.
                Dimensions {
                    width: (w as u32).max(1),
                    height: (h as u32).max(1),
                }
            }
            SizeKind::Exact(w, h) => Dimensions {
                width: w,
                height: h,
            },
            SizeKind::Confined(w, h) => confine(region, w, h, limits),
        };
        Ok(out)
    }
}

/// `!w,h`: the largest size with the region's aspect ratio inside w x h and, as the spec
/// says for this form, inside the server limits (so it is capped, never refused, for them).
fn confine(region: Rect, w: u32, h: u32, limits: &Limits) -> Dimensions {
    let (rw, rh) = (region.width, region.height);
    // Compare w/rw with h/rh exactly; the tighter side is met exactly.
    let boxed = if u64::from(w) * u64::from(rh) <= u64::from(h) * u64::from(rw) {
        Dimensions {
            width: w,
            height: proportional(w, rh, rw),
        }
    } else {
        Dimensions {
            width: proportional(h, rw, rh),
            height: h,
        }
    };
    if limits.check(boxed).is_ok() {
        return boxed;
    }
    // Both keep the aspect ratio; per-axis minimum absorbs their differing roundings.
    let capped = limits.max_size(rw, rh, true);
    Dimensions {
        width: boxed.width.min(capped.width),
        height: boxed.height.min(capped.height),
    }
}

/// `value * numerator / denominator`, rounded half up, at least 1, saturating at `u32::MAX`.
/// Integer arithmetic, so `w,` gives the same height on every platform and every request.
pub(crate) fn proportional(value: u32, numerator: u32, denominator: u32) -> u32 {
    let denominator = u128::from(denominator.max(1));
    let scaled = (u128::from(value) * u128::from(numerator) * 2 + denominator) / (2 * denominator);
    scaled.clamp(1, u128::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::error::IiifErrorKind::{self, BadRequest, NotImplemented};
    use Version::{V2, V3};

    const UP: Limits = Limits {
        max_width: 10_000,
        max_height: 10_000,
        max_area: 100_000_000,
        upscaling: true,
    };
    const NO_UP: Limits = Limits {
        upscaling: false,
        ..UP
    };
    const SMALL: Limits = Limits {
        max_width: 800,
        max_height: 600,
        max_area: 400_000,
        ..UP
    };

    /// (version, size, region width x height, limits, expected output or error kind)
    type Case<'a> = (
        Version,
        &'a str,
        (u32, u32),
        Limits,
        Result<(u32, u32), IiifErrorKind>,
    );

    fn run(cases: &[Case]) {
        for &(version, text, (rw, rh), limits, expected) in cases {
            let region = Rect {
                x: 0,
                y: 0,
                width: rw,
                height: rh,
            };
            let got = Size::parse(version, text)
                .and_then(|size| size.resolve(version, region, &limits))
                .map(|d| (d.width, d.height))
                .map_err(|err| err.kind);
            assert_eq!(
                got, expected,
                "{version:?} {text:?} on {rw}x{rh} {limits:?}"
            );
        }
    }

    const R: (u32, u32) = (1000, 1000);

    #[test]
    #[rustfmt::skip]
    fn every_3_0_form() {
        run(&[
            (V3, "max", R, UP, Ok((1000, 1000))),
            (V3, "^max", R, UP, Ok((10000, 10000))),
            (V3, "^max", R, NO_UP, Err(NotImplemented)),
            (V3, "500,", R, UP, Ok((500, 500))),
            (V3, "^1500,", R, UP, Ok((1500, 1500))),
            (V3, ",450", (1000, 500), UP, Ok((900, 450))),
            (V3, "^,1500", R, UP, Ok((1500, 1500))),
            (V3, "pct:50", R, UP, Ok((500, 500))),
            (V3, "^pct:200", R, UP, Ok((2000, 2000))),
            (V3, "^pct:120", R, NO_UP, Err(NotImplemented)),
            (V3, "400,300", R, UP, Ok((400, 300))),
            (V3, "^1500,300", R, UP, Ok((1500, 300))),
            (V3, "!600,400", R, UP, Ok((400, 400))),
            (V3, "!400,600", (1000, 500), UP, Ok((400, 200))),
            (V3, "^!2000,500", R, UP, Ok((500, 500))),
            (V3, "^!2000,3000", R, UP, Ok((2000, 2000))),
            (V3, "^!500,500", R, NO_UP, Err(NotImplemented)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn validator_size_noup_and_nofull() {
        run(&[
            (V3, "1500,1500", R, UP, Err(BadRequest)),
            (V3, ",1500", R, UP, Err(BadRequest)),
            (V3, "1500,", R, UP, Err(BadRequest)),
            (V3, "pct:200", R, UP, Err(BadRequest)),
            (V3, "!2000,3000", R, UP, Err(BadRequest)),
            (V3, "1001,1000", R, UP, Err(BadRequest)),
            (V3, "full", R, UP, Err(BadRequest)),
            (V3, "^full", R, UP, Err(BadRequest)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn every_2_1_form() {
        run(&[
            (V2, "full", R, UP, Ok((1000, 1000))),
            (V2, "max", R, UP, Ok((1000, 1000))),
            (V2, "max", (30000, 20000), UP, Ok((10000, 6666))),
            (V2, "full", (30000, 20000), UP, Err(BadRequest)),
            (V2, "500,", R, UP, Ok((500, 500))),
            (V2, ",500", R, UP, Ok((500, 500))),
            (V2, "pct:50", R, UP, Ok((500, 500))),
            (V2, "400,300", R, UP, Ok((400, 300))),
            (V2, "!600,400", R, UP, Ok((400, 400))),
            (V2, "1500,", R, UP, Ok((1500, 1500))),
            (V2, ",1500", R, UP, Ok((1500, 1500))),
            (V2, "pct:200", R, UP, Ok((2000, 2000))),
            (V2, "!2000,3000", R, UP, Ok((2000, 2000))),
            (V2, "1500,", R, NO_UP, Err(BadRequest)),
            (V2, "!2000,3000", R, NO_UP, Err(BadRequest)),
            (V2, "^max", R, UP, Err(BadRequest)),
            (V2, "^500,", R, UP, Err(BadRequest)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn rounding_and_limits() {
        run(&[
            (V3, "100,", (300, 200), UP, Ok((100, 67))),
            (V3, "1,", (1000, 10), UP, Ok((1, 1))),
            (V3, ",1", (10, 1000), UP, Ok((1, 1))),
            (V3, "pct:10", (3, 1000), UP, Ok((1, 100))),
            (V3, "pct:0.01", R, UP, Err(BadRequest)),
            (V3, "max", (2000, 2000), SMALL, Ok((600, 600))),
            (V3, "^max", (100, 50), SMALL, Ok((800, 400))),
            (V3, "!2000,2000", (4000, 4000), SMALL, Ok((600, 600))),
            (V3, "^!20000,20000", (100, 50), SMALL, Ok((800, 400))),
            (V3, "801,1", (2000, 2000), SMALL, Err(BadRequest)),
            (V3, "1,601", (2000, 2000), SMALL, Err(BadRequest)),
            (V3, "700,600", (2000, 2000), SMALL, Err(BadRequest)),
            (V3, "^pct:1000000000000", R, UP, Err(BadRequest)),
            (V3, "^4294967295,", (1, 1), UP, Err(BadRequest)),
        ]);
    }

    #[test]
    fn proportional_rounds_half_up() {
        let cases = [
            (100, 200, 300, 67),
            (1, 10, 1000, 1),
            (3, 1, 2, 2),
            (u32::MAX, u32::MAX, 1, u32::MAX),
        ];
        for (value, num, den, expected) in cases {
            assert_eq!(proportional(value, num, den), expected);
        }
    }
}
