//! Turns AWS SDK errors into [`SourceError`]s: which failures are the client's (404, 403),
//! which are worth retrying later (503), and which are ours (500).
//!
//! The S3 error code decides when there is one; the HTTP status decides otherwise, because
//! HEAD responses have no body and so no code (a missing key on HEAD is a bare 404). By the
//! time an error reaches us the SDK's standard retry has already retried throttling, 5xx
//! and transient network failures, so whatever of those is left means "unavailable now".

use super::{SourceError, SourceErrorKind};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Maps a failed SDK call; `what` names the call and object for the log line.
pub(crate) fn from_sdk<E>(err: SdkError<E, HttpResponse>, what: &str) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = match &err {
        // Connection refused or reset, DNS failure, or a timeout: the store is not
        // answering, which a client should retry later.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => SourceErrorKind::Unavailable,
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            classify(status, err.code())
        }
        _ => SourceErrorKind::Other,
    };
    SourceError::new(kind, format!("{what}: {}", DisplayErrorContext(&err)))
}

/// Classifies a service error by its S3 error code, else by its HTTP status.
pub(crate) fn classify(status: Option<u16>, code: Option<&str>) -> SourceErrorKind {
    use SourceErrorKind::*;
    match code {
        Some("NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchVersion") => return NotFound,
        Some("AccessDenied" | "Forbidden" | "AllAccessDisabled") => return Forbidden,
        // Only our `If-Match` GETs carry a precondition: the ETag we HEADed is gone.
        Some("PreconditionFailed") => return Replaced,
        // A 403 for bad or expired credentials is our misconfiguration, not the client's
        // lack of rights: a 500 makes an operator look, a 403 would make users give up.
        Some("InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken") => {
            return Other
        }
        Some(
            "SlowDown"
            | "Throttling"
            | "ThrottlingException"
            | "TooManyRequests"
            | "RequestLimitExceeded"
            | "RequestTimeout"
            | "ServiceUnavailable"
            | "InternalError",
        ) => return Unavailable,
        _ => {}
    }
    match status {
        Some(404) => NotFound,
        Some(403) => Forbidden,
        Some(412) => Replaced,
        Some(429 | 500..=599) => Unavailable,
        _ => Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SourceErrorKind::*;

    #[test]
    fn codes_win_over_statuses_and_statuses_cover_bodiless_answers() {
        let cases = [
            (Some(404), Some("NoSuchKey"), NotFound),
            (Some(404), Some("NoSuchBucket"), NotFound),
            (Some(404), None, NotFound),
            (Some(403), Some("AccessDenied"), Forbidden),
            (Some(403), None, Forbidden),
            (Some(403), Some("InvalidAccessKeyId"), Other),
            (Some(403), Some("SignatureDoesNotMatch"), Other),
            (Some(503), Some("SlowDown"), Unavailable),
            (Some(503), None, Unavailable),
            (Some(500), Some("InternalError"), Unavailable),
            (Some(429), None, Unavailable),
            (Some(400), Some("RequestTimeout"), Unavailable),
            (Some(412), Some("PreconditionFailed"), Replaced),
            (Some(412), None, Replaced),
            (Some(416), Some("InvalidRange"), Other),
            (None, None, Other),
        ];
        for (status, code, want) in cases {
            assert_eq!(classify(status, code), want, "{status:?} {code:?}");
        }
    }
}
