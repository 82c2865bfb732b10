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
//! Image requests use metadata the same way when it also says where each level's directory
//! is (`iiif-directories`): planning needs only the facts, so the walk is put off until a
//! render needs it, and a request that one stored tile answers reads that level's
//! directory alone (see `render.rs`). Without that key the directories are walked here.
//!
//! Multi-page documents: `{name};{page}` addresses page `page` (1-based) of a multi-page
//! TIFF, the same syntax Cantaloupe's meta-identifiers use. Pyramid levels are not pages.

use super::error::{ErrorKind, ImageError};
use super::preflight::Preflight;
use super::Images;
use crate::cache::FlightCache;
use crate::facts::{read_facts, ImageInfo, CHUNK};
use crate::iiif::{Dimensions, ImageFacts};
use crate::metrics::meter::{self, RequestMeter};
use crate::source::{MetaFacts, Opened, Source};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

/// One image, ready to plan and render.
pub(crate) struct Resolved {
    pub opened: Opened,
    /// The walked directories; `None` while the facts are the metadata's, until a render
    /// needs more than a stored tile ([`walk`]).
    pub info: Option<Arc<ImageInfo>>,
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
    let meta = opened.meta().filter(|meta| meta.directories.is_some());
    if let (0, Some(facts)) = (page, meta.as_ref().and_then(facts_from_meta)) {
        meter::credit(|m| m.facts(true));
        return Ok(Resolved {
            opened,
            info: None,
            page,
            facts,
        });
    }
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

/// The directories of `opened`, walked once per object version.
pub(crate) async fn walk(images: &Images, opened: &Opened) -> Result<Arc<ImageInfo>, ImageError> {
    let reader = Arc::clone(&opened.source);
    let walked_now = Arc::new(AtomicBool::new(false));
    let walking = Arc::clone(&walked_now);
    let walked = images
        .facts
        .get_or_fetch(opened.source.identity(), || {
            // Read only when this request walks: a facts-cache hit needs no metadata.
            let recorded = opened.meta().and_then(|meta| meta.directories);
            async move {
                walking.store(true, Relaxed);
                let meter = meter::current();
                let info = tokio::task::spawn_blocking(move || {
                    let _entered = meter::enter(meter.clone());
                    if let Some(recorded) = recorded {
                        prefetch(&*reader, &recorded.offsets, meter);
                    }
                    read_facts(&*reader)
                })
                .await
                .map_err(|e| ImageError::new(ErrorKind::Internal, e.to_string()))??;
                Ok::<_, ImageError>(Arc::new(info))
            }
        })
        .await;
    meter::credit(|m| m.facts(!walked_now.load(Relaxed)));
    walked.inspect_err(|err| images.forget_if_replaced(err, opened))
}

/// Most directory reads sent at once.
const PREFETCH_AT_ONCE: usize = 16;

/// Reads the header and every directory `create-metadata` recorded at once (into the block
/// cache, where the walk and then libtiff, inside libvips, read them again): one round
/// trip, where the chain costs one per directory, each directory's offset being in the one
/// before. Failures are left for the walk to meet and report.
fn prefetch(source: &dyn Source, offsets: &[u64], meter: Option<Arc<RequestMeter>>) {
    let wanted: Vec<u64> = std::iter::once(0).chain(offsets.iter().copied()).collect();
    for batch in wanted.chunks(PREFETCH_AT_ONCE) {
        std::thread::scope(|scope| {
            for &offset in batch.iter().filter(|&&o| o < source.len()) {
                let meter = meter.clone();
                scope.spawn(move || {
                    let _entered = meter::enter(meter);
                    let len = (source.len() - offset).min(CHUNK as u64) as usize;
                    let _ = source.read_at(offset, len);
                });
            }
        });
    }
}

async fn resolve_opened(
    images: &Images,
    identifier: &str,
    opened: Opened,
    page: u32,
) -> Result<Resolved, ImageError> {
    let info = walk(images, &opened).await?;
    let facts = info.facts(page).ok_or_else(|| {
        ImageError::new(
            ErrorKind::NotFound,
            format!("{identifier}: no page {}", page + 1),
        )
    })?;
    Ok(Resolved {
        opened,
        info: Some(info),
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
