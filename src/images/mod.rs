//! The image core, free of HTTP: from an identifier to facts, and from an identifier and a
//! IIIF request to encoded bytes.
//!
//! [`Images`] owns everything an answer costs: the [`Store`] (with its HEAD, block and
//! whole-object caches), the facts cache (one directory walk per object version), the
//! renderer (with its opened-image cache), the render slots and the renders' share of the
//! memory budget. The service calls only
//! [`Images::info`], [`Images::prepare`] and [`Images::render`]; it never sees a source, a
//! loader or a slot. Rendering is two calls because a conditional request must be answered
//! 304 from the plan alone, before any pixel or whole-object download.

mod budget;
mod deadline;
mod error;
mod preflight;
mod render;
mod replaced;
mod resolve;
mod store;
mod stored_tile;
mod traffic;

pub use budget::MemoryShares;
pub use deadline::{Deadline, Delivery, DEADLINE_MARGIN};
pub use error::{ErrorKind, ImageError};
pub use preflight::Preflight;
pub use render::Prepared;
pub use store::{bucket_store, store_from_config};
pub use traffic::Traffic;

use crate::config::Config;
use crate::iiif::{ImageFacts, Limits};
use crate::render::{OpenedImageCache, Renderer};
use crate::source::Store;
use budget::RenderMemory;
use resolve::FactsCache;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Everything an image answer needs, built once per process.
pub struct Images {
    store: Arc<dyn Store>,
    facts: FactsCache,
    renderer: Arc<Renderer>,
    /// Renders running at once; a request waits at most `queue_timeout` for one.
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
    /// The renders' share of the memory budget, reserved by each render's working memory.
    memory: RenderMemory,
    /// Most pixels one request may decode.
    max_decode_pixels: u64,
    limits: Limits,
}

impl Images {
    /// Starts libvips with the configured concurrency and sizes the caches and slots.
    pub fn new(config: &Config, store: Arc<dyn Store>) -> Result<Images, String> {
        let slots = config.render_slots();
        crate::render::init(config.render_threads()).map_err(|e| format!("libvips: {e}"))?;
        let shares = MemoryShares::from_config(config)?;
        let opened = OpenedImageCache::with_bytes(config.opened_images, shares.opened_images);
        let renderer = Renderer::new(opened).map_err(|e| format!("libvips: {e}"))?;
        let renderer = Arc::new(renderer.with_encoding(config.encoding()));
        store.on_release(replaced::release_hook(&renderer));
        Ok(Images {
            store,
            facts: FactsCache::new(config.info_cache_entries, None)
                .remember_failures(config.failure_cache_ttl()),
            renderer,
            slots: Arc::new(Semaphore::new(slots)),
            queue_timeout: config.queue_timeout(),
            memory: RenderMemory::new(shares.renders),
            max_decode_pixels: config.max_decode_pixels,
            limits: Limits {
                max_width: config.max_width,
                max_height: config.max_height,
                max_area: config.max_area,
                upscaling: config.upscaling,
            },
        })
    }

    /// The size limits every plan and info.json obey.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The facts info.json needs: from the object's metadata when it records them all (a
    /// HEAD, no byte read), else from its bytes. Either way the same facts, so one image
    /// has one info.json wherever its facts came from.
    pub async fn info(&self, identifier: &str) -> Result<ImageFacts, ImageError> {
        self.info_with(identifier, None).await
    }

    /// [`Images::info`] of the object a trusted preflight names, or of its dimensions.
    pub async fn info_with(
        &self,
        identifier: &str,
        preflight: Option<&Preflight>,
    ) -> Result<ImageFacts, ImageError> {
        self.once_more_if_replaced(|| resolve::info_facts(self, identifier, preflight))
            .await
    }

    /// Every counter and cache of the core at this moment, for the request log line.
    pub fn traffic(&self) -> Traffic {
        Traffic::now(self)
    }
}
