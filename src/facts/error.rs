//! The one error type of the facts readers.
//!
//! A failed read keeps its [`SourceError`] intact, because the service must tell "no such
//! object" (404) and "throttled" (503) apart from a file we cannot parse (500) or a format
//! we do not serve (501). Messages are for the log; they never name the object, so a caller
//! can log them next to the identifier it already knows.

use crate::source::{SourceError, SourceErrorKind};
use std::fmt;

/// What went wrong while reading image facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactsErrorKind {
    /// Reading bytes failed; the kind is the source's, so 404/403/503 survive.
    Source(SourceErrorKind),
    /// The bytes are a container we know, using a feature of it we do not support.
    Unsupported,
    /// The bytes begin with no image signature we know: to a client, not an image at all.
    Unrecognised,
    /// The bytes claim to be a known container but are truncated, inconsistent or hostile.
    Corrupt,
}

/// A facts failure: a kind to act on, a message for the log, and the source error if any.
#[derive(Clone, Debug)]
pub struct FactsError {
    kind: FactsErrorKind,
    message: String,
    source: Option<SourceError>,
}

impl FactsError {
    pub(crate) fn corrupt(message: impl Into<String>) -> Self {
        FactsError {
            kind: FactsErrorKind::Corrupt,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn unrecognised(message: impl Into<String>) -> Self {
        FactsError {
            kind: FactsErrorKind::Unrecognised,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        FactsError {
            kind: FactsErrorKind::Unsupported,
            message: message.into(),
            source: None,
        }
    }

    pub fn kind(&self) -> FactsErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying read failure, when the error is of kind [`FactsErrorKind::Source`].
    pub fn source_error(&self) -> Option<&SourceError> {
        self.source.as_ref()
    }
}

impl From<SourceError> for FactsError {
    fn from(err: SourceError) -> Self {
        FactsError {
            kind: FactsErrorKind::Source(err.kind()),
            message: err.detail().to_string(),
            source: Some(err),
        }
    }
}

impl fmt::Display for FactsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FactsErrorKind::Source(kind) => {
                write!(f, "reading image bytes failed ({kind:?}): {}", self.message)
            }
            FactsErrorKind::Unsupported => write!(f, "unsupported image: {}", self.message),
            FactsErrorKind::Unrecognised => write!(f, "not an image: {}", self.message),
            FactsErrorKind::Corrupt => write!(f, "corrupt image: {}", self.message),
        }
    }
}

impl std::error::Error for FactsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|err| err as &(dyn std::error::Error + 'static))
    }
}
