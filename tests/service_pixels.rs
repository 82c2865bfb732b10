//! Pixel tests through the whole service (IIIF parse -> plan -> libvips render -> encode)
//! on a known four-colour pattern: crop, every size form, mirroring, rotations, qualities
//! and formats, for whole-file (PNG, JPEG) and range-read (pyramid TIFF) sources.

mod common;
use common::*;
use image::ImageFormat;

#[tokio::test]
async fn crops_pick_the_right_quadrant_from_every_source() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let ids = [
        "quad.png",
        "quad.jpg",
        "quad.webp",
        "quad.jp2",
        "quad.tif",
        "lossless.tif",
        "lzw.tif",
        "none.tif",
        "strip.tif",
    ];
    for id in ids {
        for (region, colour) in [
            ("0,0,400,300", RED),
            ("600,0,400,300", GREEN),
            ("0,500,400,300", BLUE),
            ("600,500,400,300", YELLOW),
            ("pct:60,62.5,40,37.5", YELLOW),
        ] {
            let resp = get(
                &app,
                &format!("/iiif/3/{id}/{region}/max/0/default.png"),
                &[],
            )
            .await;
            let img = decode(&resp, ImageFormat::Png);
            assert_eq!((img.width(), img.height()), (400, 300), "{id} {region}");
            for (x, y) in [(5, 5), (200, 150), (394, 294)] {
                assert!(
                    near(rgb_at(&img, x, y), colour, 12),
                    "{id} {region} at {x},{y}: {:?}",
                    rgb_at(&img, x, y)
                );
            }
        }
    }
}

#[tokio::test]
async fn every_size_form_gives_the_exact_size() {
    let dir = fixture_dir();
    // Small limits keep `^max` cheap: it grows to the limit, 2000 px wide.
    let app = app_with(dir.path(), |c| {
        c.max_width = 2000;
        c.max_height = 2000;
    });
    let v3 = [
        ("max", (1000, 800)),
        ("^max", (2000, 1600)),
        ("500,", (500, 400)),
        (",400", (500, 400)),
        ("^1500,", (1500, 1200)),
        ("^,1600", (2000, 1600)),
        ("pct:50", (500, 400)),
        ("^pct:150", (1500, 1200)),
        ("300,300", (300, 300)),
        ("^1200,900", (1200, 900)),
        ("!300,300", (300, 240)),
        ("^!2000,2000", (2000, 1600)),
    ];
    let v2 = [
        ("full", (1000, 800)),
        ("max", (1000, 800)),
        ("250,", (250, 200)),
        (",200", (250, 200)),
        ("pct:25", (250, 200)),
        ("100,50", (100, 50)),
        ("!100,100", (100, 80)),
    ];
    for id in ["quad.tif", "quad.jpg"] {
        for (version, cases) in [("3", &v3[..]), ("2", &v2[..])] {
            for (size, (w, h)) in cases {
                let resp = get(
                    &app,
                    &format!("/iiif/{version}/{id}/full/{size}/0/default.jpg"),
                    &[],
                )
                .await;
                let img = decode(&resp, ImageFormat::Jpeg);
                assert_eq!(
                    (img.width(), img.height()),
                    (*w, *h),
                    "v{version} {id} size {size}"
                );
            }
        }
    }
}

#[tokio::test]
async fn downscaled_pyramid_levels_keep_their_colours() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let img = decode(
        &get(&app, "/iiif/3/quad.tif/full/125,100/0/default.png", &[]).await,
        ImageFormat::Png,
    );
    for (x, y, c) in [
        (10, 10, RED),
        (115, 10, GREEN),
        (10, 90, BLUE),
        (115, 90, YELLOW),
    ] {
        assert!(
            near(rgb_at(&img, x, y), c, 16),
            "{x},{y}: {:?}",
            rgb_at(&img, x, y)
        );
    }
}

#[tokio::test]
async fn mirroring_and_right_angle_rotations_move_quadrants() {
    let dir = fixture_dir();
    let app = app(dir.path());
    // (rotation, output size, colour at top-left, colour at top-right)
    let cases = [
        ("0", (1000, 800), RED, GREEN),
        ("!0", (1000, 800), GREEN, RED),
        ("90", (800, 1000), BLUE, RED),
        ("180", (1000, 800), YELLOW, BLUE),
        ("270", (800, 1000), GREEN, YELLOW),
        ("!90", (800, 1000), YELLOW, GREEN),
        ("!180", (1000, 800), BLUE, YELLOW),
    ];
    for id in ["lossless.tif", "quad.png"] {
        for (rotation, (w, h), top_left, top_right) in cases {
            let resp = get(
                &app,
                &format!("/iiif/3/{id}/full/max/{rotation}/default.png"),
                &[],
            )
            .await;
            let img = decode(&resp, ImageFormat::Png);
            assert_eq!((img.width(), img.height()), (w, h), "{id} rot {rotation}");
            assert!(
                near(rgb_at(&img, 5, 5), top_left, 4),
                "{id} rot {rotation} top-left {:?}",
                rgb_at(&img, 5, 5)
            );
            assert!(
                near(rgb_at(&img, w - 6, 5), top_right, 4),
                "{id} rot {rotation} top-right"
            );
        }
    }
}

#[tokio::test]
async fn arbitrary_rotation_grows_the_canvas_with_a_transparent_background() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let resp = get(&app, "/iiif/3/quad.png/full/100,100/45/default.png", &[]).await;
    let img = decode(&resp, ImageFormat::Png);
    // |w cos| + |h sin| = 141.4 for a 100x100 square.
    assert!(
        (141..=142).contains(&img.width()) && img.width() == img.height(),
        "{}x{}",
        img.width(),
        img.height()
    );
    let rgba = img.to_rgba8();
    assert_eq!(rgba.get_pixel(1, 1).0[3], 0, "corner is transparent");
    assert_eq!(
        rgba.get_pixel(img.width() / 2, img.height() / 2).0[3],
        255,
        "centre is opaque"
    );
    // Clockwise: the top-left (red) quadrant turns towards the top.
    assert!(
        near(rgb_at(&img, img.width() / 2, 25), RED, 30),
        "top middle {:?}",
        rgb_at(&img, img.width() / 2, 25)
    );
    // JPEG has no alpha: corners are filled, not black garbage.
    let jpg = decode(
        &get(&app, "/iiif/3/quad.png/full/100,100/45/default.jpg", &[]).await,
        ImageFormat::Jpeg,
    );
    assert!(
        near(rgb_at(&jpg, 1, 1), [255, 255, 255], 10),
        "jpg corner {:?}",
        rgb_at(&jpg, 1, 1)
    );
}

#[tokio::test]
async fn qualities_change_the_pixels_as_named() {
    let dir = fixture_dir();
    let app = app(dir.path());
    let gray = decode(
        &get(&app, "/iiif/3/quad.tif/full/200,/0/gray.png", &[]).await,
        ImageFormat::Png,
    );
    assert!(
        matches!(gray.color(), image::ColorType::L8 | image::ColorType::La8),
        "{:?}",
        gray.color()
    );
    let bitonal = decode(
        &get(&app, "/iiif/3/quad.tif/full/200,/0/bitonal.png", &[]).await,
        ImageFormat::Png,
    );
    assert!(
        bitonal
            .to_luma8()
            .pixels()
            .all(|p| p.0[0] == 0 || p.0[0] == 255),
        "only black and white"
    );
    // Yellow is light and blue is dark: the threshold keeps that.
    assert_eq!(bitonal.to_luma8().get_pixel(190, 150).0[0], 255);
    assert_eq!(bitonal.to_luma8().get_pixel(10, 150).0[0], 0);
    let color = decode(
        &get(&app, "/iiif/3/quad.tif/full/200,/0/color.jpg", &[]).await,
        ImageFormat::Jpeg,
    );
    assert_eq!(color.color(), image::ColorType::Rgb8);
    assert!(near(rgb_at(&color, 10, 10), RED, 16));
}

#[tokio::test]
async fn every_format_decodes_as_asked() {
    let dir = fixture_dir();
    let app = app(dir.path());
    for (ext, format, mime) in [
        ("jpg", ImageFormat::Jpeg, "image/jpeg"),
        ("png", ImageFormat::Png, "image/png"),
        ("webp", ImageFormat::WebP, "image/webp"),
        ("tif", ImageFormat::Tiff, "image/tiff"),
        ("gif", ImageFormat::Gif, "image/gif"),
    ] {
        let resp = get(
            &app,
            &format!("/iiif/3/quad.tif/0,0,200,200/100,/0/default.{ext}"),
            &[],
        )
        .await;
        assert_eq!(header(&resp, "content-type"), mime);
        let img = decode(&resp, format);
        assert_eq!((img.width(), img.height()), (100, 100), "{ext}");
        assert!(
            near(rgb_at(&img, 50, 50), RED, 24),
            "{ext}: {:?}",
            rgb_at(&img, 50, 50)
        );
    }
}

#[tokio::test]
async fn pages_of_a_document_and_subfolders_are_addressable() {
    let dir = fixture_dir();
    let app = app(dir.path());
    for (id, colour) in [
        ("doc.tif", RED),
        ("doc.tif;1", RED),
        ("doc.tif;2", GREEN),
        ("doc.tif;3", BLUE),
    ] {
        let img = decode(
            &get(&app, &format!("/iiif/3/{id}/full/max/0/default.png"), &[]).await,
            ImageFormat::Png,
        );
        assert_eq!((img.width(), img.height()), (300, 400), "{id}");
        assert!(near(rgb_at(&img, 150, 200), colour, 4), "{id}");
    }
    assert_eq!(
        get(&app, "/iiif/3/doc.tif;4/info.json", &[]).await.status(),
        404
    );
    let img = decode(
        &get(&app, "/iiif/3/sub%2Fnested.png/full/max/0/default.png", &[]).await,
        ImageFormat::Png,
    );
    assert_eq!((img.width(), img.height()), (300, 200));
}
