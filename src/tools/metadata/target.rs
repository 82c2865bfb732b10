//! What a run covers: an `s3://bucket/prefix` URL (or one object's key) and the
//! `--include`/`--exclude` glob patterns that narrow it.
//!
//! Patterns match the whole key (`*.tif` matches `a.tif` but not `dir/a.tif`; use
//! `**/*.tif` for any depth), as globset compiles them with `literal_separator`, so `*`
//! never crosses a `/`, the same as a shell. An object is taken when it matches some
//! include pattern (or none were given) and no exclude pattern.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A bucket and a key prefix (or, for a single-object run, the whole key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket` or `s3://bucket/prefix`; the key is taken as is (S3 keys are
    /// arbitrary bytes, so nothing is decoded).
    pub fn parse(url: &str) -> Result<S3Url, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url}: expected s3://bucket[/prefix]"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url}: no bucket name"));
        }
        Ok(S3Url {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

/// Include and exclude patterns over keys.
#[derive(Clone, Debug)]
pub struct KeyFilter {
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl KeyFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<KeyFilter, String> {
        let include = if include.is_empty() {
            None
        } else {
            Some(glob_set(include)?)
        };
        Ok(KeyFilter {
            include,
            exclude: glob_set(exclude)?,
        })
    }

    /// Everything passes.
    pub fn all() -> KeyFilter {
        KeyFilter {
            include: None,
            exclude: GlobSet::empty(),
        }
    }

    pub fn accepts(&self, key: &str) -> bool {
        let included = self.include.as_ref().is_none_or(|set| set.is_match(key));
        included && !self.exclude.is_match(key)
    }
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("pattern {pattern:?}: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix_and_refuses_other_forms() {
        let ok = |b: &str, k: &str| {
            Ok(S3Url {
                bucket: b.into(),
                key: k.into(),
            })
        };
        assert_eq!(S3Url::parse("s3://images"), ok("images", ""));
        assert_eq!(S3Url::parse("s3://images/"), ok("images", ""));
        assert_eq!(
            S3Url::parse("s3://images/a/b c.tif"),
            ok("images", "a/b c.tif")
        );
        assert!(S3Url::parse("images/a").is_err());
        assert!(S3Url::parse("s3:///a").is_err());
    }

    #[test]
    fn include_and_exclude_match_whole_keys() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let filter =
            KeyFilter::new(&strings(&["**/*.tif", "*.jp2"]), &strings(&["tmp/**"])).unwrap();
        let cases = [
            ("a.tif", true),
            ("dir/deep/a.tif", true),
            ("a.jp2", true),
            ("dir/a.jp2", false),
            ("a.png", false),
            ("tmp/a.tif", false),
        ];
        for (key, want) in cases {
            assert_eq!(filter.accepts(key), want, "{key}");
        }
        assert!(KeyFilter::all().accepts("anything/at/all"));
        assert!(KeyFilter::new(&strings(&["a[b"]), &[]).is_err());
    }
}
