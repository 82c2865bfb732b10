//! Which Image API a request speaks, and the URIs that name it.
//!
//! The service serves both versions under separate prefixes (`/iiif/2`, `/iiif/3`) rather
//! than negotiating on `Accept`, so a URL alone decides the version and caches need no
//! `Vary`. Everything version-dependent in this module keys off [`Version`].

/// The IIIF Image API version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// Image API 2.1 (2.1.1).
    V2,
    /// Image API 3.0.
    V3,
}

impl Version {
    /// The version's path segment: `/iiif/{as_str}/...`, also part of ETags.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V3 => "3",
            Version::V2 => "2",
        }
    }

    /// The version a path segment names (`"3"` or `"2"`), the inverse of [`Version::as_str`].
    pub fn from_segment(segment: &str) -> Option<Version> {
        [Version::V3, Version::V2]
            .into_iter()
            .find(|v| v.as_str() == segment)
    }
}

/// The level-2 profile document URI, for the `Link: <…>;rel="profile"` header.
pub fn profile_uri(version: Version) -> &'static str {
    match version {
        Version::V2 => "http://iiif.io/api/image/2/level2.json",
        Version::V3 => "http://iiif.io/api/image/3/level2.json",
    }
}

/// The JSON-LD context URI: info.json's `@context` and the `profile` parameter of its
/// `application/ld+json` content type.
pub fn context_uri(version: Version) -> &'static str {
    match version {
        Version::V2 => "http://iiif.io/api/image/2/context.json",
        Version::V3 => "http://iiif.io/api/image/3/context.json",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip() {
        for version in [Version::V2, Version::V3] {
            assert_eq!(Version::from_segment(version.as_str()), Some(version));
        }
        assert_eq!(Version::from_segment("1"), None);
        assert_eq!(Version::from_segment(""), None);
    }

    #[test]
    fn uris() {
        let cases = [
            (
                Version::V2,
                "http://iiif.io/api/image/2/level2.json",
                "http://iiif.io/api/image/2/context.json",
            ),
            (
                Version::V3,
                "http://iiif.io/api/image/3/level2.json",
                "http://iiif.io/api/image/3/context.json",
            ),
        ];
        for (version, profile, context) in cases {
            assert_eq!(profile_uri(version), profile);
            assert_eq!(context_uri(version), context);
        }
    }
}
