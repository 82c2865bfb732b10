//! The viewer-facing base URL, which info.json `id` and redirects must use byte for byte.
//!
//! Behind CloudFront or a reverse proxy the Host header names the origin, not what the
//! viewer typed, so a configured public base URL wins; else the de-facto proxy headers
//! (X-Forwarded-Proto/Host/Port/Prefix); else the Host header over plain HTTP.

use http::HeaderMap;

/// Returns `scheme://host[:port][/prefix]` with no trailing slash.
pub fn base_url(configured: &str, headers: &HeaderMap) -> String {
    if !configured.is_empty() {
        return configured.trim_end_matches('/').to_string();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            // Proxies may append: "a, b" -> the first is the client-facing one.
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.chars().all(is_url_safe))
    };
    let scheme = header("x-forwarded-proto").filter(|s| s == "http" || s == "https");
    let scheme = scheme.unwrap_or_else(|| "http".into());
    let mut host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .unwrap_or_else(|| "localhost".into());
    if let Some(port) = header("x-forwarded-port").filter(|p| p.parse::<u16>().is_ok()) {
        let default = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
        if !default && !host_has_port(&host) {
            host = format!("{host}:{port}");
        }
    }
    let prefix = header("x-forwarded-prefix").unwrap_or_default();
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{prefix}")
    }
}

fn host_has_port(host: &str) -> bool {
    // An IPv6 literal has colons inside brackets; a port follows the closing bracket.
    match host.rfind(']') {
        Some(end) => host[end..].contains(':'),
        None => host.contains(':'),
    }
}

/// Characters we accept in forwarded values; anything else (quotes, spaces, angle
/// brackets) could break the JSON or a Link header, so such a header is ignored.
fn is_url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/[]@!$&'()*+;=%".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    /// (configured base URL, request headers, expected base).
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn precedence_and_forms() {
        let cases: &[Case] = &[
            (
                "https://img.example.org/",
                &[("host", "origin")],
                "https://img.example.org",
            ),
            ("", &[("host", "localhost:8080")], "http://localhost:8080"),
            ("", &[], "http://localhost"),
            (
                "",
                &[
                    ("host", "abc.lambda-url"),
                    ("x-forwarded-proto", "https"),
                    ("x-forwarded-host", "img.org"),
                ],
                "https://img.org",
            ),
            (
                "",
                &[
                    ("host", "h"),
                    ("x-forwarded-port", "8443"),
                    ("x-forwarded-proto", "https"),
                ],
                "https://h:8443",
            ),
            (
                "",
                &[
                    ("host", "h"),
                    ("x-forwarded-port", "443"),
                    ("x-forwarded-proto", "https"),
                ],
                "https://h",
            ),
            (
                "",
                &[("host", "h:9"), ("x-forwarded-port", "8443")],
                "http://h:9",
            ),
            (
                "",
                &[("host", "h"), ("x-forwarded-prefix", "/images/")],
                "http://h/images",
            ),
            (
                "",
                &[("host", "h"), ("x-forwarded-proto", "gopher")],
                "http://h",
            ),
            (
                "",
                &[("host", "h"), ("x-forwarded-host", "a, b")],
                "http://a",
            ),
            (
                "",
                &[("host", "h"), ("x-forwarded-host", "ev\"il")],
                "http://h",
            ),
            ("", &[("host", "[::1]:8080")], "http://[::1]:8080"),
        ];
        for (configured, pairs, want) in cases {
            assert_eq!(base_url(configured, &headers(pairs)), *want, "{pairs:?}");
        }
    }
}
