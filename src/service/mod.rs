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
use crate::iiif::Version;
use crate::images::Images;
use crate::source::Store;
use bytes::Bytes;
use cors::Cors;
use http::{Method, Request, Response, StatusCode};
use respond::Policy;
use std::sync::Arc;
use std::time::Instant;

/// URL paths longer than this are refused before any parsing.
const MAX_PATH_LEN: usize = 4096;

/// Everything a request needs, built once per process.
pub struct App {
    config: Config,
    images: Images,
    policy: Policy,
}

impl App {
    /// Builds the app: opens the store, starts libvips, sizes the caches.
    pub async fn new(config: Config) -> Result<App, String> {
        let store = crate::images::store_from_config(&config).await?;
        Self::with_store(config, store)
    }

    /// Builds the app over a store the caller made (tests, the Lambda).
    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Result<App, String> {
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
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The image core the app answers from.
    pub fn images(&self) -> &Images {
        &self.images
    }
}

/// What the request log line reports besides status and time.
#[derive(Default)]
pub(crate) struct RequestStats {
    pub render_ms: Option<u128>,
    pub identifier: Option<String>,
}

/// Answers one request. Never panics on input; every failure becomes an error response.
pub async fn handle(app: &App, mut req: Request<()>) -> Response<Bytes> {
    let started = Instant::now();
    let before = app.images.traffic();
    let mut stats = RequestStats::default();
    // One deadline for all the work; the image core reads it from the request too.
    let deadline = budget::deadline_of(&req, started, app.config.request_timeout());
    req.extensions_mut().insert(deadline);
    let result = budget::within(deadline, route(app, &req, &mut stats))
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
    // Counters are process-wide: under concurrency the deltas include the traffic of
    // requests that overlapped this one (exact when requests run one at a time).
    let now = app.images.traffic();
    let spent = now.since(&before);
    tracing::info!(
        method = %req.method(),
        path = %req.uri().path(),
        status = resp.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        render_ms = stats.render_ms.map(|ms| ms as u64),
        identifier = stats.identifier.as_deref(),
        s3_requests = spent.store.s3.requests,
        s3_bytes = spent.store.s3.bytes,
        block_hits = spent.store.blocks.hits,
        block_misses = spent.store.blocks.misses,
        whole_hits = spent.store.whole.hits,
        whole_misses = spent.store.whole.misses,
        head_hits = spent.store.heads.hits,
        head_misses = spent.store.heads.misses,
        facts_hits = spent.facts.hits,
        facts_misses = spent.facts.misses,
        // Totals since start, as they always were.
        opened_hits = now.opened.hits,
        opened_misses = now.opened.misses,
        "request"
    );
    resp
}

async fn route(
    app: &App,
    req: &Request<()>,
    stats: &mut RequestStats,
) -> Result<Response<Bytes>, ServiceError> {
    let path = req.uri().path();
    if path.len() > MAX_PATH_LEN {
        return Err(ServiceError::new(ErrorKind::BadRequest, "URL too long"));
    }
    if req.method() == Method::OPTIONS {
        return Ok(app.policy.preflight(req.headers()));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ServiceError::MethodNotAllowed(req.method().to_string()));
    }
    if let Some((version, rest)) = iiif_path(path) {
        return iiif_request(app, req, version, rest, stats).await;
    }
    if let Some(rest) = path.strip_prefix("/iiif/manifest/") {
        return manifest::respond(app, req, rest, stats).await;
    }
    match path {
        "/health" => Ok(plain(
            app,
            StatusCode::OK,
            "ok\n",
            "text/plain; charset=utf-8",
        )),
        "/" => viewer::index(app).await,
        _ => viewer::serve(app, path, req.uri().query()).await,
    }
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
    match crate::iiif::parse_route(version, rest)? {
        Route::Base(identifier) => {
            stats.identifier = Some(identifier.clone());
            let base = public_url::base_url(&app.config.public_base_url, req.headers());
            let location = format!(
                "{}/info.json",
                info::image_base(&base, version, &identifier)
            );
            Ok(app.policy.redirect(StatusCode::SEE_OTHER, &location))
        }
        Route::Info(identifier) => {
            stats.identifier = Some(identifier.clone());
            info::respond(app, req, version, &identifier).await
        }
        Route::Image(identifier, image_request) => {
            stats.identifier = Some(identifier.clone());
            image::respond(app, req, version, &identifier, &image_request, stats).await
        }
    }
}

fn plain(app: &App, status: StatusCode, body: &'static str, content_type: &str) -> Response<Bytes> {
    let mut resp = app
        .policy
        .response(status, Bytes::from_static(body.as_bytes()));
    respond::set(resp.headers_mut(), http::header::CONTENT_TYPE, content_type);
    respond::set(resp.headers_mut(), http::header::CACHE_CONTROL, "no-store");
    resp
}
