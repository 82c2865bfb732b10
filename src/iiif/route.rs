//! Routing the path after the version prefix: base URI, info.json or image request.
//!
//! The identifier's `/` must arrive percent-encoded (§9), so the raw path splits on `/`
//! before anything is decoded and the segment count alone decides the route. A raw `/`
//! inside an identifier therefore gives a path we do not serve: 404, as the validator's
//! `id_error_escapedslash` expects. Each segment is then decoded strictly; a malformed or
//! hostile identifier is a 400 here, long before it could reach a source.

use super::error::IiifError;
use super::request::ImageRequest;
use super::version::Version;

/// Longest identifier we accept, in decoded bytes: longer than any real key, short enough
/// to keep logs and cache keys bounded.
const MAX_IDENTIFIER_BYTES: usize = 1024;

/// What a path asks for. Identifiers are percent-decoded.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// `{id}` (or `{id}/`): the base URI, which the service redirects to info.json.
    Base(String),
    /// `{id}/info.json`
    Info(String),
    /// `{id}/{region}/{size}/{rotation}/{quality}.{format}`
    Image(String, ImageRequest),
}

/// Routes `rest`, the still percent-encoded path after the version prefix and its slash,
/// e.g. `ark:%2F12025%2F654xz321/full/max/0/default.jpg`.
///
/// Any segment count other than 1, 2 or 5 is 404, as is an empty path; within a route,
/// bad syntax is 400.
pub fn parse_route(version: Version, rest: &str) -> Result<Route, IiifError> {
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        [""] => Err(IiifError::not_found("no identifier in the path")),
        [id] | [id, ""] => Ok(Route::Base(decode_identifier(id)?)),
        [id, "info.json"] => Ok(Route::Info(decode_identifier(id)?)),
        [id, region, size, rotation, quality_format] => {
            let identifier = decode_identifier(id)?;
            let request = ImageRequest::parse(
                version,
                &decode_segment(region)?,
                &decode_segment(size)?,
                &decode_segment(rotation)?,
                &decode_segment(quality_format)?,
            )?;
            Ok(Route::Image(identifier, request))
        }
        _ => Err(IiifError::not_found("not a IIIF path")),
    }
}

/// Decodes an identifier and refuses what no source should ever see: empty, too long,
/// NUL or other control characters. Everything else, including literal characters the spec
/// says clients must encode (`[`, `]`, `@`), is accepted and left to the source to find or
/// not: being liberal here costs nothing, and `[frob]` still ends as a 404.
fn decode_identifier(raw: &str) -> Result<String, IiifError> {
    // Checked before decoding as well, so a huge path costs no allocation.
    if raw.len() > 3 * MAX_IDENTIFIER_BYTES {
        return Err(IiifError::bad_request("identifier is too long"));
    }
    let identifier = decode_segment(raw)?;
    if identifier.is_empty() {
        return Err(IiifError::bad_request("identifier is empty"));
    }
    if identifier.len() > MAX_IDENTIFIER_BYTES {
        return Err(IiifError::bad_request("identifier is too long"));
    }
    if identifier.chars().any(char::is_control) {
        return Err(IiifError::bad_request(
            "identifier contains control characters",
        ));
    }
    Ok(identifier)
}

/// Strict percent-decoding: every `%` must start a two-digit hex escape and the result must
/// be UTF-8. (`percent_encoding` alone passes malformed escapes through unchanged.)
fn decode_segment(raw: &str) -> Result<String, IiifError> {
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(index, &byte)| {
        byte != b'%'
            || bytes
                .get(index + 1..index + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err(IiifError::bad_request(
            "malformed percent-encoding in the path",
        ));
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| IiifError::bad_request("percent-encoded path is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::error::IiifErrorKind::BadRequest;

    /// How a path routes, in one line: `base ID`, `info ID`, `image ID` or the error kind.
    fn route(rest: &str) -> String {
        match parse_route(Version::V3, rest) {
            Ok(Route::Base(id)) => format!("base {id}"),
            Ok(Route::Info(id)) => format!("info {id}"),
            Ok(Route::Image(id, _)) => format!("image {id}"),
            Err(err) => format!("{:?}", err.kind),
        }
    }

    #[test]
    #[rustfmt::skip]
    fn routes_and_identifiers() {
        let uuid = "67352ccc-d1b0-11e1-89ae-279075081939";
        let escaped = uuid.replace('-', "%2D");
        let a1024 = "a".repeat(1024);
        let cases: Vec<(String, String)> = vec![
            (uuid.into(), format!("base {uuid}")),
            (format!("{uuid}/"), format!("base {uuid}")),
            (format!("{uuid}/info.json"), format!("info {uuid}")),
            (format!("{uuid}/full/max/0/default.jpg"), format!("image {uuid}")),
            (format!("{escaped}/full/max/0/default.jpg"), format!("image {uuid}")),
            (format!("{a1024}/info.json"), format!("info {a1024}")),
            (format!("{}/info.json", "a".repeat(1025)), "BadRequest".into()),
            (format!("{}/info.json", "a".repeat(2000)), "BadRequest".into()),
            (format!("{}/info.json", "%41".repeat(1025)), "BadRequest".into()),
            (format!("{}/info.json", "%41".repeat(5000)), "BadRequest".into()),
        ];
        let fixed = [
            ("ark:%2F12025%2F654xz321/info.json", "info ark:/12025/654xz321"),
            ("urn:foo:a123,456/info.json", "info urn:foo:a123,456"),
            ("http:%2F%2Fexample.com%2F%3F54%23a/info.json", "info http://example.com/?54#a"),
            ("abc%253C69/info.json", "info abc%3C69"),
            ("caf%C3%A9/info.json", "info café"),
            ("[frob]/full/max/0/default.jpg", "image [frob]"),
            ("a/b/full/max/0/default.jpg", "NotFound"),
            ("", "NotFound"),
            ("id/info.xml", "NotFound"),
            ("id/full/max/0", "NotFound"),
            ("id/full/max/0/default.jpg/", "NotFound"),
            ("id/full/max/0/default.jpg/x", "NotFound"),
            ("/info.json", "BadRequest"),
            ("/full/max/0/default.jpg", "BadRequest"),
            ("%zz/info.json", "BadRequest"),
            ("a%2/info.json", "BadRequest"),
            ("a%/info.json", "BadRequest"),
            ("a%00b/info.json", "BadRequest"),
            ("a%0Ab/info.json", "BadRequest"),
            ("a%7Fb/info.json", "BadRequest"),
            ("a%FFb/info.json", "BadRequest"),
            ("a%C3/info.json", "BadRequest"),
        ];
        let fixed = fixed.iter().map(|(rest, expected)| (rest.to_string(), expected.to_string()));
        for (rest, expected) in cases.into_iter().chain(fixed) {
            assert_eq!(route(&rest), expected, "{rest:?}");
        }
    }

    #[test]
    fn image_parameters_are_decoded_and_checked() {
        let cases = [
            ("id/full/max/0/default.jpg", None),
            ("id/full/%5Emax/0/default.jpg", None),
            ("id/0%2C0%2C10%2C10/%2110,10/%2190/gray.png", None),
            ("id/full/^max/0/default.jpg", None),
            ("id//max/0/default.jpg", Some(BadRequest)),
            ("id/full//0/default.jpg", Some(BadRequest)),
            ("id/full/max//default.jpg", Some(BadRequest)),
            ("id/full/max/0/", Some(BadRequest)),
            ("id/full/max/0/default.jp2", Some(BadRequest)),
            ("id/full/max/0/default.pdf", Some(BadRequest)),
            ("id/full/max/0/grey.jpg", Some(BadRequest)),
            ("id/full/full/0/default.jpg", Some(BadRequest)),
            ("id/%zz/max/0/default.jpg", Some(BadRequest)),
            ("id/full/max/0%00/default.jpg", Some(BadRequest)),
            ("id/full/max/NaN/default.jpg", Some(BadRequest)),
            ("id/full/max/inf/default.jpg", Some(BadRequest)),
            ("id/full/max/-90/default.jpg", Some(BadRequest)),
            ("id/99999999999,0,1,1/max/0/default.jpg", Some(BadRequest)),
            ("%00/full/max/0/default.jpg", Some(BadRequest)),
        ];
        for (rest, expected) in cases {
            let got = parse_route(Version::V3, rest).err().map(|err| err.kind);
            assert_eq!(got, expected, "{rest:?}");
        }
    }

    #[test]
    fn version_reaches_the_size_parser() {
        let rest = "id/full/full/0/default.jpg";
        assert!(parse_route(Version::V2, rest).is_ok());
        assert_eq!(parse_route(Version::V3, rest).unwrap_err().kind, BadRequest);
        let rest = "id/full/^max/0/default.jpg";
        assert_eq!(parse_route(Version::V2, rest).unwrap_err().kind, BadRequest);
    }
}
