//! What the service hands the renderer ([`RenderJob`]) and what it gets back ([`Rendered`]).

use crate::iiif::{Dimensions, Plan};
use crate::source::Source;
use std::sync::Arc;

/// Which libvips loader reads the object, and which stored image inside it.
///
/// The service knows the container from its own TIFF walk or the object's name, so the
/// renderer does not sniff and guess; libvips still checks the bytes and fails with
/// [`super::RenderErrorKind::Decode`] when they are not what the spec says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loader {
    /// A TIFF directory: `page` is the top-level IFD, `subifd` the pyramid level stored as
    /// a SubIFD of that page (`None` for the page itself).
    Tiff {
        page: u32,
        subifd: Option<u32>,
    },
    Jpeg,
    Png,
    Webp,
    /// JPEG 2000; the renderer picks the resolution level to decode.
    Jp2,
    Gif,
}

/// One render: the bytes, how to open them, and the plan to execute.
#[derive(Clone)]
pub struct RenderJob {
    pub source: Arc<dyn Source>,
    pub loader: Loader,
    /// Stored size of the level `loader` opens (for TIFF pyramids, the page or SubIFD).
    pub level: Dimensions,
    /// Full-resolution size: the space `plan.region` is expressed in.
    pub full: Dimensions,
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
}
