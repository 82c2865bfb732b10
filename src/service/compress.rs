//! gzip for info.json, done here because CloudFront will not: it compresses only the media
//! types on its list, which has `application/json` but not `application/ld+json` (IIIF
//! 3's default), and only responses with a Content-Length, which a streamed Function URL
//! answer lacks (CloudFront Developer Guide, "Serve compressed files"). Images are JPEG,
//! PNG or WebP already and are never compressed again.

use flate2::write::GzEncoder;
use flate2::Compression;
use http::header::{HeaderMap, ACCEPT_ENCODING};
use std::io::Write;

/// Bodies shorter than this gain nothing from gzip's ~20 bytes of framing.
const MIN_BYTES: usize = 256;

/// True when the request accepts gzip (`gzip` or `*`, with a non-zero q).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            (name == "gzip" || name == "*") && !refused
        })
}

/// The body gzipped, when the request accepts it and the body is worth it.
pub(crate) fn gzip_for(headers: &HeaderMap, body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < MIN_BYTES || !accepts_gzip(headers) {
        return None;
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accept_encoding() {
        for (value, want) in [
            ("gzip", true),
            ("br, gzip", true),
            ("gzip;q=0.5, br", true),
            ("GZIP", true),
            ("*", true),
            ("br", false),
            ("gzip;q=0", false),
            ("gzip; q=0.0", false),
            ("identity", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT_ENCODING, value.parse().unwrap());
            assert_eq!(accepts_gzip(&headers), want, "{value}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn small_bodies_stay_as_they_are() {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, "gzip".parse().unwrap());
        assert_eq!(gzip_for(&headers, b"{}"), None);
        let big = vec![b'a'; 4096];
        let zipped = gzip_for(&headers, &big).unwrap();
        assert!(zipped.len() < 100 && zipped.starts_with(&[0x1f, 0x8b]));
    }
}
