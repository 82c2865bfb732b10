//! [`Renderer`]: runs one [`RenderJob`] from bytes to encoded bytes.
//!
//! Blocking by design (libvips computes on its own threads and the callbacks block on
//! reads); the image core (`images/`) calls it inside `spawn_blocking`.

use super::cache::{CacheKey, OpenedImageCache};
use super::error::RenderError;
use super::job::{RenderJob, Rendered};
use super::steps;
use super::steps::context::StepContext;
use super::steps::encode::encode;
use super::steps::load::{self, OpenedImage};
use super::vips::ensure_started;
use std::sync::Arc;

/// Executes render jobs, reusing opened images through its cache. Share one per process.
pub struct Renderer {
    cache: OpenedImageCache,
}

impl Renderer {
    /// A renderer over `cache`. Starts libvips with its defaults if [`super::init`] has not
    /// run yet.
    pub fn new(cache: OpenedImageCache) -> Result<Self, RenderError> {
        ensure_started()?;
        Ok(Renderer { cache })
    }

    pub fn cache(&self) -> &OpenedImageCache {
        &self.cache
    }

    /// Renders `job`: open (or reuse) the level, run the pipeline, encode.
    ///
    /// On failure the opened image is dropped from the cache, and a failure the source
    /// reported (not found, forbidden, unavailable) wins over libvips' generic message.
    pub fn render(&self, job: &RenderJob) -> Result<Rendered, RenderError> {
        check(job)?;
        let (key, opened) = self.open(job)?;
        self.execute(job, &opened).map_err(|err| {
            self.cache.remove(&key);
            match opened.source_error() {
                Some(cause) => RenderError::from_source(&cause),
                None => err,
            }
        })
    }

    fn open(&self, job: &RenderJob) -> Result<(CacheKey, Arc<OpenedImage>), RenderError> {
        let attempts = load::load_attempts(job);
        let key = CacheKey {
            identity: job.source.identity().to_owned(),
            options: format!(
                "{:?}:{}",
                job.loader,
                attempts.first().map_or("", String::as_str)
            ),
        };
        if let Some(opened) = self.cache.get(&key) {
            return Ok((key, opened));
        }
        let opened = Arc::new(load::open(job)?);
        self.cache.insert(key.clone(), Arc::clone(&opened));
        Ok((key, opened))
    }

    fn execute(&self, job: &RenderJob, opened: &OpenedImage) -> Result<Rendered, RenderError> {
        let context = StepContext {
            plan: &job.plan,
            full: job.full,
        };
        let image = steps::run(opened.image.clone(), &context)?;
        let bytes = encode(&image, job.plan.format, job.plan.quality)?;
        Ok(Rendered {
            bytes,
            mime: job.plan.format.mime(),
            width: image.width(),
            height: image.height(),
        })
    }
}

/// Refuses jobs the planner should never produce, before libvips sees them.
fn check(job: &RenderJob) -> Result<(), RenderError> {
    let plan = &job.plan;
    let empty = plan.width == 0
        || plan.height == 0
        || plan.region.width == 0
        || plan.region.height == 0
        || job.full.width == 0
        || job.full.height == 0;
    if empty {
        return Err(RenderError::internal(format!(
            "empty render job: {plan:?} of {:?}",
            job.full
        )));
    }
    Ok(())
}
