//! [`Cancel`]: stops a render whose answer nobody will read.
//!
//! A render runs on a blocking thread that no timeout can interrupt; left alone, a render
//! abandoned at the deadline or by a client that went away keeps computing, and keeps its
//! render slot and memory reservation, for as long as libvips needs. libvips polls a
//! per-image kill flag between tiles, so the pipeline registers the image it is about to
//! compute here, and [`Cancel::cancel`] sets that image's flag: the computation fails at its
//! next tile and the thread returns, releasing what it held.

use super::error::{RenderError, RenderErrorKind};
use super::vips::VipsImage;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A handle shared by the render and whoever may abandon it; clones share one state.
#[derive(Clone, Default)]
pub struct Cancel(Arc<State>);

#[derive(Default)]
struct State {
    cancelled: AtomicBool,
    /// The image being computed now, if any.
    running: Mutex<Option<VipsImage>>,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops the render: the image being computed is killed, and no later step starts.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        let running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(image) = running.as_ref() {
            image.kill();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Registers `image` as the one about to be computed, or fails if the render was
    /// cancelled already. The flag is read under the lock `cancel` takes, so a cancel
    /// either sees this image or is seen here.
    pub(crate) fn watch(&self, image: &VipsImage) -> Result<(), RenderError> {
        let mut running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *running = Some(image.clone());
        if self.is_cancelled() {
            image.kill();
            return Err(RenderError::new(
                RenderErrorKind::Cancelled,
                "render abandoned",
            ));
        }
        Ok(())
    }
}

/// Cancels on drop unless disarmed: held across an await, it stops the render when the
/// future is dropped (a client gone, a deadline passed) as well as on any early return.
pub struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    pub fn new(cancel: Cancel) -> CancelOnDrop {
        CancelOnDrop(Some(cancel))
    }

    /// The render finished; dropping no longer cancels it.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = self.0.take() {
            cancel.cancel();
        }
    }
}
