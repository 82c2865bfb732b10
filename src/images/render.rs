//! Image requests: plan (every IIIF rule, before any pixel), then render on the blocking
//! pool under a bounded number of slots.
//!
//! A request that waits too long for a slot, or whose render would outlive its deadline,
//! fails as `Unavailable` rather than piling up or being killed mid-answer. An abandoned
//! render keeps its slot until libvips really returns, so slots still bound the renders
//! actually running.

use super::error::{ErrorKind, ImageError};
use super::resolve::{self, Resolved};
use super::{Deadline, Images};
use crate::iiif::{canonical_request, plan, Dimensions, ImageRequest, Plan, Version};
use crate::render::{RenderJob, Rendered};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request planned against its image: enough to answer a conditional request, and
/// everything [`Images::render`] needs.
pub struct Prepared {
    image: Resolved,
    plan: Plan,
    canonical: String,
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

impl Images {
    /// Resolves the image and plans the request; reads facts, never pixels.
    pub async fn prepare(
        &self,
        identifier: &str,
        version: Version,
        request: &ImageRequest,
    ) -> Result<Prepared, ImageError> {
        let image = self
            .once_more_if_replaced(|| resolve::resolve(self, identifier))
            .await?;
        let plan = plan(request, version, &image.facts, &self.limits)?;
        let canonical = canonical_request(&plan, version, &image.facts, &self.limits);
        Ok(Prepared {
            image,
            plan,
            canonical,
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
        let Prepared { image, plan, .. } = prepared;
        let rendered = self.render_image(&image, plan, deadline).await;
        rendered.inspect_err(|err| self.forget_if_replaced(err, &image.opened))
    }

    async fn render_image(
        &self,
        image: &Resolved,
        plan: Plan,
        deadline: Option<Deadline>,
    ) -> Result<(Rendered, Duration), ImageError> {
        let spec = image
            .info
            .open_spec(image.page, plan.level)
            .ok_or_else(|| {
                ImageError::new(
                    ErrorKind::Internal,
                    format!("no level {} on page {}", plan.level, image.page),
                )
            })?;
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
            level: image.facts.levels[plan.level],
            full: Dimensions {
                width: image.facts.width,
                height: image.facts.height,
            },
            plan,
        };
        self.run(job, deadline).await
    }

    async fn run(
        &self,
        job: RenderJob,
        deadline: Option<Deadline>,
    ) -> Result<(Rendered, Duration), ImageError> {
        let budget = deadline.map(|d| d.budget()).transpose()?;
        let queue_wait = budget.map_or(self.queue_timeout, |b| b.min(self.queue_timeout));
        let permit = tokio::time::timeout(queue_wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| {
                ImageError::new(
                    ErrorKind::Unavailable,
                    "timed out waiting for a render slot",
                )
            })?
            .map_err(|_| ImageError::new(ErrorKind::Unavailable, "render slots closed"))?;
        let budget = deadline.map(|d| d.budget()).transpose()?;
        let renderer = Arc::clone(&self.renderer);
        let started = Instant::now();
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            renderer.render(&job)
        });
        let joined = match budget {
            Some(budget) => tokio::time::timeout(budget, task).await.map_err(|_| {
                ImageError::new(ErrorKind::Unavailable, "render abandoned at the deadline")
            })?,
            None => task.await,
        };
        let rendered = joined
            .map_err(|e| ImageError::new(ErrorKind::Internal, format!("render task: {e}")))??;
        Ok((rendered, started.elapsed()))
    }
}
