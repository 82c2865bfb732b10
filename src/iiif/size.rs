//! The size parameter (§4.2): twelve 3.0 forms, six 2.1 forms, one set of rules.
//!
//! Parsing knows only the version; resolution knows the region and the limits. The rules,
//! in the order they are applied:
//! - a `^` size on a server without upscaling is a feature we do not offer: 501;
//! - an output larger than the region (on either side) is an upscale: without `^` in 3.0
//!   that is 400; in 2.1 upscaling needs no prefix and is allowed iff the server allows it
//!   (`sizeAboveFull`), else 400;
//! - the result must be at least 1 px and within the limits, else 400.

use super::error::IiifError;
use super::limits::Limits;
use super::model::{Dimensions, Rect};
use super::number::{parse_decimal, parse_uint};
use super::version::Version;

/// A size as the client wrote it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Size {
    /// The 3.0 `^` prefix: the client allows upscaling.
    pub upscale: bool,
    pub kind: SizeKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum SizeKind {
    /// 2.1 only: the region unscaled.
    Full,
    /// The region at the largest size the limits allow.
    Max,
    /// `w,`
    Width(u32),
    /// `,h`
    Height(u32),
    /// `pct:n`, n > 0.
    Percent(f64),
    /// `w,h`, possibly distorting.
    Exact(u32, u32),
    /// `!w,h`: fit inside, keeping the aspect ratio.
    Confined(u32, u32),
}

impl Size {
    pub(crate) fn parse(version: Version, text: &str) -> Result<Size, IiifError> {
        let bad = || IiifError::bad_request(format!("invalid size {text:?}"));
        let (upscale, body) = match text.strip_prefix('^') {
            Some(_) if version == Version::V2 => {
                return Err(IiifError::bad_request(
                    "the ^ size prefix is Image API 3.0 syntax",
                ))
            }
            Some(body) => (true, body),
            None => (false, text),
        };
        let kind = match body {
            "max" => SizeKind::Max,
            // 3.0 removed `full`; the validator's size_nofull wants it refused.
            "full" if version == Version::V2 && !upscale => SizeKind::Full,
            _ => parse_numeric(body).ok_or_else(bad)?,
        };
        Ok(Size { upscale, kind })
    }

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
            SizeKind::Confined(w, h) => {
                // Compare w/rw with h/rh exactly; the tighter side is met exactly.
                if u64::from(w) * u64::from(rh) <= u64::from(h) * u64::from(rw) {
                    Dimensions {
                        width: w,
                        height: proportional(w, rh, rw),
                    }
                } else {
                    Dimensions {
                        width: proportional(h, rw, rh),
                        height: h,
                    }
                }
            }
        };
        Ok(out)
    }
}

/// `w,h`, `w,`, `,h`, `!w,h` and `pct:n`; every number must be positive.
fn parse_numeric(body: &str) -> Option<SizeKind> {
    if let Some(pct) = body.strip_prefix("pct:") {
        return parse_decimal(pct)
            .filter(|&n| n > 0.0)
            .map(SizeKind::Percent);
    }
    let (confined, body) = match body.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let (w, h) = body.split_once(',')?;
    let positive = |text: &str| parse_uint(text).filter(|&n| n > 0);
    match (confined, w.is_empty(), h.is_empty()) {
        (false, false, true) => positive(w).map(SizeKind::Width),
        (false, true, false) => positive(h).map(SizeKind::Height),
        (false, false, false) => Some(SizeKind::Exact(positive(w)?, positive(h)?)),
        (true, false, false) => Some(SizeKind::Confined(positive(w)?, positive(h)?)),
        _ => None,
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
        upscaling: true,
    };

    type Expected = Result<(u32, u32), IiifErrorKind>;

    fn run(cases: &[(Version, &str, (u32, u32), Limits, Expected)]) {
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

    #[test]
    fn every_3_0_form() {
        let r = (1000, 1000);
        run(&[
            (V3, "max", r, UP, Ok((1000, 1000))),
            (V3, "^max", r, UP, Ok((10000, 10000))),
            (V3, "^max", r, NO_UP, Err(NotImplemented)),
            (V3, "500,", r, UP, Ok((500, 500))),
            (V3, "^1500,", r, UP, Ok((1500, 1500))),
            (V3, ",450", (1000, 500), UP, Ok((900, 450))),
            (V3, "^,1500", r, UP, Ok((1500, 1500))),
            (V3, "pct:50", r, UP, Ok((500, 500))),
            (V3, "^pct:200", r, UP, Ok((2000, 2000))),
            (V3, "^pct:120", r, NO_UP, Err(NotImplemented)),
            (V3, "400,300", r, UP, Ok((400, 300))),
            (V3, "^1500,300", r, UP, Ok((1500, 300))),
            (V3, "!600,400", r, UP, Ok((400, 400))),
            (V3, "!400,600", (1000, 500), UP, Ok((400, 200))),
            (V3, "^!2000,500", r, UP, Ok((500, 500))),
            (V3, "^!2000,3000", r, UP, Ok((2000, 2000))),
            (V3, "^!500,500", r, NO_UP, Err(NotImplemented)),
        ]);
    }

    #[test]
    fn validator_size_noup_and_nofull() {
        let r = (1000, 1000);
        run(&[
            (V3, "1500,1500", r, UP, Err(BadRequest)),
            (V3, ",1500", r, UP, Err(BadRequest)),
            (V3, "1500,", r, UP, Err(BadRequest)),
            (V3, "pct:200", r, UP, Err(BadRequest)),
            (V3, "!2000,3000", r, UP, Err(BadRequest)),
            (V3, "1001,1000", r, UP, Err(BadRequest)),
            (V3, "full", r, UP, Err(BadRequest)),
            (V3, "^full", r, UP, Err(BadRequest)),
        ]);
    }

    #[test]
    fn every_2_1_form() {
        let r = (1000, 1000);
        run(&[
            (V2, "full", r, UP, Ok((1000, 1000))),
            (V2, "max", r, UP, Ok((1000, 1000))),
            (V2, "max", (30000, 20000), UP, Ok((10000, 6666))),
            (V2, "full", (30000, 20000), UP, Err(BadRequest)),
            (V2, "500,", r, UP, Ok((500, 500))),
            (V2, ",500", r, UP, Ok((500, 500))),
            (V2, "pct:50", r, UP, Ok((500, 500))),
            (V2, "400,300", r, UP, Ok((400, 300))),
            (V2, "!600,400", r, UP, Ok((400, 400))),
            (V2, "1500,", r, UP, Ok((1500, 1500))),
            (V2, ",1500", r, UP, Ok((1500, 1500))),
            (V2, "pct:200", r, UP, Ok((2000, 2000))),
            (V2, "!2000,3000", r, UP, Ok((2000, 2000))),
            (V2, "1500,", r, NO_UP, Err(BadRequest)),
            (V2, "!2000,3000", r, NO_UP, Err(BadRequest)),
            (V2, "^max", r, UP, Err(BadRequest)),
            (V2, "^500,", r, UP, Err(BadRequest)),
        ]);
    }

    #[test]
    fn rounding_and_limits() {
        run(&[
            (V3, "100,", (300, 200), UP, Ok((100, 67))),
            (V3, "1,", (1000, 10), UP, Ok((1, 1))),
            (V3, ",1", (10, 1000), UP, Ok((1, 1))),
            (V3, "pct:10", (3, 1000), UP, Ok((1, 100))),
            (V3, "pct:0.01", (1000, 1000), UP, Err(BadRequest)),
            (V3, "max", (2000, 2000), SMALL, Ok((600, 600))),
            (V3, "^max", (100, 50), SMALL, Ok((800, 400))),
            (V3, "801,1", (2000, 2000), SMALL, Err(BadRequest)),
            (V3, "1,601", (2000, 2000), SMALL, Err(BadRequest)),
            (V3, "700,600", (2000, 2000), SMALL, Err(BadRequest)),
            (V3, "^pct:1000000000000", (1000, 1000), UP, Err(BadRequest)),
            (V3, "^4294967295,", (1, 1), UP, Err(BadRequest)),
        ]);
    }

    #[test]
    fn garbage_is_400() {
        let cases = [
            "",
            "^",
            "^^max",
            "MAX",
            "max ",
            ",",
            "0,",
            ",0",
            "0,0",
            "!0,10",
            "!10,",
            "!,10",
            "!10",
            "10",
            "pct:",
            "pct:0",
            "pct:-5",
            "pct:+5",
            "pct:1e2",
            "pct:NaN",
            "pct:inf",
            "-5,",
            "+5,",
            "5.5,",
            "4294967296,",
            "1,2,3",
            "!!1,1",
            "^!^1,1",
            "aZ3[q_",
        ];
        for version in [V2, V3] {
            for text in cases {
                let err = Size::parse(version, text).unwrap_err();
                assert_eq!(err.kind, BadRequest, "{version:?} {text:?}");
            }
        }
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
