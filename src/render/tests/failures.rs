//! Failures surface as the right kind, never as a panic; the cache is shared safely.

use super::*;
use crate::render::RenderErrorKind;
use crate::source::{SourceError, SourceErrorKind};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A source that refuses every read, as S3 does for a missing key.
struct MissingSource;

impl Source for MissingSource {
    fn len(&self) -> u64 {
        4096
    }
    fn read_at(&self, _offset: u64, _len: usize) -> Result<bytes::Bytes, SourceError> {
        Err(SourceError::new(SourceErrorKind::NotFound, "no such key"))
    }
    fn identity(&self) -> &str {
        "mem:missing"
    }
}

/// Counts reads, to see what the opened-image cache saves.
struct CountingSource {
    inner: MemorySource,
    reads: AtomicUsize,
}

impl Source for CountingSource {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, len: usize) -> Result<bytes::Bytes, SourceError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.read_at(offset, len)
    }
    fn identity(&self) -> &str {
        self.inner.identity()
    }
}

fn quadrant_job(source: Arc<dyn Source>, loader: Loader) -> RenderJob {
    job(
        source,
        loader,
        Dimensions::new(400, 300),
        plan(Rect::new(0, 0, 400, 300), 200, 150),
    )
}

/// A region of the quadrants: a request that decodes the image and keeps it for the next.
fn quadrant_region_job(source: Arc<dyn Source>, loader: Loader) -> RenderJob {
    job(
        source,
        loader,
        Dimensions::new(400, 300),
        plan(Rect::new(0, 0, 200, 150), 100, 75),
    )
}

#[test]
fn a_source_error_keeps_its_kind() {
    let err = renderer()
        .render(&quadrant_job(Arc::new(MissingSource), Loader::Png))
        .unwrap_err();
    assert_eq!(
        err.kind(),
        RenderErrorKind::Source(SourceErrorKind::NotFound),
        "{err}"
    );
}

#[test]
fn truncated_and_garbage_files_are_decode_errors() {
    let png = png_bytes(&DynamicImage::ImageRgb8(quadrants()));
    let jpeg = jpeg_bytes(&quadrants());
    let tiff = tiff_pyramid(&quadrants(), &[]);
    let cases = [
        (png[..png.len() / 2].to_vec(), Loader::Png),
        (jpeg[..jpeg.len() / 2].to_vec(), Loader::Jpeg),
        (
            tiff[..tiff.len() / 2].to_vec(),
            Loader::Tiff(LevelLoad::Page(0)),
        ),
        (b"not an image at all".to_vec(), Loader::Png),
        (png.clone(), Loader::Tiff(LevelLoad::Page(7))),
    ];
    for (bytes, loader) in cases {
        let err = renderer()
            .render(&quadrant_job(memory(bytes, "mem:broken"), loader))
            .unwrap_err();
        assert_eq!(err.kind(), RenderErrorKind::Decode, "{loader:?}: {err}");
    }
}

#[test]
fn a_warm_tile_costs_far_fewer_reads() {
    let bytes = tiff_pyramid(&grid(), &[]);
    let counting = Arc::new(CountingSource {
        inner: MemorySource::new(bytes, "mem:count.tif"),
        reads: AtomicUsize::new(0),
    });
    let renderer = renderer();
    let tile = |x| {
        job(
            counting.clone(),
            Loader::Tiff(LevelLoad::Page(0)),
            Dimensions::new(1000, 1000),
            plan(Rect::new(x, 0, 256, 256), 256, 256),
        )
    };
    renderer.render(&tile(0)).expect("cold tile");
    let cold = counting.reads.swap(0, Ordering::Relaxed);
    renderer.render(&tile(256)).expect("warm tile");
    let warm = counting.reads.load(Ordering::Relaxed);
    assert!(warm * 4 < cold, "cold {cold} reads, warm {warm}");
    assert_eq!(renderer.cache().stats().hits, 1);
}

#[test]
fn the_cache_is_bounded() {
    let renderer = Renderer::new(OpenedImageCache::new(2)).expect("libvips starts");
    let png = png_bytes(&DynamicImage::ImageRgb8(quadrants()));
    // Each twice: an image is kept from the second region asked of it.
    for name in ["mem:a", "mem:b", "mem:c", "mem:a"] {
        for _ in 0..2 {
            renderer
                .render(&quadrant_region_job(memory(png.clone(), name), Loader::Png))
                .expect("renders");
        }
    }
    let stats = renderer.cache().stats();
    // a, b, c each kept by their second render (c's evicts a); a's third asks again and
    // its fourth finds it.
    assert_eq!((stats.entries, stats.hits, stats.misses), (2, 1, 4));
}

#[test]
fn eight_threads_share_one_opened_image() {
    let bytes = tiff_pyramid(&grid(), &[]);
    let renderer = Arc::new(renderer());
    let source = memory(bytes, "mem:shared.tif");
    let tile = |column: u32, row: u32| {
        let region = Rect::new(column * 100, row * 100, 100, 100);
        job(
            source.clone(),
            Loader::Tiff(LevelLoad::Page(0)),
            Dimensions::new(1000, 1000),
            plan(region, 50, 50),
        )
    };
    renderer.render(&tile(0, 0)).expect("warm-up");
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let (renderer, jobs) = (
                renderer.clone(),
                (0..10).map(|c| (c, tile(c, t))).collect::<Vec<_>>(),
            );
            std::thread::spawn(move || {
                for (column, job) in jobs {
                    let image = decode(&renderer.render(&job).expect("renders"), Format::Png);
                    assert_colour(&image, 25, 25, grid_colour(column, t), 12);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
    let stats = renderer.cache().stats();
    assert_eq!((stats.misses, stats.hits), (1, 80));
}

/// A source that panics on read: a bug in a source must not unwind into C.
struct PanickingSource;

impl Source for PanickingSource {
    fn len(&self) -> u64 {
        4096
    }
    fn read_at(&self, _offset: u64, _len: usize) -> Result<bytes::Bytes, SourceError> {
        panic!("source bug")
    }
    fn identity(&self) -> &str {
        "mem:panics"
    }
}

#[test]
fn a_panicking_source_is_an_error_not_an_abort() {
    let err = renderer()
        .render(&quadrant_job(Arc::new(PanickingSource), Loader::Png))
        .unwrap_err();
    assert_eq!(
        err.kind(),
        RenderErrorKind::Source(SourceErrorKind::Other),
        "{err}"
    );
}

#[test]
fn libvips_releases_the_source_when_the_cache_lets_go() {
    let png = png_bytes(&DynamicImage::ImageRgb8(quadrants()));
    let source = memory(png, "mem:released");
    let renderer = renderer();
    for _ in 0..2 {
        renderer
            .render(&quadrant_region_job(source.clone(), Loader::Png))
            .expect("renders");
    }
    assert!(
        Arc::strong_count(&source) > 1,
        "the cached image holds the source"
    );
    drop(renderer);
    // Only the destroy notifies of the "read" and "seek" handlers can drop those clones.
    assert_eq!(Arc::strong_count(&source), 1);
}
