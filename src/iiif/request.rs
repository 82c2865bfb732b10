//! An image request as the client wrote it, before anything is known about the image.
//!
//! This is the first of two parsing stages: [`ImageRequest`] checks syntax only, and
//! `plan` later checks it against the image and the limits. Keeping them apart lets the
//! service reject a malformed URL with 400 before it spends a read on the source.

use super::error::IiifError;
use super::model::{Format, Quality};
use super::number::parse_decimal;
use super::region::Region;
use super::size::Size;
use super::version::Version;

/// The four parameters of an image request, parsed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageRequest {
    pub(crate) region: Region,
    pub(crate) size: Size,
    pub(crate) rotation: Rotation,
    pub(crate) quality: Quality,
    pub(crate) format: Format,
}

/// `n` or `!n`: mirror first, then rotate clockwise by `degrees` in [0, 360).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rotation {
    pub mirror: bool,
    pub degrees: f64,
}

impl ImageRequest {
    /// Parses the already percent-decoded `region`, `size`, `rotation` and `quality.format`
    /// path segments. Any syntax error is a 400, including the formats IIIF names but we do
    /// not produce (`jp2`, `pdf`): the spec asks for 400 on an unsupported format.
    pub fn parse(
        version: Version,
        region: &str,
        size: &str,
        rotation: &str,
        quality_dot_format: &str,
    ) -> Result<ImageRequest, IiifError> {
        let (quality, format) = parse_quality_format(quality_dot_format)?;
        Ok(ImageRequest {
            region: Region::parse(region)?,
            size: Size::parse(version, size)?,
            rotation: parse_rotation(rotation)?,
            quality,
            format,
        })
    }

    /// The requested output format, known before the image is.
    pub fn format(&self) -> Format {
        self.format
    }
}

fn parse_rotation(text: &str) -> Result<Rotation, IiifError> {
    let (mirror, number) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let degrees = parse_decimal(number)
        .filter(|degrees| *degrees <= 360.0)
        .ok_or_else(|| IiifError::bad_request(format!("invalid rotation {text:?}")))?;
    // 360 is allowed by the grammar and is the same picture as 0; normalising here gives both
    // one canonical form and one cache entry.
    let degrees = if degrees == 360.0 { 0.0 } else { degrees };
    Ok(Rotation { mirror, degrees })
}

fn parse_quality_format(text: &str) -> Result<(Quality, Format), IiifError> {
    let (quality, format) = text
        .split_once('.')
        .ok_or_else(|| IiifError::bad_request(format!("expected quality.format, got {text:?}")))?;
    let quality = match quality {
        "default" => Quality::Default,
        "color" => Quality::Color,
        "gray" => Quality::Gray,
        "bitonal" => Quality::Bitonal,
        _ => {
            return Err(IiifError::bad_request(format!(
                "unsupported quality {quality:?}"
            )))
        }
    };
    let format = Format::ALL
        .into_iter()
        .find(|candidate| candidate.extension() == format)
        .ok_or_else(|| IiifError::bad_request(format!("unsupported format {format:?}")))?;
    Ok((quality, format))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::error::IiifErrorKind;

    #[test]
    fn rotations() {
        let cases = [
            ("0", Some((false, 0.0))),
            ("90", Some((false, 90.0))),
            ("!0", Some((true, 0.0))),
            ("!345", Some((true, 345.0))),
            ("22.5", Some((false, 22.5))),
            ("360", Some((false, 0.0))),
            ("!360", Some((true, 0.0))),
            ("360.0001", None),
            ("361", None),
            ("-90", None),
            ("+90", None),
            ("!", None),
            ("!!90", None),
            ("", None),
            ("9e1", None),
            ("NaN", None),
            ("inf", None),
            ("90,", None),
            ("Ab;_", None),
        ];
        for (text, expected) in cases {
            let got = parse_rotation(text).ok().map(|r| (r.mirror, r.degrees));
            assert_eq!(got, expected, "{text:?}");
        }
    }

    #[test]
    fn qualities_and_formats() {
        use Format::*;
        use Quality::*;
        let cases = [
            ("default.jpg", Some((Default, Jpg))),
            ("color.png", Some((Color, Png))),
            ("gray.webp", Some((Gray, Webp))),
            ("bitonal.tif", Some((Bitonal, Tif))),
            ("default.gif", Some((Default, Gif))),
            ("grey.jpg", None),
            ("native.jpg", None),
            ("Default.jpg", None),
            ("default.JPG", None),
            ("default.jpeg", None),
            ("default.tiff", None),
            ("default.jp2", None),
            ("default.pdf", None),
            ("default.", None),
            (".jpg", None),
            ("default", None),
            ("default.jpg.png", None),
            ("default.jpg ", None),
            ("aZ3[q_.jpg", None),
            ("default.X;z", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_quality_format(text).ok(), expected, "{text:?}");
        }
    }

    #[test]
    fn any_bad_parameter_is_400() {
        let good = ["full", "max", "0", "default.jpg"];
        let bad = ["nope", "full", "720", "default.jp2"];
        for index in 0..4 {
            let mut parts = good;
            parts[index] = bad[index];
            let err = ImageRequest::parse(Version::V3, parts[0], parts[1], parts[2], parts[3])
                .unwrap_err();
            assert_eq!(err.kind, IiifErrorKind::BadRequest, "{parts:?}");
        }
        assert!(ImageRequest::parse(Version::V3, "full", "max", "0", "default.jpg").is_ok());
    }
}
