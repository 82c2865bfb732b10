//! Image requests: plan (every IIIF rule, before any pixel), answer conditional requests
//! without rendering, then render on the blocking pool under a bounded number of slots.

use super::error::{ErrorKind, ServiceError};
use super::info::image_base;
use super::resolve::{self, Resolved};
use super::respond::{etag, matches_if_none_match, set};
use super::{public_url, App, Deadline, RequestStats};
use crate::iiif::{canonical_request, plan, profile_uri, Dimensions, ImageRequest, Version};
use crate::render::{Loader, RenderError, RenderErrorKind, RenderJob, Rendered};
use crate::source::Source;
use crate::tiff::{ContainerFormat, ImageInfo, LevelLoad};
use bytes::Bytes;
use http::header::LINK;
use http::{Request, Response};
use std::sync::Arc;
use std::time::Instant;

pub(crate) async fn respond(
    app: &App,
    req: &Request<()>,
    version: Version,
    identifier: &str,
    request: &ImageRequest,
    stats: &mut RequestStats,
) -> Result<Response<Bytes>, ServiceError> {
    let image = resolve::resolve(app, identifier).await?;
    let plan = plan(request, version, &image.facts, &app.limits)?;
    let canonical = canonical_request(&plan, version, &image.facts, &app.limits);
    let version_tag = version.as_str();
    let page = image.page.to_string();
    let tag = etag(&[
        image.opened.source.identity(),
        version_tag,
        &page,
        &canonical,
    ]);
    if matches_if_none_match(req.headers(), &tag) {
        return Ok(app.policy.not_modified(&tag));
    }

    let job = RenderJob {
        source: render_source(app, &image, plan.level).await?,
        loader: loader_for(&image.info, image.page, plan.level)?,
        level: image.facts.levels[plan.level],
        full: Dimensions {
            width: image.facts.width,
            height: image.facts.height,
        },
        plan,
    };
    let deadline = req.extensions().get::<Deadline>().copied();
    let rendered = render(app, job, deadline, stats).await?;

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

/// Runs a render on the blocking pool once a slot is free; a request that waits too long
/// for a slot, or whose render would outlive the invocation's deadline, gets 503 rather
/// than piling up or being killed mid-answer. An abandoned render keeps its slot until
/// libvips really returns, so slots still bound the renders actually running.
async fn render(
    app: &App,
    job: RenderJob,
    deadline: Option<Deadline>,
    stats: &mut RequestStats,
) -> Result<Rendered, ServiceError> {
    let budget = deadline.map(|d| d.budget()).transpose()?;
    let queue_wait = budget.map_or(app.config.queue_timeout(), |b| {
        b.min(app.config.queue_timeout())
    });
    let permit = tokio::time::timeout(queue_wait, Arc::clone(&app.render_slots).acquire_owned())
        .await
        .map_err(|_| {
            ServiceError::new(
                ErrorKind::Unavailable,
                "timed out waiting for a render slot",
            )
        })?
        .map_err(|_| ServiceError::new(ErrorKind::Unavailable, "render slots closed"))?;
    let budget = deadline.map(|d| d.budget()).transpose()?;
    let renderer = Arc::clone(&app.renderer);
    let started = Instant::now();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        renderer.render(&job)
    });
    let joined = match budget {
        Some(budget) => tokio::time::timeout(budget, task).await.map_err(|_| {
            ServiceError::new(ErrorKind::Unavailable, "render abandoned at the deadline")
        })?,
        None => task.await,
    };
    stats.render_ms = Some(started.elapsed().as_millis());
    joined
        .map_err(|e| ServiceError::new(ErrorKind::Internal, format!("render task: {e}")))?
        .map_err(render_error)
}

fn render_error(err: RenderError) -> ServiceError {
    let kind = match err.kind() {
        RenderErrorKind::Source(kind) => super::error::source_kind(kind),
        _ => ErrorKind::Internal,
    };
    ServiceError::new(kind, err.to_string())
}

/// Tiled TIFF levels are read by ranges; everything else is read from a whole local copy
/// (for files that is the file itself; for S3 the disk cache, downloaded once).
async fn render_source(
    app: &App,
    image: &Resolved,
    level: usize,
) -> Result<Arc<dyn Source>, ServiceError> {
    let tiled = image
        .info
        .tiff()
        .and_then(|t| t.is_tiled(image.page, level))
        .unwrap_or(false);
    if tiled {
        return Ok(Arc::clone(&image.opened.source));
    }
    Ok(app.store.whole(&image.opened).await?)
}

/// How libvips should open the chosen level of the chosen page.
fn loader_for(info: &ImageInfo, page: u32, level: usize) -> Result<Loader, ServiceError> {
    Ok(match info.format() {
        ContainerFormat::Tiff => {
            let load = info
                .tiff()
                .and_then(|t| t.level_load(page, level))
                .ok_or_else(|| {
                    ServiceError::new(
                        ErrorKind::Internal,
                        format!("no level {level} on page {page}"),
                    )
                })?;
            match load {
                LevelLoad::Page(index) => Loader::Tiff {
                    page: index,
                    subifd: None,
                },
                LevelLoad::SubIfd { page, index } => Loader::Tiff {
                    page,
                    subifd: Some(index),
                },
            }
        }
        ContainerFormat::Jpeg => Loader::Jpeg,
        ContainerFormat::Png => Loader::Png,
        ContainerFormat::Webp => Loader::Webp,
        ContainerFormat::Jp2 => Loader::Jp2,
        ContainerFormat::Gif => Loader::Gif,
    })
}
