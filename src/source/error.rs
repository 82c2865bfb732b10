//! The error every source returns; only `service` maps its kind to an HTTP status.

use std::fmt;

/// What went wrong, in terms a caller can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceErrorKind {
    /// The object does not exist (404).
    NotFound,
    /// The object exists but may not be read, or the identifier is refused (403).
    Forbidden,
    /// The store is throttling, timing out or failing; worth retrying later (503).
    Unavailable,
    /// The object was replaced since its HEAD (an `If-Match` GET answered 412): what was
    /// learned of the old version must be dropped and the request asked again.
    Replaced,
    /// The object must be fetched whole and can never fit this server's disk budget.
    TooLarge,
    /// Anything else: an I/O error, a malformed answer (500).
    Other,
}

/// A source failure with a detail for the log (never for the response body).
#[derive(Clone, Debug)]
pub struct SourceError {
    kind: SourceErrorKind,
    detail: String,
}

impl SourceError {
    pub fn new(kind: SourceErrorKind, detail: impl Into<String>) -> Self {
        SourceError {
            kind,
            detail: detail.into(),
        }
    }

    pub fn kind(&self) -> SourceErrorKind {
        self.kind
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for SourceError {}

impl From<std::io::Error> for SourceError {
    fn from(err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound => SourceErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => SourceErrorKind::Forbidden,
            // A full disk (the whole-object cache's) frees up as files are evicted.
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                SourceErrorKind::Unavailable
            }
            _ => SourceErrorKind::Other,
        };
        SourceError::new(kind, err.to_string())
    }
}
