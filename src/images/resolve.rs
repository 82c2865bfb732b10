//! From identifier to image facts: open the source, then read its facts once per version
//! of the object (the facts cache is keyed by the source's identity, which changes with
//! the bytes), so a warm request walks no directories.
//!
//! info.json needs only the first image's size, levels and tile size: when an S3 object's
//! user metadata carries all of them (`create-metadata` writes `iiif-levels` beside the
//! size and tile keys), the HEAD that opened it is all we read. Metadata without levels
//! (serverless-iiif's keys, or an older `create-metadata`) cannot say what the walk says,
//! so the directories are walked: info.json is one answer per image, whatever carried its
//! facts, because CloudFront keeps it for a year.
//!
//! Multi-page documents: `{name};{page}` addresses page `page` (1-based) of a multi-page
//! TIFF, the same syntax Cantaloupe's meta-identifiers use. Pyramid levels are not pages.

use super::error::{ErrorKind, ImageError};
use super::preflight::Preflight;
use super::Images;
use crate::cache::FlightCache;
use crate::facts::{read_facts, ImageInfo};
use crate::iiif::{Dimensions, ImageFacts};
use crate::metrics::meter;
use crate::source::{MetaFacts, Opened};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

/// One image, ready to plan and render.
pub(crate) struct Resolved {
    pub opened: Opened,
    pub info: Arc<ImageInfo>,
    /// 0-based page within the object.
    pub page: u32,
    pub facts: ImageFacts,
}

/// Facts per object version (keyed by identity, which changes with the bytes), with
/// concurrent first requests sharing one walk.
pub(crate) type FactsCache = FlightCache<Arc<ImageInfo>, ImageError>;

/// Facts for info.json: from the object's metadata when it has all of them (first page
/// only; other pages may differ in size), else from its bytes.
pub(crate) async fn info_facts(
    images: &Images,
    identifier: &str,
    preflight: Option<&Preflight>,
) -> Result<ImageFacts, ImageError> {
    let (name, page) = split_page(identifier)?;
    if let (0, Some(facts)) = (page, preflight.and_then(Preflight::facts)) {
        return Ok(facts);
    }
    let opened = open(images, name, preflight).await?;
    if let (0, Some(facts)) = (page, opened.meta().as_ref().and_then(facts_from_meta)) {
        return Ok(facts);
    }
    let resolved = resolve_opened(images, identifier, opened, page).await?;
    Ok(resolved.facts)
}

/// Opens an identifier's object and returns its facts for the addressed page.
pub(crate) async fn resolve(
    images: &Images,
    identifier: &str,
    preflight: Option<&Preflight>,
) -> Result<Resolved, ImageError> {
    let (name, page) = split_page(identifier)?;
    let opened = open(images, name, preflight).await?;
    resolve_opened(images, identifier, opened, page).await
}

/// The object a name addresses, or the one a preflight locates instead.
async fn open(
    images: &Images,
    name: &str,
    preflight: Option<&Preflight>,
) -> Result<Opened, ImageError> {
    let located = preflight.and_then(|p| p.location.as_deref());
    Ok(match located {
        Some(location) => images.store.open_at(location).await?,
        None => images.store.open(name).await?,
    })
}

async fn resolve_opened(
    images: &Images,
    identifier: &str,
    opened: Opened,
    page: u32,
) -> Result<Resolved, ImageError> {
    let reader = Arc::clone(&opened.walker);
    let walked_now = Arc::new(AtomicBool::new(false));
    let walking = Arc::clone(&walked_now);
    let walked = images
        .facts
        .get_or_fetch(opened.source.identity(), || async move {
            walking.store(true, Relaxed);
            let meter = meter::current();
            let info = tokio::task::spawn_blocking(move || {
                let _entered = meter::enter(meter);
                read_facts(&*reader)
            })
            .await
            .map_err(|e| ImageError::new(ErrorKind::Internal, e.to_string()))??;
            Ok::<_, ImageError>(Arc::new(info))
        })
        .await;
    meter::credit(|m| m.facts(!walked_now.load(Relaxed)));
    let info = walked.inspect_err(|err| images.forget_if_replaced(err, &opened))?;
    let facts = info.facts(page).ok_or_else(|| {
        ImageError::new(
            ErrorKind::NotFound,
            format!("{identifier}: no page {}", page + 1),
        )
    })?;
    Ok(Resolved {
        opened,
        info,
        page,
        facts,
    })
}

/// Facts from metadata, exactly as the walk would give them (levels as stored, the full
/// resolution's tile size), or `None` when the metadata records no levels.
fn facts_from_meta(meta: &MetaFacts) -> Option<ImageFacts> {
    let levels = meta.levels.as_ref()?;
    Some(ImageFacts {
        width: meta.width,
        height: meta.height,
        levels: levels
            .iter()
            .map(|&(width, height)| Dimensions { width, height })
            .collect(),
        tile: meta.tile_width.map(|width| Dimensions {
            width,
            height: meta.tile_height.unwrap_or(width),
        }),
    })
}

/// Splits `name;N` into the name and the 0-based page; a name without a numeric suffix is
/// page 0.
fn split_page(identifier: &str) -> Result<(&str, u32), ImageError> {
    let Some((name, suffix)) = identifier.rsplit_once(';') else {
        return Ok((identifier, 0));
    };
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return Ok((identifier, 0));
    }
    match suffix.parse::<u32>() {
        Ok(page) if page >= 1 => Ok((name, page - 1)),
        _ => Err(ImageError::new(
            ErrorKind::BadRequest,
            "page numbers start at 1",
        )),
    }
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
