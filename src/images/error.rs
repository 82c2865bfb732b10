//! The one error type of the image core: a kind that says what went wrong with the image
//! (the service turns it into a status), and a detail for the log line.

use crate::facts::{FactsError, FactsErrorKind};
use crate::iiif::{IiifError, IiifErrorKind};
use crate::render::{RenderError, RenderErrorKind};
use crate::source::{SourceError, SourceErrorKind};
use std::fmt;

/// What kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request asks for something no image could give (IIIF syntax, page 0).
    BadRequest,
    Forbidden,
    NotFound,
    /// A feature or a file format the server does not offer.
    NotImplemented,
    /// Busy, throttled upstream, or out of time: worth retrying.
    Unavailable,
    Internal,
}

/// A failed info or render: a kind for the caller, a detail for the log.
#[derive(Debug)]
pub struct ImageError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl ImageError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ImageError {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for ImageError {}

impl From<IiifError> for ImageError {
    fn from(err: IiifError) -> Self {
        let kind = match err.kind {
            IiifErrorKind::BadRequest => ErrorKind::BadRequest,
            IiifErrorKind::NotFound => ErrorKind::NotFound,
            IiifErrorKind::NotImplemented => ErrorKind::NotImplemented,
        };
        ImageError::new(kind, err.message)
    }
}

impl From<SourceError> for ImageError {
    fn from(err: SourceError) -> Self {
        ImageError::new(source_kind(err.kind()), err.detail())
    }
}

impl From<FactsError> for ImageError {
    fn from(err: FactsError) -> Self {
        let kind = match err.source_error() {
            Some(source) => source_kind(source.kind()),
            // A feature of a known format we do not offer is the operator's problem: 501.
            None if err.kind() == FactsErrorKind::Unsupported => ErrorKind::NotImplemented,
            // Bytes with no image signature are no image, as a missing object is none: the
            // same 404, so a probe (`.git/config`, `.env`) learns nothing of what exists.
            None if err.kind() == FactsErrorKind::Unrecognised => ErrorKind::NotFound,
            None => ErrorKind::Internal,
        };
        ImageError::new(kind, err.to_string())
    }
}

impl From<RenderError> for ImageError {
    fn from(err: RenderError) -> Self {
        let kind = match err.kind() {
            RenderErrorKind::Source(kind) => source_kind(kind),
            _ => ErrorKind::Internal,
        };
        ImageError::new(kind, err.to_string())
    }
}

/// Maps a source failure kind to an image failure kind.
fn source_kind(kind: SourceErrorKind) -> ErrorKind {
    match kind {
        SourceErrorKind::NotFound => ErrorKind::NotFound,
        SourceErrorKind::Forbidden => ErrorKind::Forbidden,
        SourceErrorKind::Unavailable => ErrorKind::Unavailable,
        SourceErrorKind::Other => ErrorKind::Internal,
    }
}
