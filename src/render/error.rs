//! The render layer's error: a kind the image core maps to its own (and the service to a status), and a libvips message
//! that goes to the log only (it can name files and internals, so it is never sent).

use crate::source::{SourceError, SourceErrorKind};
use std::fmt;

/// What class of failure a render hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderErrorKind {
    /// The bytes could not be read; the source said why (not found, forbidden, ...).
    Source(SourceErrorKind),
    /// The bytes were read but are not a decodable image of the expected kind
    /// (truncated, corrupt, wrong loader, missing page).
    Decode,
    /// The pixels were ready but the output format could not be written.
    Encode,
    /// The render was abandoned (deadline, client gone) and stopped on purpose.
    Cancelled,
    /// Everything else: libvips refused an operation we should not have asked for, or
    /// could not start.
    Internal,
}

/// A render failure.
#[derive(Clone, Debug)]
pub struct RenderError {
    kind: RenderErrorKind,
    message: String,
}

impl RenderError {
    pub(crate) fn new(kind: RenderErrorKind, message: impl Into<String>) -> Self {
        RenderError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        RenderError::new(RenderErrorKind::Internal, message)
    }

    /// A failure caused by the source; its detail becomes the message.
    pub(crate) fn from_source(err: &SourceError) -> Self {
        RenderError::new(RenderErrorKind::Source(err.kind()), err.detail())
    }

    /// The same failure, reclassified by the step that knows what it was doing (the wall
    /// cannot tell a decode failure from an encode failure; the caller can).
    pub(crate) fn with_kind(self, kind: RenderErrorKind) -> Self {
        RenderError { kind, ..self }
    }

    pub fn kind(&self) -> RenderErrorKind {
        self.kind
    }

    /// The detail for the log: usually libvips' own words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RenderErrorKind::Source(kind) => write!(f, "source error ({kind:?}): {}", self.message),
            RenderErrorKind::Decode => write!(f, "cannot decode image: {}", self.message),
            RenderErrorKind::Encode => write!(f, "cannot encode image: {}", self.message),
            RenderErrorKind::Cancelled => write!(f, "render cancelled: {}", self.message),
            RenderErrorKind::Internal => write!(f, "render failed: {}", self.message),
        }
    }
}

impl std::error::Error for RenderError {}
