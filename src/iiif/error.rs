//! The one error type of the pure IIIF layer.
//!
//! Every IIIF rule that can fail maps to one of three kinds, and only `service` turns a kind
//! into an HTTP status. The message is written for the client: it names the offending
//! parameter and never carries anything from the server's side (paths, buckets, keys).

use std::fmt;

/// Why a request cannot be served, in IIIF terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IiifErrorKind {
    /// Bad syntax, a value out of range or a request the image cannot satisfy (400).
    BadRequest,
    /// The path is not a IIIF route at all (404).
    NotFound,
    /// A valid IIIF request for a feature this server does not offer (501).
    NotImplemented,
}

impl IiifErrorKind {
    /// The HTTP status the spec asks for; `service` may use it directly.
    pub fn status(self) -> u16 {
        match self {
            IiifErrorKind::BadRequest => 400,
            IiifErrorKind::NotFound => 404,
            IiifErrorKind::NotImplemented => 501,
        }
    }
}

/// A failed parse or plan, with a message safe to show the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IiifError {
    pub kind: IiifErrorKind,
    pub message: String,
}

impl IiifError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        IiifError {
            kind: IiifErrorKind::BadRequest,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        IiifError {
            kind: IiifErrorKind::NotFound,
            message: message.into(),
        }
    }

    pub(crate) fn not_implemented(message: impl Into<String>) -> Self {
        IiifError {
            kind: IiifErrorKind::NotImplemented,
            message: message.into(),
        }
    }
}

impl fmt::Display for IiifError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.kind {
            IiifErrorKind::BadRequest => "bad request",
            IiifErrorKind::NotFound => "not found",
            IiifErrorKind::NotImplemented => "not implemented",
        };
        write!(f, "{label}: {}", self.message)
    }
}

impl std::error::Error for IiifError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_display() {
        let cases = [
            (
                IiifError::bad_request("size: 0,"),
                400,
                "bad request: size: 0,",
            ),
            (IiifError::not_found("no route"), 404, "not found: no route"),
            (IiifError::not_implemented("^"), 501, "not implemented: ^"),
        ];
        for (err, status, text) in cases {
            assert_eq!(err.kind.status(), status);
            assert_eq!(err.to_string(), text);
        }
    }
}
