//! What to open for a planned level: which bytes (by ranges, or a whole local copy) and
//! how libvips reads them.

use super::error::{ErrorKind, ImageError};
use super::resolve::Resolved;
use crate::render::Loader;
use crate::source::{Source, Store};
use crate::tiff::{ContainerFormat, ImageInfo, LevelLoad};
use std::sync::Arc;

/// Tiled TIFF levels are read by ranges; everything else is read from a whole local copy
/// (for files that is the file itself; for S3 the disk cache, downloaded once).
pub(super) async fn render_source(
    store: &dyn Store,
    image: &Resolved,
    level: usize,
) -> Result<Arc<dyn Source>, ImageError> {
    let tiled = image
        .info
        .tiff()
        .and_then(|t| t.is_tiled(image.page, level))
        .unwrap_or(false);
    if tiled {
        return Ok(Arc::clone(&image.opened.source));
    }
    Ok(store.whole(&image.opened).await?)
}

/// How libvips should open the chosen level of the chosen page.
pub(super) fn loader_for(info: &ImageInfo, page: u32, level: usize) -> Result<Loader, ImageError> {
    Ok(match info.format() {
        ContainerFormat::Tiff => {
            let load = info
                .tiff()
                .and_then(|t| t.level_load(page, level))
                .ok_or_else(|| {
                    ImageError::new(
                        ErrorKind::Internal,
                        format!("no level {level} on page {page}"),
                    )
                })?;
            match load {
                LevelLoad::Page(index) => Loader::Tiff {
                    page: index,
                    subifd: None,
                },
                LevelLoad::SubIfd { page, index } => Loader::Tiff {
                    page,
                    subifd: Some(index),
                },
            }
        }
        ContainerFormat::Jpeg => Loader::Jpeg,
        ContainerFormat::Png => Loader::Png,
        ContainerFormat::Webp => Loader::Webp,
        ContainerFormat::Jp2 => Loader::Jp2,
        ContainerFormat::Gif => Loader::Gif,
    })
}
