//! What the image core hands the renderer ([`RenderJob`]) and what it gets back
//! ([`Rendered`]). Which stored image to open is the facts' [`Loader`], taken as is.

pub use crate::facts::Loader;
use crate::facts::Orientation;
use crate::iiif::{Dimensions, Plan};
use crate::source::Source;
use std::sync::Arc;

/// One render: the bytes, how to open them, and the plan to execute.
#[derive(Clone)]
pub struct RenderJob {
    pub source: Arc<dyn Source>,
    pub loader: Loader,
    /// True when `loader`'s image is a tiled level read by ranges (facts' `OpenSpec`).
    pub ranged: bool,
    /// Stored size of the level `loader` opens (for TIFF pyramids, the page or SubIFD).
    pub level: Dimensions,
    /// Full-resolution size: the space `plan.region` is expressed in.
    pub full: Dimensions,
    /// Both `full` and `plan` are in stored orientation; the pipeline turns the result by
    /// this to display it (see `facts::Orientation`).
    pub orientation: Orientation,
    pub plan: Plan,
}

/// An encoded image ready to send.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    /// Final width, after rotation.
    pub width: u32,
    /// Final height, after rotation.
    pub height: u32,
    /// True when the bytes are a stored tile sent as it is, not a render.
    pub stored_tile: bool,
    /// Of the render's time, what encoding took (zero for a stored tile): the log line
    /// shows it, so where a render's time goes can be read off production traffic.
    pub encode: std::time::Duration,
}
