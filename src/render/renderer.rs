//! [`Renderer`]: runs one [`RenderJob`] from bytes to encoded bytes, in two calls so the
//! caller can weigh a render between them: [`Renderer::open`] reads the header (or finds
//! the image opened already) and says what the render will cost; [`Renderer::execute`]
//! computes and encodes.
//!
//! Blocking by design (libvips computes on its own threads and the callbacks block on
//! reads); the image core (`images/`) calls it inside `spawn_blocking`.

use super::cache::{CacheKey, OpenedImageCache};
use super::cancel::Cancel;
use super::cost;
use super::error::{RenderError, RenderErrorKind};
use super::job::{RenderJob, Rendered};
use super::steps;
use super::steps::context::StepContext;
use super::steps::encode::{encode, Encoding};
use super::steps::jp2_region;
use super::steps::load::{self, Access, OpenedImage};
use super::vips::ensure_started;
use crate::metrics::meter;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

/// Executes render jobs, reusing opened images through its cache. Share one per process.
pub struct Renderer {
    cache: OpenedImageCache,
    encoding: Encoding,
    /// Whole-object images (JPEG, PNG, WebP, strip TIFF ...) a region was asked of before.
    asked: RegionsAsked,
}

/// Which whole-object images have had a region asked of them, most recent first, so the
/// first region of an image is read only down to its last row (about one decode of the
/// region) and the image is decoded whole and kept from the second on (every later region
/// then costs no decode). Decoding whole for the first region cost 2.7-3x a decode of the
/// region alone (`scripts/bench-kinds`), which a one-off crop (a pipeline taking one
/// region of each image) would pay for nothing.
struct RegionsAsked(Mutex<LruCache<String, ()>>);

/// Images remembered: the names are short, and a forgotten one costs only its next
/// region being streamed once more.
const REGIONS_ASKED: usize = 4096;

impl RegionsAsked {
    fn new() -> Self {
        let capacity = NonZeroUsize::new(REGIONS_ASKED).expect("non-zero");
        RegionsAsked(Mutex::new(LruCache::new(capacity)))
    }

    /// True the first time `identity` is asked about (until forgotten).
    fn first(&self, identity: &str) -> bool {
        let mut asked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        asked.put(identity.to_owned(), ()).is_none()
    }
}

/// A job's image, opened (or found in the cache) and not yet computed.
pub struct OpenedJob {
    key: CacheKey,
    image: Arc<OpenedImage>,
    access: Access,
    working_bytes: u64,
}

impl OpenedJob {
    /// The memory the render will work in, in bytes (see `cost.rs`).
    pub fn working_bytes(&self) -> u64 {
        self.working_bytes
    }
}

impl Renderer {
    /// A renderer over `cache`. Starts libvips with its defaults if [`super::init`] has not
    /// run yet.
    pub fn new(cache: OpenedImageCache) -> Result<Self, RenderError> {
        ensure_started()?;
        Ok(Renderer {
            cache,
            encoding: Encoding::default(),
            asked: RegionsAsked::new(),
        })
    }

    /// The same renderer encoding at `encoding`'s qualities.
    pub fn with_encoding(self, encoding: Encoding) -> Self {
        Renderer { encoding, ..self }
    }

    pub fn cache(&self) -> &OpenedImageCache {
        &self.cache
    }

    /// Renders `job` at once: open, run the pipeline, encode.
    pub fn render(&self, job: &RenderJob) -> Result<Rendered, RenderError> {
        let opened = self.open(job)?;
        self.execute(job, &opened, &Cancel::new())
    }

    /// Opens (or reuses) the job's level, reading no pixel, and weighs the render.
    pub fn open(&self, job: &RenderJob) -> Result<OpenedJob, RenderError> {
        check(job)?;
        let mut access = load::choose_access(job, self.cache.entry_limit());
        if access == Access::Decoded && self.asked.first(job.source.identity()) {
            access = Access::Streamed;
        }
        let attempts = load::load_attempts(job, access);
        let key = CacheKey {
            identity: job.source.identity().to_owned(),
            options: format!(
                "{:?}:{}",
                job.loader,
                attempts.first().map_or("", |(options, _)| options.as_str())
            ),
        };
        let cached = if access.keeps() {
            self.cache.get(&key)
        } else {
            None
        };
        let fresh = cached.is_none();
        let image = match cached {
            Some(image) => image,
            None => Arc::new(load::open(job, access)?),
        };
        if access.keeps() {
            meter::credit(|m| m.opened(!fresh));
        }
        if fresh && access.keeps() {
            let kept = cost::kept_bytes(job.loader, &image, access);
            self.cache.insert(key.clone(), Arc::clone(&image), kept);
        }
        let working_bytes = cost::working_bytes(job, &image, access, fresh);
        Ok(OpenedJob {
            key,
            image,
            access,
            working_bytes,
        })
    }

    /// Runs the pipeline on an opened job and encodes; `cancel` stops it early.
    ///
    /// On failure the opened image is dropped from the cache (a killed one must not serve
    /// again), a cancelled render says so whatever step libvips stopped in, and a failure
    /// the source reported (not found, forbidden, unavailable) wins over libvips' generic
    /// message.
    pub fn execute(
        &self,
        job: &RenderJob,
        opened: &OpenedJob,
        cancel: &Cancel,
    ) -> Result<Rendered, RenderError> {
        let image = &opened.image;
        let _reads = image.attribute_reads(meter::current());
        self.compute(job, opened, cancel).map_err(|err| {
            self.cache.remove(&opened.key);
            match image.source_error() {
                _ if cancel.is_cancelled() => err.with_kind(RenderErrorKind::Cancelled),
                Some(cause) => RenderError::from_source(&cause),
                None => err,
            }
        })
    }

    fn compute(
        &self,
        job: &RenderJob,
        opened: &OpenedJob,
        cancel: &Cancel,
    ) -> Result<Rendered, RenderError> {
        let direct = jp2_region::decode_window(job, &opened.image)?;
        let (input, plan, full, streamed) = match &direct {
            Some(window) => (window.image.clone(), &window.plan, window.full, false),
            None => (
                opened.image.image.clone(),
                &job.plan,
                job.full,
                opened.access == Access::Streamed,
            ),
        };
        let context = StepContext {
            plan,
            full,
            streamed,
            orientation: job.orientation,
        };
        let image = steps::run(input, &context, cancel)?;
        cancel.watch(&image)?;
        let encoding = std::time::Instant::now();
        let bytes = encode(&image, job.plan.format, job.plan.quality, &self.encoding)?;
        Ok(Rendered {
            stored_tile: false,
            encode: encoding.elapsed(),
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
