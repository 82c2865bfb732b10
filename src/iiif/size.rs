//! The size parameter (§4.2) as written: twelve 3.0 forms, six 2.1 forms.
//!
//! Parsing knows only the version: `^` is 3.0 syntax and `full` is 2.1 syntax, each a 400
//! in the other version. What the size means for a region is `scale`'s business.

use super::error::IiifError;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::error::IiifErrorKind::BadRequest;
    use Version::{V2, V3};

    #[test]
    #[rustfmt::skip]
    fn garbage_is_400() {
        let cases = [
            "", "^", "^^max", "MAX", "max ", ",", "0,", ",0", "0,0", "!0,10", "!10,", "!,10",
            "!10", "10", "pct:", "pct:0", "pct:-5", "pct:+5", "pct:1e2", "pct:NaN", "pct:inf",
            "-5,", "+5,", "5.5,", "4294967296,", "1,2,3", "!!1,1", "^!^1,1", "aZ3[q_",
        ];
        for version in [V2, V3] {
            for text in cases {
                let err = Size::parse(version, text).unwrap_err();
                assert_eq!(err.kind, BadRequest, "{version:?} {text:?}");
            }
        }
    }
}
