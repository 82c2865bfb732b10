//! HTTP: one async function from request to response, [`handle`].
//!
//! The standalone server, the Lambda front door and the tests all call [`handle`] with an
//! [`App`] built once at start. Routing, IIIF headers, caching headers and the mapping of
//! every error to a status live here and nowhere else; every answer about an image comes
//! from the HTTP-free core, [`crate::images::Images`].

mod budget;
mod compress;
mod cors;
mod error;
mod image;
mod info;
mod manifest;
mod public_url;
mod respond;
mod viewer;

/// The Lambda front door attaches a [`Deadline`] and its [`Delivery`] rate to the request;
/// without a deadline, the configured request budget is the deadline.
pub use crate::images::{Deadline, Delivery, DEADLINE_MARGIN};
pub use error::{ErrorKind, ServiceError};

use crate::config::Config;
use crate::config::SourceKind;
use crate::iiif::Version;
use crate::images::{Images, Preflight};
use crate::metrics::prometheus::CONTENT_TYPE;
use crate::metrics::{meter, FrontDoor, Metrics, RequestRecord, RouteKind};
use crate::source::Store;
use bytes::Bytes;
use cors::Cors;
use http::{Method, Request, Response, StatusCode};
use respond::Policy;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// URL paths longer than this are refused before any parsing.
const MAX_PATH_LEN: usize = 4096;

/// Everything a request needs, built once per process.
pub struct App {
    config: Config,
    images: Images,
    policy: Policy,
    metrics: Metrics,
    /// What besides the request decides an image's bytes (see [`rendering_tag`]).
    rendering: String,
}

/// Bumped whenever the renderer's output for the same request changes (colour management,
/// orientation, encoder options), so that a browser's or CDN's copy made by an older
/// version is not confirmed by a 304.
const RENDER_REVISION: u32 = 2;

/// The part of every image ETag that is not the request: the render revision and the
/// encoder settings (a new JPEG quality must not revalidate old bytes).
fn rendering_tag(config: &Config) -> String {
    format!("r{RENDER_REVISION}:{:?}", config.encoding())
}

impl App {
    /// Builds the app: opens the store, starts libvips, sizes the caches.
    pub async fn new(config: Config) -> Result<App, String> {
        let store = crate::images::store_from_config(&config).await?;
        Self::with_store(config, store)
    }

    /// Builds the app over a store the caller made (tests, the Lambda).
    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Result<App, String> {
        info::check_preferred_formats(&config.preferred_formats)?;
        let images = Images::new(&config, store)?;
        let policy = Policy {
            cors: Cors::from_config(&config)?,
            cache_control: config
                .cache_control
                .parse()
                .map_err(|_| "bad TESSERA_CACHE_CONTROL")?,
        };
        Ok(App {
            images,
            policy,
            metrics: Metrics::from_config(&config)?,
            rendering: rendering_tag(&config),
            config,
        })
    }

    /// Sends the EMF metric lines to `sink` instead of stdout (tests).
    pub fn with_emf_sink(mut self, sink: crate::metrics::EmfSink) -> App {
        self.metrics = self.metrics.with_emf_sink(sink);
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The image core the app answers from.
    pub fn images(&self) -> &Images {
        &self.images
    }
}

/// What the request log line and metrics report besides status and time.
#[derive(Default)]
pub(crate) struct RequestStats {
    pub route: RouteKind,
    /// Time to the image's bytes: a render, or reading a stored tile.
    pub render: Option<Duration>,
    /// Of `render`, the encoding.
    pub encode: Option<Duration>,
    /// The bytes are a stored tile sent as it is (see `images/stored_tile`).
    pub stored_tile: bool,
    pub identifier: Option<String>,
}

/// Answers one request. Never panics on input; every failure becomes an error response.
pub async fn handle(app: &App, mut req: Request<()>) -> Response<Bytes> {
    let started = Instant::now();
    let door = req
        .extensions()
        .get::<FrontDoor>()
        .copied()
        .unwrap_or_default();
    let meter = app.metrics.begin();
    let cold_start = app.metrics.take_cold_start();
    let mut stats = RequestStats::default();
    // One deadline for all the work; the image core reads it from the request too.
    let deadline = budget::deadline_of(&req, started, app.config.request_timeout());
    req.extensions_mut().insert(deadline);
    let work = budget::within(deadline, route(app, &req, &mut stats, door));
    let result = meter::scope(Arc::clone(&meter), work)
        .await
        .and_then(|resp| budget::deliverable(&req, deadline, resp));
    let mut resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            tracing::warn!(
                method = %req.method(),
                path = %req.uri().path(),
                status = err.status().as_u16(),
                error = %err,
                "request failed"
            );
            app.policy.error(&err)
        }
    };
    app.policy.cors.apply(req.headers(), resp.headers_mut());
    if req.method() == Method::HEAD {
        // Same headers as GET (Content-Length included), no body.
        let len = resp.body().len();
        *resp.body_mut() = Bytes::new();
        respond::set(
            resp.headers_mut(),
            http::header::CONTENT_LENGTH,
            &len.to_string(),
        );
    }
    let record = RequestRecord {
        route: stats.route,
        status: resp.status().as_u16(),
        latency: started.elapsed(),
        render: stats.render.filter(|_| !stats.stored_tile),
        stored_tile: stats.stored_tile,
        metered: meter.read(),
        cold_start,
    };
    log_request(&req, &record, &stats);
    app.metrics.finish(door, &record);
    resp
}

/// The request's log line: the same numbers as its metrics, plus what identifies it.
fn log_request(req: &Request<()>, record: &RequestRecord, stats: &RequestStats) {
    let m = &record.metered;
    tracing::info!(
        method = %req.method(),
        path = %req.uri().path(),
        route = record.route.as_str(),
        status = record.status,
        ms = record.latency.as_millis() as u64,
        render_ms = stats.render.map(|d| d.as_millis() as u64),
        // Tenths of a millisecond: a tile's encode takes a few.
        encode_ms = stats.encode.map(|d| (d.as_secs_f64() * 10_000.0).round() / 10.0),
        answered_by = match (record.route, record.stored_tile) {
            (_, true) => Some("stored-tile"),
            (RouteKind::Image, false) => Some("render"),
            _ => None,
        },
        identifier = stats.identifier.as_deref(),
        cold_start = record.cold_start,
        s3_requests = m.s3_requests,
        s3_bytes = m.s3_bytes,
        block_hits = m.block_hits,
        block_misses = m.block_misses,
        opened_hits = m.opened_hits,
        opened_misses = m.opened_misses,
        facts_hits = m.facts_hits,
        facts_misses = m.facts_misses,
        "request"
    );
}

async fn route(
    app: &App,
    req: &Request<()>,
    stats: &mut RequestStats,
    door: FrontDoor,
) -> Result<Response<Bytes>, ServiceError> {
    let path = req.uri().path();
    if path.len() > MAX_PATH_LEN {
        return Err(ServiceError::new(ErrorKind::BadRequest, "URL too long"));
    }
    if req.method() == Method::OPTIONS {
        stats.route = RouteKind::Options;
        return Ok(app.policy.preflight(req.headers()));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ServiceError::MethodNotAllowed(req.method().to_string()));
    }
    if let Some((version, rest)) = iiif_path(path) {
        return iiif_request(app, req, version, rest, stats).await;
    }
    if let Some(rest) = path.strip_prefix("/iiif/manifest/") {
        stats.route = RouteKind::Manifest;
        return manifest::respond(app, req, rest, stats).await;
    }
    match path {
        "/health" => {
            stats.route = RouteKind::Health;
            Ok(plain(
                app,
                StatusCode::OK,
                Bytes::from_static(b"ok\n"),
                "text/plain; charset=utf-8",
            ))
        }
        "/metrics" if app.metrics.serves_prometheus(door) => {
            stats.route = RouteKind::Metrics;
            let body = app.metrics.prometheus_text(&app.images.traffic().held());
            Ok(plain(app, StatusCode::OK, body.into(), CONTENT_TYPE))
        }
        "/" => {
            stats.route = RouteKind::Viewer;
            viewer::index(app).await
        }
        _ => {
            stats.route = RouteKind::Viewer;
            viewer::serve(app, path, req.uri().query()).await
        }
    }
}

/// The request's preflight headers, read only when `TESSERA_PREFLIGHT` trusts them.
fn preflight(app: &App, req: &Request<()>) -> Result<Option<Preflight>, ServiceError> {
    if !app.config.preflight {
        return Ok(None);
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| {
                v.to_str().map_err(|_| {
                    ServiceError::new(ErrorKind::BadRequest, "non-ASCII preflight header")
                })
            })
            .transpose()
    };
    let bucket = (app.config.source == SourceKind::S3).then_some(app.config.bucket.as_str());
    let parsed = Preflight::parse(
        header("x-preflight-location")?,
        header("x-preflight-dimensions")?,
        bucket,
    )?;
    if let Some(p) = &parsed {
        tracing::debug!(location = p.location.as_deref(), "preflight");
    }
    Ok(parsed)
}

/// Splits `/iiif/{2|3}/rest` into the version and the still-encoded rest.
fn iiif_path(path: &str) -> Option<(Version, &str)> {
    let rest = path.strip_prefix("/iiif/")?;
    let (version, rest) = rest.split_once('/')?;
    Some((Version::from_segment(version)?, rest))
}

async fn iiif_request(
    app: &App,
    req: &Request<()>,
    version: Version,
    rest: &str,
    stats: &mut RequestStats,
) -> Result<Response<Bytes>, ServiceError> {
    use crate::iiif::Route;
    let route = crate::iiif::parse_route(version, rest)?;
    let preflight = preflight(app, req)?;
    let preflight = preflight.as_ref();
    match route {
        Route::Base(identifier) => {
            stats.route = RouteKind::Base;
            stats.identifier = Some(identifier.clone());
            let base = public_url::base_url(&app.config.public_base_url, req.headers());
            let location = format!(
                "{}/info.json",
                info::image_base(&base, version, &identifier)
            );
            Ok(app.policy.redirect(StatusCode::SEE_OTHER, &location))
        }
        Route::Info(identifier) => {
            stats.route = RouteKind::Info;
            stats.identifier = Some(identifier.clone());
            info::respond(app, req, version, &identifier, preflight).await
        }
        Route::Image(identifier, image_request) => {
            stats.route = RouteKind::Image;
            stats.identifier = Some(identifier.clone());
            let request = (identifier.as_str(), &image_request, preflight);
            image::respond(app, req, version, request, stats).await
        }
    }
}

fn plain(app: &App, status: StatusCode, body: Bytes, content_type: &str) -> Response<Bytes> {
    let mut resp = app.policy.response(status, body);
    respond::set(resp.headers_mut(), http::header::CONTENT_TYPE, content_type);
    respond::set(resp.headers_mut(), http::header::CACHE_CONTROL, "no-store");
    resp
}
