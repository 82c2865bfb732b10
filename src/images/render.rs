//! Image requests: plan (every IIIF rule, before any pixel), then render on the blocking
//! pool under a bounded number of slots and the renders' share of the memory budget.
//!
//! What a render may cost is settled before it costs it: the pixels it would decode are
//! counted from the facts before anything is downloaded (over `TESSERA_MAX_DECODE_PIXELS`:
//! 501, too large), and its working memory is estimated from the opened header and
//! reserved before a pixel is computed (more than the share could ever hold: 501; not
//! free within the queue wait: 503).
//!
//! A request that waits too long for a slot, or whose render would outlive its deadline,
//! fails as `Unavailable` rather than piling up or being killed mid-answer. An abandoned
//! render (deadline passed, or the request's future dropped because the client went away)
//! is cancelled: libvips stops at its next tile, and its slot and memory come back.

use super::error::{ErrorKind, ImageError};
use super::resolve::{self, Resolved};
use super::{stored_tile, Deadline, Images, Preflight};
use crate::facts::{ImageInfo, Orientation};
use crate::iiif::{
    canonical_request, plan as plan_request, Dimensions, ImageFacts, ImageRequest, Plan, Version,
};
use crate::metrics::meter;
use crate::render::{decode_pixels, Cancel, CancelOnDrop, RenderJob, Rendered};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request planned against its image: enough to answer a conditional request, and
/// everything [`Images::render`] needs.
pub struct Prepared {
    image: Resolved,
    plan: Plan,
    canonical: String,
    /// What was asked: planned again should the directories, walked later, disagree with
    /// the metadata the plan came from.
    request: ImageRequest,
    version: Version,
}

impl Prepared {
    /// The canonical form of the request (IIIF's `Link: rel="canonical"` path).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// Names the object and its version.
    pub fn identity(&self) -> &str {
        self.image.opened.source.identity()
    }

    /// The 0-based page of the object the request addresses.
    pub fn page(&self) -> u32 {
        self.image.page
    }
}

/// A displayed plan in the stored image's terms: its region mapped onto the stored pixels
/// it shows, its size with the sides swapped for a quarter turn.
fn stored_plan(plan: Plan, orientation: Orientation, stored_full: Dimensions) -> Plan {
    if orientation.is_upright() {
        return plan;
    }
    let size = orientation.turn(Dimensions::new(plan.width, plan.height));
    Plan {
        region: orientation.stored_rect(plan.region, stored_full),
        width: size.width,
        height: size.height,
        ..plan
    }
}

impl Images {
    /// Resolves the image and plans the request; reads facts, never pixels.
    pub async fn prepare(
        &self,
        identifier: &str,
        version: Version,
        request: &ImageRequest,
    ) -> Result<Prepared, ImageError> {
        self.prepare_with(identifier, version, request, None).await
    }

    /// [`Images::prepare`] for the object a trusted preflight locates, if it does.
    pub async fn prepare_with(
        &self,
        identifier: &str,
        version: Version,
        request: &ImageRequest,
        preflight: Option<&Preflight>,
    ) -> Result<Prepared, ImageError> {
        let image = self
            .once_more_if_replaced(|| resolve::resolve(self, identifier, preflight))
            .await?;
        let plan = plan_request(request, version, &image.facts, &self.limits)?;
        let canonical = canonical_request(&plan, version, &image.facts, &self.limits);
        Ok(Prepared {
            image,
            plan,
            canonical,
            request: *request,
            version,
        })
    }

    /// Renders a prepared request; returns the encoded image and the time the render
    /// itself took (slot wait excluded).
    ///
    /// When the object was replaced while it was read, what was known of it is dropped
    /// and the error says so ([`ImageError::object_replaced`]): preparing the request again
    /// reads the new version.
    pub async fn render(
        &self,
        prepared: Prepared,
        deadline: Option<Deadline>,
    ) -> Result<(Rendered, Duration), ImageError> {
        let Prepared {
            image,
            plan,
            request,
            version,
            ..
        } = prepared;
        let rendered = self
            .render_resolved(&image, plan, &request, version, deadline)
            .await;
        rendered.inspect_err(|err| self.forget_if_replaced(err, &image.opened))
    }

    /// Renders with the walked directories, walking them first if the facts came from
    /// metadata, unless one stored tile answers (its level's directory read alone).
    async fn render_resolved(
        &self,
        image: &Resolved,
        plan: Plan,
        request: &ImageRequest,
        version: Version,
        deadline: Option<Deadline>,
    ) -> Result<(Rendered, Duration), ImageError> {
        if let Some(info) = &image.info {
            return self
                .render_image(image, info, &image.facts, plan, deadline)
                .await;
        }
        if let Some(answer) = self.stored_tile_by_directory(image, &plan).await? {
            return Ok(answer);
        }
        let info = resolve::walk(self, &image.opened).await?;
        let walked = info.facts(image.page).ok_or_else(|| {
            ImageError::new(ErrorKind::NotFound, format!("no page {}", image.page + 1))
        })?;
        if walked == image.facts {
            return self
                .render_image(image, &info, &walked, plan, deadline)
                .await;
        }
        tracing::warn!(
            identity = image.opened.source.identity(),
            "the object's metadata disagrees with its directories (run create-metadata \
             again); planned from the directories"
        );
        let plan = plan_request(request, version, &walked, &self.limits)?;
        self.render_image(image, &info, &walked, plan, deadline)
            .await
    }

    async fn render_image(
        &self,
        image: &Resolved,
        info: &ImageInfo,
        facts: &ImageFacts,
        plan: Plan,
        deadline: Option<Deadline>,
    ) -> Result<(Rendered, Duration), ImageError> {
        if let Some(address) = stored_tile::address(info, image.page, facts, &plan) {
            if let Some(answer) = self.stored_tile(image, address).await? {
                return Ok(answer);
            }
        }
        let spec = info.open_spec(image.page, plan.level).ok_or_else(|| {
            ImageError::new(
                ErrorKind::Internal,
                format!("no level {} on page {}", plan.level, image.page),
            )
        })?;
        // The facts and the plan are as displayed; the renderer cuts stored pixels and
        // turns the result (a quarter turn swaps the sides back, a flip keeps them).
        let orientation = info.orientation(image.page);
        let level = orientation.turn(facts.levels[plan.level]);
        let full = orientation.turn(Dimensions {
            width: facts.width,
            height: facts.height,
        });
        let plan = stored_plan(plan, orientation, full);
        let pixels = decode_pixels(spec.ranged, level, full, plan.region);
        if pixels > self.max_decode_pixels {
            return Err(ImageError::new(
                ErrorKind::TooLarge,
                format!(
                    "{}: would decode {pixels} pixels, over TESSERA_MAX_DECODE_PIXELS ({})",
                    image.opened.source.identity(),
                    self.max_decode_pixels
                ),
            ));
        }
        // Tiled TIFF levels are read by ranges; everything else from a whole local copy
        // (for files that is the file itself; for S3 the disk cache, downloaded once).
        let source = if spec.ranged {
            Arc::clone(&image.opened.source)
        } else {
            self.store.whole(&image.opened).await?
        };
        let job = RenderJob {
            source,
            loader: spec.loader,
            ranged: spec.ranged,
            level,
            full,
            orientation,
            plan,
        };
        self.run(job, deadline).await
    }

    /// Takes a slot, opens the image, reserves its working memory, renders; all within
    /// the deadline, and cancelled if abandoned.
    async fn run(
        &self,
        job: RenderJob,
        deadline: Option<Deadline>,
    ) -> Result<(Rendered, Duration), ImageError> {
        let budget = deadline.map(|d| d.budget()).transpose()?;
        let queue_wait = budget.map_or(self.queue_timeout, |b| b.min(self.queue_timeout));
        let waited = Instant::now();
        let slot = tokio::time::timeout(queue_wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| {
                ImageError::new(
                    ErrorKind::Unavailable,
                    "timed out waiting for a render slot",
                )
            })?
            .map_err(|_| ImageError::new(ErrorKind::Unavailable, "render slots closed"))?;
        let budget = deadline.map(|d| d.budget()).transpose()?;
        let cancel = Cancel::new();
        let guard = CancelOnDrop::new(cancel.clone());
        let started = Instant::now();
        let work = async {
            let renderer = Arc::clone(&self.renderer);
            let meter = meter::current();
            let for_open = meter.clone();
            let (job, opened) = tokio::task::spawn_blocking(move || {
                let _entered = meter::enter(for_open);
                renderer.open(&job).map(|opened| (job, opened))
            })
            .await
            .map_err(|e| ImageError::new(ErrorKind::Internal, format!("open task: {e}")))??;
            let memory_wait = queue_wait.saturating_sub(waited.elapsed());
            let memory = self
                .memory
                .reserve(opened.working_bytes(), memory_wait)
                .await?;
            let renderer = Arc::clone(&self.renderer);
            tokio::task::spawn_blocking(move || {
                let _entered = meter::enter(meter);
                // Released when libvips really returns, so slots and memory bound the
                // renders actually running; a cancel makes that soon.
                let _held = (slot, memory);
                renderer.execute(&job, &opened, &cancel)
            })
            .await
            .map_err(|e| ImageError::new(ErrorKind::Internal, format!("render task: {e}")))?
            .map_err(ImageError::from)
        };
        let rendered = match budget {
            Some(budget) => tokio::time::timeout(budget, work).await.map_err(|_| {
                ImageError::new(ErrorKind::Unavailable, "render abandoned at the deadline")
            })??,
            None => work.await?,
        };
        guard.disarm();
        Ok((rendered, started.elapsed()))
    }
}
