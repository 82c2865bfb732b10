//! The one error type of the service, and the only place an error becomes HTTP.
//!
//! Every error keeps its status and gets a short, fixed sentence per kind; internal errors
//! become a generic 500. The detail (a libvips message, a file path, a bucket and key) is kept for the
//! log line and never written into a response. Every error response is `no-store`, so no
//! cache in front of us can keep a failure as if it were the image.

use crate::iiif::IiifError;
use crate::images::ImageError;
use std::fmt;

/// The kinds are the image core's: the router's own refusals (a bad URL, an unknown path)
/// are the same kinds of failure.
pub use crate::images::ErrorKind;

/// A failed request: what the image core or the router refused, or a method HTTP alone
/// refuses.
#[derive(Debug)]
pub enum ServiceError {
    Image(ImageError),
    /// A method other than GET, HEAD and OPTIONS (the detail names it).
    MethodNotAllowed(String),
}

impl ServiceError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ServiceError::Image(ImageError::new(kind, detail))
    }

    /// The kind of failure, for all but a refused method.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            ServiceError::Image(err) => Some(err.kind),
            ServiceError::MethodNotAllowed(_) => None,
        }
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self.kind() {
            Some(ErrorKind::BadRequest) => S::BAD_REQUEST,
            Some(ErrorKind::Forbidden) => S::FORBIDDEN,
            Some(ErrorKind::NotFound) => S::NOT_FOUND,
            // Not the client's mistake (the same request on a pyramid TIFF is served) and
            // not worth retrying: the server does not offer this render of this file.
            Some(ErrorKind::NotImplemented | ErrorKind::TooLarge) => S::NOT_IMPLEMENTED,
            Some(ErrorKind::Unavailable) => S::SERVICE_UNAVAILABLE,
            Some(ErrorKind::Internal) => S::INTERNAL_SERVER_ERROR,
            None => S::METHOD_NOT_ALLOWED,
        }
    }

    /// The short body a client sees: one fixed sentence per kind. A `&'static str` cannot
    /// carry a byte of an object, a path, a bucket or a key, nor echo what the client sent;
    /// the detail goes to the log line only.
    pub fn public_message(&self) -> &'static str {
        let ServiceError::Image(err) = self else {
            return "Method not allowed";
        };
        match err.kind {
            ErrorKind::BadRequest => "Bad request: not a valid IIIF request for this image",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "Not found",
            ErrorKind::NotImplemented => "Not implemented: a feature this server does not offer",
            ErrorKind::TooLarge => {
                "Not implemented: this image is too large to render at this size here; ask \
                 for a smaller size, or store it as a tiled pyramid TIFF (tessera convert)"
            }
            ErrorKind::Unavailable => "Service unavailable, retry later",
            ErrorKind::Internal => "Internal server error",
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::Image(err) => err.fmt(f),
            ServiceError::MethodNotAllowed(method) => write!(f, "MethodNotAllowed: {method}"),
        }
    }
}

impl From<ImageError> for ServiceError {
    fn from(err: ImageError) -> Self {
        ServiceError::Image(err)
    }
}

/// IIIF URL syntax errors are found by the router before the image core is asked.
impl From<IiifError> for ServiceError {
    fn from(err: IiifError) -> Self {
        ServiceError::Image(err.into())
    }
}
