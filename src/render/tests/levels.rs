//! Opening the right stored image: pyramid levels (pages and SubIFDs), JPEG shrink-on-load,
//! WebP scale-on-load, JPEG 2000 resolution levels. The grid pattern makes a wrong scale or
//! offset land on a wrong square.

use super::super::steps::load;
use super::*;

/// Renders `region` of the 1000x1000 grid to `out` from `bytes` and checks the colour at
/// the centre of every grid square the output shows whole.
fn check_grid(
    bytes: Vec<u8>,
    loader: Loader,
    level: Dimensions,
    region: Rect,
    out: Dimensions,
    tolerance: u8,
) {
    let source = memory(bytes, "mem:grid");
    let job = RenderJob {
        level,
        ..job(
            source,
            loader,
            Dimensions::new(1000, 1000),
            plan(region, out.width, out.height),
        )
    };
    let image = decode(&renderer().render(&job).expect("renders"), Format::Png);
    assert_eq!((image.width(), image.height()), (out.width, out.height));
    let scale = f64::from(out.width) / f64::from(region.width);
    for column in (region.x / 100)..((region.x + region.width) / 100) {
        for row in (region.y / 100)..((region.y + region.height) / 100) {
            let x = (f64::from(column * 100 + 50 - region.x) * scale) as u32;
            let y = (f64::from(row * 100 + 50 - region.y) * scale) as u32;
            assert_colour(&image, x, y, grid_colour(column, row), tolerance);
        }
    }
}

/// The size libvips opens for `job`.
fn opened_size(job: &RenderJob) -> Dimensions {
    let access = load::choose_access(job, u64::MAX);
    let opened = load::open(job, access).expect("opens");
    Dimensions::new(opened.image.width(), opened.image.height())
}

#[test]
fn pyramid_pages_open_at_their_resolution() {
    let bytes = tiff_pyramid(&grid(), &[]);
    let source = memory(bytes.clone(), "mem:pyramid.tif");
    // libvips stops the pyramid once a level fits in one 256 px tile.
    for (page, side) in [(0, 1000), (1, 500), (2, 250)] {
        let loader = Loader::Tiff(LevelLoad::Page(page));
        let job = RenderJob {
            level: Dimensions::new(side, side),
            ..job(
                source.clone(),
                loader,
                Dimensions::new(1000, 1000),
                plan(Rect::new(0, 0, 1000, 1000), side, side),
            )
        };
        assert_eq!(
            opened_size(&job),
            Dimensions::new(side, side),
            "page {page}"
        );
    }
    // A whole level and a tile from inside one, each read from the half-size page.
    let half = Loader::Tiff(LevelLoad::Page(1));
    check_grid(
        bytes.clone(),
        half,
        Dimensions::new(500, 500),
        Rect::new(0, 0, 1000, 1000),
        Dimensions::new(500, 500),
        12,
    );
    check_grid(
        bytes,
        half,
        Dimensions::new(500, 500),
        Rect::new(300, 200, 400, 400),
        Dimensions::new(200, 200),
        12,
    );
}

#[test]
fn pyramid_subifds_open_at_their_resolution() {
    let bytes = tiff_pyramid(&grid(), &["--subifd"]);
    let source = memory(bytes.clone(), "mem:subifd.tif");
    let loader = Loader::Tiff(LevelLoad::SubIfd { page: 0, index: 1 });
    let job = RenderJob {
        level: Dimensions::new(250, 250),
        ..job(
            source,
            loader,
            Dimensions::new(1000, 1000),
            plan(Rect::new(0, 0, 1000, 1000), 250, 250),
        )
    };
    assert_eq!(opened_size(&job), Dimensions::new(250, 250));
    check_grid(
        bytes,
        loader,
        Dimensions::new(250, 250),
        Rect::new(0, 0, 1000, 1000),
        Dimensions::new(250, 250),
        12,
    );
}

#[test]
fn jpeg_shrinks_on_load() {
    let bytes = jpeg_bytes(&grid());
    let full = Dimensions::new(1000, 1000);
    let whole = job(
        memory(bytes.clone(), "mem:grid.jpg"),
        Loader::Jpeg,
        full,
        plan(Rect::new(0, 0, 1000, 1000), 125, 125),
    );
    assert!(load::load_attempts(&whole, load::Access::Streamed)[0]
        .0
        .starts_with("shrink=8"));
    assert_eq!(opened_size(&whole), Dimensions::new(125, 125));
    check_grid(
        bytes.clone(),
        Loader::Jpeg,
        full,
        Rect::new(0, 0, 1000, 1000),
        Dimensions::new(125, 125),
        12,
    );
    // A region at a quarter: shrink 4, then crop 100 px out of the 250 px image.
    let part = job(
        memory(bytes.clone(), "mem:grid.jpg"),
        Loader::Jpeg,
        full,
        plan(Rect::new(200, 300, 400, 400), 100, 100),
    );
    assert!(load::load_attempts(&part, load::Access::Streamed)[0]
        .0
        .starts_with("shrink=4"));
    check_grid(
        bytes.clone(),
        Loader::Jpeg,
        full,
        Rect::new(200, 300, 400, 400),
        Dimensions::new(100, 100),
        12,
    );
    // Between factors: 1000 -> 300 keeps shrink 2 and resizes 500 -> 300.
    check_grid(
        bytes,
        Loader::Jpeg,
        full,
        Rect::new(0, 0, 1000, 1000),
        Dimensions::new(300, 300),
        12,
    );
}

#[test]
fn webp_scales_on_load() {
    let mut bytes = Vec::new();
    let encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut bytes);
    encoder
        .encode(grid().as_raw(), 1000, 1000, image::ExtendedColorType::Rgb8)
        .expect("encode webp");
    let job = job(
        memory(bytes.clone(), "mem:grid.webp"),
        Loader::Webp,
        Dimensions::new(1000, 1000),
        plan(Rect::new(0, 0, 1000, 1000), 250, 250),
    );
    assert!(load::load_attempts(&job, load::Access::Streamed)[0]
        .0
        .starts_with("scale=0.25"));
    assert_eq!(opened_size(&job), Dimensions::new(250, 250));
    check_grid(
        bytes,
        Loader::Webp,
        Dimensions::new(1000, 1000),
        Rect::new(0, 0, 1000, 1000),
        Dimensions::new(250, 250),
        6,
    );
}

#[test]
fn jp2_opens_the_smallest_covering_resolution_it_has() {
    let png = png_bytes(&DynamicImage::ImageRgb8(grid()));
    // libvips stores 1000 / 500 / 250 / 125 px resolutions for this size.
    let bytes = vips_convert(&png, "jp2ksave", "jp2", &["--lossless"]);
    let source = memory(bytes.clone(), "mem:grid.jp2");
    let whole = plan(Rect::new(0, 0, 1000, 1000), 125, 125);
    assert_eq!(
        opened_size(&job(
            source.clone(),
            Loader::Jp2 { tiled: true },
            Dimensions::new(1000, 1000),
            whole
        )),
        Dimensions::new(125, 125)
    );
    // 30 px would allow reduction 5, which the file does not have: the open steps down to
    // the deepest one it does have instead of failing.
    let tiny = plan(Rect::new(0, 0, 1000, 1000), 30, 30);
    assert_eq!(
        opened_size(&job(
            source,
            Loader::Jp2 { tiled: true },
            Dimensions::new(1000, 1000),
            tiny
        )),
        Dimensions::new(125, 125)
    );
    check_grid(
        bytes,
        Loader::Jp2 { tiled: true },
        Dimensions::new(1000, 1000),
        Rect::new(0, 0, 1000, 1000),
        Dimensions::new(125, 125),
        8,
    );
}

/// A whole tiled level shrunk to a smaller answer is read in order (each tile decoded
/// once); a region, or the level at its own size, lazily; and streaming gives the same
/// pixels.
#[test]
fn whole_tiled_levels_shrunk_are_streamed() {
    let bytes = tiff_pyramid(&grid(), &[]);
    let source = memory(bytes.clone(), "mem:pyramid.tif");
    let full = Dimensions::new(1000, 1000);
    let level0 = Loader::Tiff(LevelLoad::Page(0));
    let access = |region: Rect, out: u32| {
        load::choose_access(
            &job(source.clone(), level0, full, plan(region, out, out)),
            u64::MAX,
        )
    };
    let whole = Rect::new(0, 0, 1000, 1000);
    assert_eq!(access(whole, 250), load::Access::Streamed);
    assert_eq!(access(whole, 1000), load::Access::Lazy);
    assert_eq!(access(whole, 600), load::Access::Lazy);
    assert_eq!(access(Rect::new(0, 0, 500, 500), 100), load::Access::Lazy);
    check_grid(bytes, level0, full, whole, Dimensions::new(250, 250), 12);
}

/// A region of a tiled JPEG 2000 opens lazily (OpenJPEG decodes the region, not the
/// image) and shows the right pixels, reduced or not; see `jpeg2000.rs` for the rest.
#[test]
fn tiled_jpeg_2000_regions_decode_only_their_tiles() {
    let png = png_bytes(&DynamicImage::ImageRgb8(grid()));
    let tiles = ["--lossless", "--tile-width", "256", "--tile-height", "256"];
    let tiled = vips_convert(&png, "jp2ksave", "jp2", &tiles);
    let source = memory(tiled.clone(), "mem:tiled.jp2");
    let full = Dimensions::new(1000, 1000);
    let lazy = Rect::new(300, 200, 400, 400);
    let jp2 = Loader::Jp2 { tiled: true };
    let region = job(source, jp2, full, plan(lazy, 400, 400));
    assert_eq!(load::choose_access(&region, u64::MAX), load::Access::Lazy);
    check_grid(tiled.clone(), jp2, full, lazy, Dimensions::new(400, 400), 8);
    check_grid(
        tiled,
        jp2,
        full,
        Rect::new(100, 500, 600, 400),
        Dimensions::new(150, 100),
        8,
    );
}

/// A lazily read tiled JPEG 2000 is counted in the opened-image cache with the rows of
/// tiles libvips' loader keeps decoded, not as cheaply as a lazily read TIFF level.
#[test]
fn a_lazy_jpeg_2000_is_counted_with_its_cached_tile_rows() {
    let png = png_bytes(&DynamicImage::ImageRgb8(grid()));
    let tiles = ["--lossless", "--tile-width", "256", "--tile-height", "256"];
    let source = memory(
        vips_convert(&png, "jp2ksave", "jp2", &tiles),
        "mem:kept.jp2",
    );
    let full = Dimensions::new(1000, 1000);
    let jp2 = Loader::Jp2 { tiled: true };
    let region = job(
        source,
        jp2,
        full,
        plan(Rect::new(300, 200, 400, 400), 400, 400),
    );
    let opened = load::open(&region, load::Access::Lazy).expect("opens");
    let jp2_kept = crate::render::cost::kept_bytes(jp2, &opened, load::Access::Lazy);
    let tiff = Loader::Tiff(LevelLoad::Page(0));
    let tiff_kept = crate::render::cost::kept_bytes(tiff, &opened, load::Access::Lazy);
    // 1000 rows of 1000 RGB pixels: the whole image is within three rows of tiles.
    assert_eq!(jp2_kept, tiff_kept + 1000 * 1000 * 3);
}
