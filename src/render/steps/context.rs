//! [`StepContext`]: what every step may read.
//!
//! A file of its own so that a step depends on this and nothing else of the pipeline: the
//! list of steps (`mod.rs`) names every step, and a step that imported it would depend on
//! all its siblings.

use crate::facts::Orientation;
use crate::iiif::{Dimensions, Plan};

/// What every step may read.
pub(crate) struct StepContext<'a> {
    pub(crate) plan: &'a Plan,
    /// Full-resolution size: the space `plan.region` is in.
    pub(crate) full: Dimensions,
    /// The image is read once from top to bottom (`access=sequential`): a step that reads
    /// rows out of order must settle its input into memory first.
    pub(crate) streamed: bool,
    /// How to turn the result to display it (after the resize, before mirroring).
    pub(crate) orientation: Orientation,
}
