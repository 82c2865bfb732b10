//! From identifier to image facts: open the source, then read its facts once per version
//! of the object (the facts cache is keyed by the source's identity, which changes with
//! the bytes), so a warm request walks no directories.
//!
//! Multi-page documents: `{name};{page}` addresses page `page` (1-based) of a multi-page
//! TIFF, the same syntax Cantaloupe's meta-identifiers use. Pyramid levels are not pages.

use super::error::{source_kind, ErrorKind, ServiceError};
use super::App;
use crate::iiif::ImageFacts;
use crate::source::Source;
use crate::tiff::{read_facts, FactsError, FactsErrorKind, ImageInfo};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// One image, ready to plan and render.
pub(crate) struct Resolved {
    pub source: Arc<dyn Source>,
    pub info: Arc<ImageInfo>,
    /// 0-based page within the object.
    pub page: u32,
    pub facts: ImageFacts,
}

/// Facts per object version, bounded LRU.
pub(crate) struct FactsCache {
    entries: Mutex<LruCache<String, Arc<ImageInfo>>>,
}

impl FactsCache {
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("max(1) is non-zero");
        FactsCache {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    fn get(&self, identity: &str) -> Option<Arc<ImageInfo>> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(identity)
            .cloned()
    }

    fn put(&self, identity: &str, info: Arc<ImageInfo>) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(identity.to_string(), info);
    }
}

/// Opens an identifier's object and returns its facts for the addressed page.
pub(crate) async fn resolve(app: &App, identifier: &str) -> Result<Resolved, ServiceError> {
    let (name, page) = split_page(identifier)?;
    let source = app.store.open(name).await?;
    let info = match app.facts.get(source.identity()) {
        Some(info) => info,
        None => {
            let reader = Arc::clone(&source);
            let info = tokio::task::spawn_blocking(move || read_facts(&*reader))
                .await
                .map_err(|e| ServiceError::new(ErrorKind::Internal, e.to_string()))?
                .map_err(facts_error)?;
            let info = Arc::new(info);
            app.facts.put(source.identity(), Arc::clone(&info));
            info
        }
    };
    let facts = info.facts(page).ok_or_else(|| {
        ServiceError::new(
            ErrorKind::NotFound,
            format!("{identifier}: no page {}", page + 1),
        )
    })?;
    Ok(Resolved {
        source,
        info,
        page,
        facts,
    })
}

/// Splits `name;N` into the name and the 0-based page; a name without a numeric suffix is
/// page 0.
fn split_page(identifier: &str) -> Result<(&str, u32), ServiceError> {
    let Some((name, suffix)) = identifier.rsplit_once(';') else {
        return Ok((identifier, 0));
    };
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return Ok((identifier, 0));
    }
    match suffix.parse::<u32>() {
        Ok(page) if page >= 1 => Ok((name, page - 1)),
        _ => Err(ServiceError::new(
            ErrorKind::BadRequest,
            "page numbers start at 1",
        )),
    }
}

fn facts_error(err: FactsError) -> ServiceError {
    let kind = match err.source_error() {
        Some(source) => source_kind(source.kind()),
        // A file we cannot read as an image is the operator's problem, not the client's.
        None if err.kind() == FactsErrorKind::Unsupported => ErrorKind::NotImplemented,
        None => ErrorKind::Internal,
    };
    ServiceError::new(kind, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_suffixes() {
        for (id, want) in [
            ("a", ("a", 0)),
            ("a;1", ("a", 0)),
            ("a;12", ("a", 11)),
            ("a;b", ("a;b", 0)),
            ("a;", ("a;", 0)),
            ("x;y;3", ("x;y", 2)),
        ] {
            assert_eq!(split_page(id).unwrap(), want, "{id}");
        }
        assert!(split_page("a;0").is_err());
        assert!(split_page("a;99999999999").is_err());
    }
}
