//! Building responses: the caching headers of a success (Cache-Control, ETag, 304), the
//! preflight answer, and the shape of every error (short plain body, `no-store`,
//! Retry-After on 503). CORS headers are added to every answer by [`super::handle`].

use super::cors::Cors;
use super::error::{ErrorKind, ServiceError};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Response, StatusCode};

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: &str = "2";

/// Header policy shared by all responses of one app.
pub struct Policy {
    pub(crate) cors: Cors,
    pub cache_control: HeaderValue,
}

impl Policy {
    /// A response with its status and body; the caller adds the rest.
    pub fn response(&self, status: StatusCode, body: Bytes) -> Response<Bytes> {
        let mut resp = Response::new(body);
        *resp.status_mut() = status;
        resp
    }

    /// A cacheable success with its validator.
    pub fn success(&self, body: Bytes, content_type: &str, etag: &str) -> Response<Bytes> {
        let mut resp = self.response(StatusCode::OK, body);
        let headers = resp.headers_mut();
        set(headers, header::CONTENT_TYPE, content_type);
        set(headers, header::ETAG, etag);
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        resp
    }

    /// 304 for a conditional request whose validator still matches.
    pub fn not_modified(&self, etag: &str) -> Response<Bytes> {
        let mut resp = self.response(StatusCode::NOT_MODIFIED, Bytes::new());
        set(resp.headers_mut(), header::ETAG, etag);
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, self.cache_control.clone());
        resp
    }

    /// A redirect; the body is empty as the spec recommends.
    pub fn redirect(&self, status: StatusCode, location: &str) -> Response<Bytes> {
        let mut resp = self.response(status, Bytes::new());
        set(resp.headers_mut(), header::LOCATION, location);
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, self.cache_control.clone());
        resp
    }

    /// The only way an error leaves the service.
    pub fn error(&self, err: &ServiceError) -> Response<Bytes> {
        let body = format!("{}\n", err.public_message());
        let mut resp = self.response(err.status(), Bytes::from(body));
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if err.kind() == Some(ErrorKind::Unavailable) {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        if matches!(err, ServiceError::MethodNotAllowed(_)) {
            headers.insert(
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
        }
        resp
    }

    /// The CORS preflight answer.
    pub fn preflight(&self, request_headers: &HeaderMap) -> Response<Bytes> {
        let mut resp = self.response(StatusCode::NO_CONTENT, Bytes::new());
        let headers = resp.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        let allow_headers = request_headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("*"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, self.cors.max_age.clone());
        headers.insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        resp
    }
}

/// Sets a header from a string we built; a value that is not a valid header (it cannot
/// happen with our own strings) is dropped rather than panicking a request.
pub fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// A strong ETag from the parts that decide a response's bytes.
pub fn etag(parts: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\0");
    }
    let hex = hasher.finalize().to_hex();
    format!("\"{}\"", &hex[..32])
}

/// True when `If-None-Match` names this ETag (or `*`).
pub fn matches_if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_quoted_stable_and_distinct() {
        let a = etag(&["file:x#1", "full/max/0/default.jpg"]);
        assert_eq!(a, etag(&["file:x#1", "full/max/0/default.jpg"]));
        assert_ne!(a, etag(&["file:x#2", "full/max/0/default.jpg"]));
        assert_ne!(etag(&["ab", "c"]), etag(&["a", "bc"]));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
    }

    #[test]
    fn if_none_match_forms() {
        let tag = "\"abc\"";
        for (value, want) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("*", true),
            ("\"x\"", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, value.parse().unwrap());
            assert_eq!(matches_if_none_match(&headers, tag), want, "{value}");
        }
        assert!(!matches_if_none_match(&HeaderMap::new(), tag));
    }

    #[test]
    fn errors_are_never_cacheable() {
        let config = crate::config::Config::from_env().unwrap();
        let policy = Policy {
            cors: Cors::from_config(&config).unwrap(),
            cache_control: HeaderValue::from_static("public, max-age=31536000, immutable"),
        };
        for kind in [
            ErrorKind::BadRequest,
            ErrorKind::Forbidden,
            ErrorKind::NotFound,
            ErrorKind::NotImplemented,
            ErrorKind::Unavailable,
            ErrorKind::Internal,
        ] {
            let detail = "s3://secret-bucket/key: unknown file signature [5b 63 6f 72]";
            let resp = policy.error(&ServiceError::new(kind, detail));
            assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
            let body = String::from_utf8(resp.body().to_vec()).unwrap();
            for secret in ["secret", "key", "5b 63"] {
                assert!(!body.contains(secret), "{kind:?}: {body}");
            }
        }
        let busy = policy.error(&ServiceError::new(ErrorKind::Unavailable, ""));
        assert!(busy.headers().contains_key(header::RETRY_AFTER));
    }
}
