//! The one error type of the service, and the only place an error becomes HTTP.
//!
//! Client errors keep their status and a short, fixed description; internal errors become a
//! generic 500. The detail (a libvips message, a file path, a bucket and key) is kept for the
//! log line and never written into a response. Every error response is `no-store`, so no
//! cache in front of us can keep a failure as if it were the image.

use crate::iiif::IiifError;
use crate::images::{ErrorKind as ImageErrorKind, ImageError};
use std::fmt;

/// What kind of failure, which decides the status: the image core's kinds, and the one
/// only HTTP has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotImplemented,
    /// Busy, throttled upstream, or out of time: worth retrying (503 + Retry-After).
    Unavailable,
    Internal,
}

/// A failed request: a kind for the status, a detail for the log.
#[derive(Debug)]
pub struct ServiceError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl ServiceError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ServiceError {
            kind,
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self.kind {
            ErrorKind::BadRequest => S::BAD_REQUEST,
            ErrorKind::Forbidden => S::FORBIDDEN,
            ErrorKind::NotFound => S::NOT_FOUND,
            ErrorKind::MethodNotAllowed => S::METHOD_NOT_ALLOWED,
            ErrorKind::NotImplemented => S::NOT_IMPLEMENTED,
            ErrorKind::Unavailable => S::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// The short body a client sees. Fixed per kind except for IIIF syntax errors, whose
    /// message says what was wrong with the URL the client itself sent.
    pub fn public_message(&self) -> String {
        match self.kind {
            ErrorKind::BadRequest => format!("Bad request: {}", self.detail),
            ErrorKind::Forbidden => "Forbidden".into(),
            ErrorKind::NotFound => "Not found".into(),
            ErrorKind::MethodNotAllowed => "Method not allowed".into(),
            ErrorKind::NotImplemented => format!("Not implemented: {}", self.detail),
            ErrorKind::Unavailable => "Service unavailable, retry later".into(),
            ErrorKind::Internal => "Internal server error".into(),
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl From<ImageError> for ServiceError {
    fn from(err: ImageError) -> Self {
        let kind = match err.kind {
            ImageErrorKind::BadRequest => ErrorKind::BadRequest,
            ImageErrorKind::Forbidden => ErrorKind::Forbidden,
            ImageErrorKind::NotFound => ErrorKind::NotFound,
            ImageErrorKind::NotImplemented => ErrorKind::NotImplemented,
            ImageErrorKind::Unavailable => ErrorKind::Unavailable,
            ImageErrorKind::Internal => ErrorKind::Internal,
        };
        ServiceError::new(kind, err.detail)
    }
}

/// IIIF URL syntax errors are found by the router before the image core is asked.
impl From<IiifError> for ServiceError {
    fn from(err: IiifError) -> Self {
        ImageError::from(err).into()
    }
}
