//! Preflight: where an image is and how big, as a trusted function in front of Tessera
//! (an origin-request Lambda@Edge, see the README's "Hooks") says, with serverless-iiif's
//! headers and meaning:
//! - `x-preflight-location`: the object to read instead of the identifier's, `s3://bucket/key`
//!   for the S3 source (the key as stored, not percent-encoded; the bucket must be the
//!   configured one, the only one the function may read), or a path relative to the root
//!   for the file source;
//! - `x-preflight-dimensions`: `{"width": w, "height": h}` or a list of them (the stored
//!   sizes, any order), so info.json is answered without reading the image.
//!
//! Only honoured when `TESSERA_PREFLIGHT` is on (the service ignores the headers
//! otherwise: anyone can send them). A malformed value is a 400, a location outside the
//! bucket or root a 403: the function that set it is broken, and guessing would serve the
//! wrong image. The location replaces the identifier's object for every cache (HEAD,
//! facts, opened images, ETag are keyed by the object read), so two locations given for
//! one identifier never share an answer; info.json's `id` stays the public identifier.

use super::error::{ErrorKind, ImageError};
use crate::iiif::{Dimensions, ImageFacts};
use serde::Deserialize;

/// The preflight of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preflight {
    /// The store's name of the object (an S3 key, or a path under the root).
    pub location: Option<String>,
    /// The stored sizes, largest first.
    pub dimensions: Option<Vec<Dimensions>>,
}

/// Longest location accepted (S3 keys are at most 1024 bytes).
const MAX_LOCATION: usize = 1024 + 64;
/// Largest side accepted in dimensions (TIFF's limit is 2^32-1; nothing real is near it).
const MAX_SIDE: u32 = 1 << 24;
/// Most sizes accepted in dimensions.
const MAX_SIZES: usize = 64;

fn bad(detail: String) -> ImageError {
    ImageError::new(ErrorKind::BadRequest, detail)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DimensionsValue {
    One(Size),
    Many(Vec<Size>),
}

#[derive(Deserialize)]
struct Size {
    width: u32,
    height: u32,
}

impl Preflight {
    /// The preflight of the two header values (`None` when both are absent). `bucket` is
    /// the S3 source's bucket, `None` for the file source.
    pub fn parse(
        location: Option<&str>,
        dimensions: Option<&str>,
        bucket: Option<&str>,
    ) -> Result<Option<Preflight>, ImageError> {
        if location.is_none() && dimensions.is_none() {
            return Ok(None);
        }
        Ok(Some(Preflight {
            location: location.map(|l| parse_location(l, bucket)).transpose()?,
            dimensions: dimensions.map(parse_dimensions).transpose()?,
        }))
    }

    /// info.json's facts from the dimensions alone (first page only).
    pub(crate) fn facts(&self) -> Option<ImageFacts> {
        let levels = self.dimensions.clone()?;
        let full = *levels.first()?;
        Some(ImageFacts {
            width: full.width,
            height: full.height,
            levels,
            tile: None,
        })
    }
}

fn parse_location(value: &str, bucket: Option<&str>) -> Result<String, ImageError> {
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_LOCATION || value.chars().any(char::is_control) {
        return Err(bad(format!(
            "x-preflight-location {value:?}: empty, long or control characters"
        )));
    }
    match bucket {
        Some(bucket) => {
            let rest = value.strip_prefix("s3://").ok_or_else(|| {
                bad(format!(
                    "x-preflight-location {value:?}: not s3://bucket/key"
                ))
            })?;
            let (named, key) = rest.split_once('/').unwrap_or((rest, ""));
            if named != bucket {
                return Err(ImageError::new(
                    ErrorKind::Forbidden,
                    format!("x-preflight-location {value:?}: not in bucket {bucket}"),
                ));
            }
            if key.is_empty() {
                return Err(bad(format!("x-preflight-location {value:?}: no key")));
            }
            Ok(key.to_owned())
        }
        None => {
            if value.contains("://") {
                return Err(bad(format!(
                    "x-preflight-location {value:?}: a URL, not a path"
                )));
            }
            let escapes = value.starts_with('/')
                || value.contains('\\')
                || value
                    .split('/')
                    .any(|s| s == ".." || s == "." || s.is_empty());
            if escapes {
                return Err(ImageError::new(
                    ErrorKind::Forbidden,
                    format!("x-preflight-location {value:?}: outside the root"),
                ));
            }
            Ok(value.to_owned())
        }
    }
}

fn parse_dimensions(value: &str) -> Result<Vec<Dimensions>, ImageError> {
    let parsed: DimensionsValue = serde_json::from_str(value)
        .map_err(|e| bad(format!("x-preflight-dimensions {value:?}: {e}")))?;
    let sizes = match parsed {
        DimensionsValue::One(size) => vec![size],
        DimensionsValue::Many(sizes) => sizes,
    };
    if sizes.is_empty() || sizes.len() > MAX_SIZES {
        return Err(bad(format!(
            "x-preflight-dimensions: {} sizes",
            sizes.len()
        )));
    }
    let mut levels = Vec::with_capacity(sizes.len());
    for Size { width, height } in sizes {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(bad(format!("x-preflight-dimensions: {width}x{height}")));
        }
        levels.push(Dimensions::new(width, height));
    }
    levels.sort_by(|a, b| b.width.cmp(&a.width).then(b.height.cmp(&a.height)));
    levels.dedup();
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(result: Result<Option<Preflight>, ImageError>) -> ErrorKind {
        result.unwrap_err().kind
    }

    #[test]
    fn s3_locations_must_name_the_bucket_and_a_key() {
        let ok = Preflight::parse(Some("s3://images/a/b c.tif"), None, Some("images")).unwrap();
        assert_eq!(ok.unwrap().location.as_deref(), Some("a/b c.tif"));
        let other = Preflight::parse(Some("s3://other/a.tif"), None, Some("images"));
        assert_eq!(kind(other), ErrorKind::Forbidden);
        for bad in [
            "https://images/a.tif",
            "s3://images/",
            "s3://images",
            "",
            "s3://images/a\tb",
        ] {
            assert_eq!(
                kind(Preflight::parse(Some(bad), None, Some("images"))),
                ErrorKind::BadRequest,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn file_locations_stay_under_the_root() {
        let ok = Preflight::parse(Some("sub/a.tif"), None, None).unwrap();
        assert_eq!(ok.unwrap().location.as_deref(), Some("sub/a.tif"));
        for escape in ["../a.tif", "/etc/passwd", "a/../../b", "a//b", "a\\b"] {
            assert_eq!(
                kind(Preflight::parse(Some(escape), None, None)),
                ErrorKind::Forbidden,
                "{escape}"
            );
        }
        assert_eq!(
            kind(Preflight::parse(Some("s3://b/k"), None, None)),
            ErrorKind::BadRequest
        );
    }

    #[test]
    fn dimensions_are_one_size_or_a_list() {
        let one = Preflight::parse(None, Some(r#"{"width": 640, "height": 480}"#), None);
        assert_eq!(
            one.unwrap().unwrap().facts().unwrap().levels,
            [Dimensions::new(640, 480)]
        );
        let many = Preflight::parse(
            None,
            Some(r#"[{"width":320,"height":240},{"width":640,"height":480}]"#),
            None,
        );
        let facts = many.unwrap().unwrap().facts().unwrap();
        assert_eq!(
            (facts.width, facts.height, facts.levels.len()),
            (640, 480, 2)
        );
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"width":0,"height":1}"#,
            r#"{"width":-1,"height":1}"#,
            "nope",
        ] {
            assert_eq!(
                kind(Preflight::parse(None, Some(bad), None)),
                ErrorKind::BadRequest,
                "{bad}"
            );
        }
        assert_eq!(Preflight::parse(None, None, None).unwrap(), None);
    }
}
