//! info.json: the image information document, its media type by content negotiation, and
//! the public URL that is its `id`.

use super::error::ServiceError;
use super::respond::{etag, matches_if_none_match, set};
use super::{public_url, App};
use crate::iiif::{context_uri, info_json, profile_uri, Format, InfoOptions, Version};
use crate::images::Preflight;
use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_ENCODING, LINK, VARY};
use http::{HeaderMap, Request, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// Characters percent-encoded in an identifier when we write it into a URL: the IIIF
/// to-encode set (`/ ? # [ ] @ %`), `;` (it would split a Link header), and everything
/// unsafe in a URL path. Non-ASCII is always encoded.
const IDENTIFIER: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b';');

/// The image's base URI: `{base}/iiif/{version}/{encoded identifier}`.
pub(crate) fn image_base(base: &str, version: Version, identifier: &str) -> String {
    let v = version.as_str();
    format!(
        "{base}/iiif/{v}/{}",
        utf8_percent_encode(identifier, IDENTIFIER)
    )
}

pub(crate) async fn respond(
    app: &App,
    req: &Request<()>,
    version: Version,
    identifier: &str,
    preflight: Option<&Preflight>,
) -> Result<Response<Bytes>, ServiceError> {
    let facts = app.images.info_with(identifier, preflight).await?;
    let base = public_url::base_url(&app.config.public_base_url, req.headers());
    let options = InfoOptions {
        id: image_base(&base, version, identifier),
        version,
        rights: app.config.rights.clone(),
        limits: *app.images.limits(),
        preferred_formats: preferred_formats(&app.config.preferred_formats),
    };
    let body = serde_json::to_vec_pretty(&info_json(&facts, &options))
        .map_err(|e| ServiceError::new(super::ErrorKind::Internal, e.to_string()))?;
    let content_type = content_type(version, req.headers());
    let gzipped = super::compress::gzip_for(req.headers(), &body);
    let coding = if gzipped.is_some() {
        "gzip"
    } else {
        "identity"
    };
    // The body names everything that decides it (id, sizes, limits), so it is the
    // validator; each coding is its own representation, with its own strong ETag.
    let tag = etag(&[content_type, &String::from_utf8_lossy(&body), coding]);
    if matches_if_none_match(req.headers(), &tag) {
        return Ok(app.policy.not_modified(&tag));
    }
    let mut resp = app
        .policy
        .success(Bytes::from(gzipped.unwrap_or(body)), content_type, &tag);
    let headers = resp.headers_mut();
    headers.insert(
        VARY,
        http::HeaderValue::from_static("Accept, Accept-Encoding"),
    );
    if coding == "gzip" {
        set(headers, CONTENT_ENCODING, coding);
    }
    let mut links = format!("<{}>;rel=\"profile\"", profile_uri(version));
    if content_type == "application/json" {
        // Plain JSON carries its JSON-LD context in a Link header (IIIF Apache notes).
        links.push_str(&format!(
            ",<{}>;rel=\"http://www.w3.org/ns/json-ld#context\";type=\"application/ld+json\"",
            context_uri(version)
        ));
    }
    set(headers, LINK, &links);
    Ok(resp)
}

/// The media type of info.json for this request (IIIF 3.0 §5.1 / 2.1 §5).
pub(crate) fn content_type(version: Version, headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase();
    let wants_ld = accept.contains("application/ld+json");
    let wants_json_only = !wants_ld && accept.contains("application/json");
    match version {
        Version::V3 if wants_json_only => "application/json",
        Version::V3 => "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\"",
        Version::V2 if wants_ld => "application/ld+json",
        Version::V2 => "application/json",
    }
}

/// The configured preferred formats (checked at start by [`check_preferred_formats`]).
fn preferred_formats(list: &str) -> Vec<Format> {
    list.split(',')
        .filter_map(|name| {
            Format::ALL
                .into_iter()
                .find(|f| f.extension() == name.trim())
        })
        .collect()
}

/// Refuses a preferred format the server does not encode: info.json would promise what
/// the server answers with 400.
pub(crate) fn check_preferred_formats(list: &str) -> Result<(), String> {
    let unknown: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty() && !Format::ALL.iter().any(|f| f.extension() == *name))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        let known: Vec<&str> = Format::ALL.iter().map(|f| f.extension()).collect();
        Err(format!(
            "TESSERA_PREFERRED_FORMATS: unknown {unknown:?} (known: {})",
            known.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_encoded_into_urls() {
        let cases = [
            (
                "67352ccc-d1b0-11e1-89ae-279075081939",
                "67352ccc-d1b0-11e1-89ae-279075081939",
            ),
            ("ark:/12025/654xz321", "ark:%2F12025%2F654xz321"),
            ("urn:foo:a123,456", "urn:foo:a123,456"),
            ("a%3Cb", "a%253Cb"),
            ("doc;2", "doc%3B2"),
            ("café", "caf%C3%A9"),
        ];
        for (id, want) in cases {
            assert_eq!(
                image_base("http://h", Version::V3, id),
                format!("http://h/iiif/3/{want}")
            );
        }
    }

    #[test]
    fn negotiates_info_media_types() {
        let ld3 = "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\"";
        let cases = [
            (Version::V3, None, ld3),
            (Version::V3, Some("application/ld+json"), ld3),
            (Version::V3, Some("*/*"), ld3),
            (Version::V3, Some("application/json"), "application/json"),
            (Version::V2, None, "application/json"),
            (
                Version::V2,
                Some("application/ld+json"),
                "application/ld+json",
            ),
        ];
        for (version, accept, want) in cases {
            let mut headers = HeaderMap::new();
            if let Some(a) = accept {
                headers.insert(ACCEPT, a.parse().unwrap());
            }
            assert_eq!(content_type(version, &headers), want, "{accept:?}");
        }
    }
}
