//! Strict number syntax for IIIF parameters (§4.7).
//!
//! Rust's own `parse` is too forgiving for a URL grammar: `u32::from_str` takes `+5`, and
//! `f64::from_str` takes `-1`, `1e3`, `inf` and `NaN`. The spec allows only decimal digits
//! and one `.`, so we check the characters first and only then hand the text to `parse`.

/// A pixel value: one or more ASCII digits that fit a `u32` (leading zeros are harmless).
pub(crate) fn parse_uint(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A percentage or angle: digits with at most one `.`, at least one digit, finite.
///
/// The spec says values SHOULD have a leading zero (`0.5`, not `.5`) and SHOULD NOT have
/// trailing zeros; those are advice to clients, so `.5` and `5.` are accepted here. What
/// the spec forbids outright (signs, exponents, words) is rejected.
pub(crate) fn parse_decimal(text: &str) -> Option<f64> {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let dots = text.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || dots > 1 || digits + dots != text.len() {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// The shortest text that reads back as `value`: `90` for 90.0, `22.5`, `0.1`.
///
/// Rust's `Display` for `f64` already prints the shortest round-tripping digits and never
/// an exponent, which is exactly the spec's "integer if possible, else a minimal float".
pub(crate) fn format_decimal(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_integers() {
        let cases: &[(&str, Option<u32>)] = &[
            ("0", Some(0)),
            ("007", Some(7)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", None),
            ("99999999999999999999999", None),
            ("", None),
            ("+5", None),
            ("-5", None),
            ("5 ", None),
            ("1.0", None),
            ("1e3", None),
            ("٣", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(parse_uint(text), expected, "{text:?}");
        }
    }

    #[test]
    fn decimals() {
        let big = "9".repeat(400);
        let cases: &[(&str, Option<f64>)] = &[
            ("0", Some(0.0)),
            ("12.5", Some(12.5)),
            ("0.9", Some(0.9)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("360", Some(360.0)),
            ("", None),
            (".", None),
            ("1..2", None),
            ("1.2.3", None),
            ("+1", None),
            ("-1", None),
            ("1e3", None),
            ("NaN", None),
            ("inf", None),
            ("infinity", None),
            ("0x10", None),
            (big.as_str(), None),
        ];
        for &(text, expected) in cases {
            assert_eq!(parse_decimal(text), expected, "{text:?}");
        }
    }

    #[test]
    fn minimal_decimal_text() {
        let cases = [
            (90.0, "90"),
            (0.0, "0"),
            (22.5, "22.5"),
            (0.1, "0.1"),
            (359.99, "359.99"),
        ];
        for (value, text) in cases {
            assert_eq!(format_decimal(value), text);
        }
    }
}
