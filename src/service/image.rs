//! Image requests over HTTP: ask the core to plan, answer a conditional request from the
//! plan alone, else render and send with the canonical and profile links.

use super::error::ServiceError;
use super::info::image_base;
use super::respond::{etag, matches_if_none_match, set};
use super::{public_url, App, Deadline, RequestStats};
use crate::iiif::{profile_uri, ImageRequest, Version};
use crate::images::Preflight;
use bytes::Bytes;
use http::header::LINK;
use http::{Request, Response};

pub(crate) async fn respond(
    app: &App,
    req: &Request<()>,
    version: Version,
    (identifier, request, preflight): (&str, &ImageRequest, Option<&Preflight>),
    stats: &mut RequestStats,
) -> Result<Response<Bytes>, ServiceError> {
    let deadline = req.extensions().get::<Deadline>().copied();
    // Once more when the object turned out replaced mid-render: the core has forgotten the
    // old version, so the second plan (and its ETag) is the new version's.
    let mut again = true;
    let (rendered, took, tag, canonical) = loop {
        let prepared = app
            .images
            .prepare_with(identifier, version, request, preflight)
            .await?;
        let canonical = prepared.canonical().to_string();
        let page = prepared.page().to_string();
        let rendering = &app.rendering;
        let tag = etag(&[
            prepared.identity(),
            version.as_str(),
            &page,
            &canonical,
            rendering,
        ]);
        if matches_if_none_match(req.headers(), &tag) {
            return Ok(app.policy.not_modified(&tag));
        }
        match app.images.render(prepared, deadline).await {
            Err(err) if err.object_replaced() && std::mem::take(&mut again) => continue,
            rendered => {
                let (rendered, took) = rendered?;
                break (rendered, took, tag, canonical);
            }
        }
    };
    stats.render = Some(took);
    stats.encode = Some(rendered.encode).filter(|_| !rendered.stored_tile);
    stats.stored_tile = rendered.stored_tile;

    let mut resp = app
        .policy
        .success(Bytes::from(rendered.bytes), rendered.mime, &tag);
    let base = public_url::base_url(&app.config.public_base_url, req.headers());
    let links = format!(
        "<{}/{canonical}>;rel=\"canonical\",<{}>;rel=\"profile\"",
        image_base(&base, version, identifier),
        profile_uri(version)
    );
    set(resp.headers_mut(), LINK, &links);
    Ok(resp)
}
