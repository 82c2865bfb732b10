//! A minimal IIIF Presentation 3 manifest for any served identifier, made on the fly:
//! one canvas the size of the image, painted by the image with its image service.
//!
//! Viewers such as Mirador open manifests, not bare image services, so without this the
//! server could only be shown in OpenSeadragon. The manifest lives at
//! `/iiif/manifest/{3|2}/{identifier}`, where the number is the Image API version of the
//! service inside it (the Presentation API version is always 3). Every URL in it is built
//! from the same public base URL as info.json `id`, so a viewer behind a proxy follows the
//! same host it came in through. Nothing here reads pixels: width and height are the facts
//! the service already resolved.

use super::error::{ErrorKind, ServiceError};
use super::respond::{etag, matches_if_none_match};
use super::{info, public_url, App, RequestStats};
use crate::iiif::{parse_route, profile_uri, Route, Version};
use bytes::Bytes;
use http::{Request, Response};
use serde_json::{json, Value};

const CONTEXT: &str = "http://iiif.io/api/presentation/3/context.json";
const CONTENT_TYPE: &str =
    "application/ld+json;profile=\"http://iiif.io/api/presentation/3/context.json\"";

/// Answers `/iiif/manifest/{rest}`, `rest` being `{3|2}/{encoded identifier}`.
pub(crate) async fn respond(
    app: &App,
    req: &Request<()>,
    rest: &str,
    stats: &mut RequestStats,
) -> Result<Response<Bytes>, ServiceError> {
    let (version, identifier) = parse(rest)?;
    stats.identifier = Some(identifier.clone());
    let facts = app.images.info(&identifier).await?;
    let base = public_url::base_url(&app.config.public_base_url, req.headers());
    let doc = manifest(&base, version, &identifier, (facts.width, facts.height));
    let body = serde_json::to_vec_pretty(&doc)
        .map_err(|e| ServiceError::new(ErrorKind::Internal, e.to_string()))?;
    // As for info.json: the body names everything that decides it, so it is the validator.
    let tag = etag(&[CONTENT_TYPE, &String::from_utf8_lossy(&body)]);
    if matches_if_none_match(req.headers(), &tag) {
        return Ok(app.policy.not_modified(&tag));
    }
    Ok(app.policy.success(Bytes::from(body), CONTENT_TYPE, &tag))
}

/// Splits `{3|2}/{identifier}` and decodes the identifier with the Image API's own strict
/// rules (one path segment, `/` only as `%2F`), so both routes accept the same names.
fn parse(rest: &str) -> Result<(Version, String), ServiceError> {
    let not_found = || ServiceError::new(ErrorKind::NotFound, format!("no manifest at {rest}"));
    let (version, id) = rest.split_once('/').ok_or_else(not_found)?;
    let version = Version::from_segment(version).ok_or_else(not_found)?;
    match parse_route(version, id)? {
        Route::Base(identifier) if !id.ends_with('/') => Ok((version, identifier)),
        _ => Err(not_found()),
    }
}

/// The manifest document for an image of `size` (width, height) whose service speaks
/// `version`, all URLs under `base`.
pub(crate) fn manifest(base: &str, version: Version, identifier: &str, size: (u32, u32)) -> Value {
    let (width, height) = size;
    let service_id = info::image_base(base, version, identifier);
    let number = version.as_str();
    // The manifest's path segment is the image base's last segment, already encoded.
    let encoded = service_id.rsplit('/').next().unwrap_or_default();
    let id = format!("{base}/iiif/manifest/{number}/{encoded}");
    let canvas = format!("{id}/canvas/1");
    json!({
        "@context": CONTEXT,
        "id": id,
        "type": "Manifest",
        "label": { "none": [identifier] },
        "items": [{
            "id": canvas,
            "type": "Canvas",
            "width": width,
            "height": height,
            "items": [{
                "id": format!("{id}/page/1"),
                "type": "AnnotationPage",
                "items": [{
                    "id": format!("{id}/annotation/1"),
                    "type": "Annotation",
                    "motivation": "painting",
                    "body": {
                        "id": format!("{service_id}/full/max/0/default.jpg"),
                        "type": "Image",
                        "format": "image/jpeg",
                        "width": width,
                        "height": height,
                        "service": [service(version, &service_id)],
                    },
                    "target": canvas,
                }],
            }],
        }],
    })
}

/// The image service reference. Presentation 3 (§3.2 `service`) asks that a 2.x service
/// keep its 2.x keys, `@id`/`@type` and the full profile URI, so older clients still
/// recognise it.
fn service(version: Version, service_id: &str) -> Value {
    match version {
        Version::V3 => json!({ "id": service_id, "type": "ImageService3", "profile": "level2" }),
        Version::V2 => json!({
            "@id": service_id,
            "@type": "ImageService2",
            "profile": profile_uri(Version::V2),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_take_a_version_and_one_encoded_segment() {
        let cases: &[(&str, Option<(Version, &str)>)] = &[
            ("3/photo.jpg", Some((Version::V3, "photo.jpg"))),
            ("2/photo.jpg", Some((Version::V2, "photo.jpg"))),
            (
                "3/collection%2Fpage.tif",
                Some((Version::V3, "collection/page.tif")),
            ),
            ("3/document.tif;2", Some((Version::V3, "document.tif;2"))),
            ("4/photo.jpg", None),
            ("3", None),
            ("3/", None),
            ("3/a/b", None),
            ("3/photo.jpg/", None),
            ("3/%zz", None),
        ];
        for (rest, want) in cases {
            let got = parse(rest).ok();
            let want = want.map(|(v, id)| (v, id.to_string()));
            assert_eq!(got, want, "{rest}");
        }
    }

    #[test]
    fn a_v2_service_keeps_its_2x_keys() {
        let doc = manifest("http://h", Version::V2, "a b", (10, 20));
        let service = &doc["items"][0]["items"][0]["items"][0]["body"]["service"][0];
        assert_eq!(service["@id"], "http://h/iiif/2/a%20b");
        assert_eq!(service["@type"], "ImageService2");
        assert_eq!(service["profile"], "http://iiif.io/api/image/2/level2.json");
        assert_eq!(doc["id"], "http://h/iiif/manifest/2/a%20b");
    }
}
