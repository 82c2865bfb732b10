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
    /// The image cannot be decoded or rendered at this size within the server's budgets
    /// (a decompression bomb, a huge image without pyramid, an answer over the memory
    /// for renders): not worth retrying; a pyramid TIFF or a smaller size is the remedy.
    TooLarge,
    /// Busy, throttled upstream, or out of time: worth retrying.
    Unavailable,
    Internal,
}

/// A failed info or render: a kind for the caller, a detail for the log.
#[derive(Clone, Debug)]
pub struct ImageError {
    pub kind: ErrorKind,
    pub detail: String,
    /// The object changed under the request (see [`ImageError::object_replaced`]).
    replaced: bool,
}

impl ImageError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ImageError {
            kind,
            detail: detail.into(),
            replaced: false,
        }
    }

    /// True when the object was replaced while the request read it: the core has dropped
    /// what it knew of the old version, so asking once more reads the new one. Its kind is
    /// `Unavailable`, the answer if asking again meets yet another version.
    pub fn object_replaced(&self) -> bool {
        self.replaced
    }

    fn from_source_kind(kind: SourceErrorKind, detail: String) -> Self {
        let mapped = match kind {
            SourceErrorKind::NotFound => ErrorKind::NotFound,
            SourceErrorKind::Forbidden => ErrorKind::Forbidden,
            SourceErrorKind::Unavailable | SourceErrorKind::Replaced => ErrorKind::Unavailable,
            // Fetching it whole is the only way this server can read it, and it never will.
            SourceErrorKind::TooLarge => ErrorKind::NotImplemented,
            SourceErrorKind::Other => ErrorKind::Internal,
        };
        ImageError {
            replaced: kind == SourceErrorKind::Replaced,
            ..ImageError::new(mapped, detail)
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
        ImageError::from_source_kind(err.kind(), err.detail().to_owned())
    }
}

impl From<FactsError> for ImageError {
    fn from(err: FactsError) -> Self {
        if let Some(source) = err.source_error() {
            return ImageError::from_source_kind(source.kind(), err.to_string());
        }
        let kind = match err.kind() {
            // A feature of a known format we do not offer is the operator's problem: 501.
            FactsErrorKind::Unsupported => ErrorKind::NotImplemented,
            // Bytes with no image signature are no image, as a missing object is none: the
            // same 404, so a probe (`.git/config`, `.env`) learns nothing of what exists.
            FactsErrorKind::Unrecognised => ErrorKind::NotFound,
            _ => ErrorKind::Internal,
        };
        ImageError::new(kind, err.to_string())
    }
}

impl From<RenderError> for ImageError {
    fn from(err: RenderError) -> Self {
        match err.kind() {
            RenderErrorKind::Source(kind) => ImageError::from_source_kind(kind, err.to_string()),
            // Only an abandoned render is cancelled, and its answer is a 503 already.
            RenderErrorKind::Cancelled => ImageError::new(ErrorKind::Unavailable, err.to_string()),
            _ => ImageError::new(ErrorKind::Internal, err.to_string()),
        }
    }
}
