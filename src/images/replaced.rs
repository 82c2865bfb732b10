//! Objects replaced under a request. A HEAD is trusted for minutes, and every GET carries
//! its ETag in `If-Match`; once the object is overwritten those GETs answer 412. Then
//! everything known of the old version is dropped at once (its HEAD, facts, blocks, whole
//! copy and opened images) and the request is asked once more, which HEADs the object
//! anew: a replaced object costs one retry, never an error.
//!
//! Also here: the hook through which the store's disk cache asks the opened-image cache to
//! close the files it evicts, since their disk space is freed only then.

use super::{ImageError, Images};
use crate::render::Renderer;
use crate::source::{Opened, ReleaseHook};
use std::future::Future;
use std::sync::{Arc, Weak};

impl Images {
    /// Runs `attempt`, and once more if it found the object replaced (it has then been
    /// forgotten, so the second attempt starts from a fresh HEAD).
    pub(crate) async fn once_more_if_replaced<T, F, Fut>(&self, attempt: F) -> Result<T, ImageError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ImageError>>,
    {
        match attempt().await {
            Err(err) if err.object_replaced() => attempt().await,
            answer => answer,
        }
    }

    /// Drops everything known of `opened`'s version when `err` says it was replaced.
    pub(crate) fn forget_if_replaced(&self, err: &ImageError, opened: &Opened) {
        if !err.object_replaced() {
            return;
        }
        tracing::info!(
            object = opened.source.identity(),
            "object replaced; forgotten"
        );
        self.store.forget(opened);
        let identity = opened.source.identity();
        self.facts.forget(identity);
        self.renderer.cache().forget(identity);
    }
}

/// Closes the opened images of an object the store released from its disk.
pub(crate) fn release_hook(renderer: &Arc<Renderer>) -> ReleaseHook {
    let renderer: Weak<Renderer> = Arc::downgrade(renderer);
    Arc::new(move |identity: &str| {
        if let Some(renderer) = renderer.upgrade() {
            renderer.cache().forget(identity);
        }
    })
}
