//! Answering from a stored tile, on the blocking pool (S3 reads block), with no render
//! slot: it costs reads, not CPU. Two ways in: with the walked directories (the level is
//! known), or with facts from metadata and nothing walked yet, reading the chosen level's
//! directory alone at the offset the metadata records (`iiif-directories`), so a cold tile
//! costs the HEAD, that directory and the tile instead of a walk of the whole chain first.
//!
//! Bytes that turn out not to be what TIFF stores there (a damaged tile, a directory that
//! is not the level the metadata says) are logged and the request is rendered instead.

use super::{address_in, may_pass_through, read, tile_index, TileAddress};
use crate::facts::read_lone_level;
use crate::iiif::{Dimensions, Format, Plan};
use crate::images::error::{ErrorKind, ImageError};
use crate::images::resolve::Resolved;
use crate::images::Images;
use crate::metrics::meter;
use crate::render::Rendered;
use crate::source::{Source, SourceError, SourceErrorKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stored tile's complete JPEG and its size, or `None` when the request is to be rendered.
type Found = Result<Option<(Vec<u8>, Dimensions)>, SourceError>;

impl Images {
    /// The stored tile at `address` as a complete JPEG.
    pub(crate) async fn stored_tile(
        &self,
        image: &Resolved,
        address: TileAddress,
    ) -> Result<Option<(Rendered, Duration)>, ImageError> {
        self.pass_through(image, move |source| {
            read(source, &address).map(|bytes| Some((bytes, address.size)))
        })
        .await
    }

    /// With facts from metadata and no walk yet: the stored tile `plan` asks for exactly,
    /// found through its level's directory read alone; `None` when there is none (the
    /// caller walks and renders).
    pub(crate) async fn stored_tile_by_directory(
        &self,
        image: &Resolved,
        plan: &Plan,
    ) -> Result<Option<(Rendered, Duration)>, ImageError> {
        let Some(directories) = image.opened.meta().and_then(|meta| meta.directories) else {
            return Ok(None);
        };
        let offset = directories.offsets.get(plan.level).copied();
        let expected = image.facts.levels.get(plan.level).copied();
        let (Some(offset), Some(expected)) = (offset, expected) else {
            return Ok(None);
        };
        // Not worth a directory read when the request is no whole tile of the grid the
        // metadata's tile size draws (writers use one tile size for every level).
        let on_grid = image
            .facts
            .tile
            .and_then(|tile| tile_index(expected, tile, &image.facts, plan));
        if image.page != 0 || !may_pass_through(plan) || on_grid.is_none() {
            return Ok(None);
        }
        let (facts, plan) = (image.facts.clone(), plan.clone());
        self.pass_through(image, move |source| {
            let (little, big) = (directories.little_endian, directories.big_tiff);
            let lone = read_lone_level(source, little, big, offset).map_err(|err| {
                err.source_error().cloned().unwrap_or_else(|| {
                    SourceError::new(
                        SourceErrorKind::Other,
                        format!("iiif-directories: at offset {offset}: {err}"),
                    )
                })
            })?;
            if Dimensions::new(lone.width, lone.height) != expected {
                return Err(SourceError::new(
                    SourceErrorKind::Other,
                    format!(
                        "iiif-directories: the directory at offset {offset} is {}x{}, not \
                         level {} ({}x{})",
                        lone.width, lone.height, plan.level, expected.width, expected.height
                    ),
                ));
            }
            // A turned level's tiles are stored turned: rendered upright instead.
            let grid = lone.grid.filter(|_| lone.orientation.is_upright());
            let Some(address) = grid.and_then(|grid| address_in(&grid, &facts, &plan)) else {
                return Ok(None);
            };
            read(source, &address).map(|bytes| Some((bytes, address.size)))
        })
        .await
    }

    /// Runs `find` on the blocking pool over the image's source and makes its tile the
    /// answer; bytes that are not what they should be mean "render instead".
    async fn pass_through(
        &self,
        image: &Resolved,
        find: impl FnOnce(&dyn Source) -> Found + Send + 'static,
    ) -> Result<Option<(Rendered, Duration)>, ImageError> {
        let started = Instant::now();
        let source = Arc::clone(&image.opened.source);
        let meter = meter::current();
        let found = tokio::task::spawn_blocking(move || {
            let _entered = meter::enter(meter);
            find(&*source)
        })
        .await
        .map_err(|e| ImageError::new(ErrorKind::Internal, format!("stored tile task: {e}")))?;
        match found {
            Ok(Some((bytes, size))) => Ok(Some((
                Rendered {
                    bytes,
                    mime: Format::Jpg.mime(),
                    width: size.width,
                    height: size.height,
                    stored_tile: true,
                    encode: Duration::ZERO,
                },
                started.elapsed(),
            ))),
            Ok(None) => Ok(None),
            Err(err) if err.kind() == SourceErrorKind::Other => {
                let identity = image.opened.source.identity();
                tracing::warn!(identity, error = %err, "stored tile unusable; rendering");
                Ok(None)
            }
            Err(err) => Err(ImageError::from(err)),
        }
    }
}
