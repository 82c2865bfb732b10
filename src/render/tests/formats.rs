//! Output formats and qualities.

use super::*;
use image::ColorType;

fn render_as(format: Format, quality: Quality) -> DynamicImage {
    render_quadrants(Plan {
        format,
        quality,
        ..plan(Rect::new(0, 0, 400, 300), 200, 150)
    })
}

#[test]
fn every_format_decodes_as_what_was_asked() {
    for format in decodable_formats() {
        let image = render_as(format, Quality::Default);
        assert_eq!((image.width(), image.height()), (200, 150), "{format:?}");
        let tolerance = if matches!(format, Format::Jpg | Format::Webp) {
            16
        } else {
            0
        };
        assert_corners(&image, 10, [RED, GREEN, BLUE, WHITE], tolerance);
    }
}

#[test]
fn gray_is_one_luminance_band() {
    for format in decodable_formats() {
        let image = render_as(format, Quality::Gray);
        let rgba = image.to_rgba8();
        for (x, y) in [(10, 10), (190, 10), (10, 140), (190, 140)] {
            let p = rgba.get_pixel(x, y);
            assert!(
                p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2,
                "{format:?}: {p:?} is not grey"
            );
        }
        // Luminance: green is brighter than red, red brighter than blue.
        let luma = |x, y| rgba.get_pixel(x, y)[0];
        assert!(
            luma(190, 10) > luma(10, 10) && luma(10, 10) > luma(10, 140),
            "{format:?}"
        );
    }
    assert_eq!(render_as(Format::Png, Quality::Gray).color(), ColorType::L8);
}

#[test]
fn bitonal_has_only_black_and_white() {
    for format in [Format::Png, Format::Gif, Format::Tif, Format::Webp] {
        let image = render_as(format, Quality::Bitonal).to_rgba8();
        assert!(
            image.pixels().all(|p| matches!(p[0], 0 | 255)),
            "{format:?} has grey pixels"
        );
        assert_eq!(
            image.get_pixel(190, 140)[0],
            255,
            "{format:?}: white stays white"
        );
        assert_eq!(image.get_pixel(10, 140)[0], 0, "{format:?}: blue is dark");
    }
}

fn grey_source() -> Arc<dyn Source> {
    let grey =
        image::GrayImage::from_fn(64, 64, |x, _| image::Luma([if x < 32 { 40 } else { 220 }]));
    memory(png_bytes(&DynamicImage::ImageLuma8(grey)), "mem:grey.png")
}

#[test]
fn default_keeps_a_grey_source_grey_and_color_makes_it_rgb() {
    let render = |quality| {
        let job = job(
            grey_source(),
            Loader::Png,
            Dimensions::new(64, 64),
            Plan {
                quality,
                ..plan(Rect::new(0, 0, 64, 64), 64, 64)
            },
        );
        decode(&renderer().render(&job).expect("renders"), Format::Png)
    };
    assert_eq!(render(Quality::Default).color(), ColorType::L8);
    let colour = render(Quality::Color);
    assert_eq!(colour.color(), ColorType::Rgb8);
    assert_colour(&colour, 10, 10, [40, 40, 40], 1);
    assert_colour(&colour, 50, 10, [220, 220, 220], 1);
}

#[test]
fn alpha_is_kept_in_png_and_flattened_onto_white_in_jpeg() {
    let rgba = image::RgbaImage::from_fn(40, 40, |x, _| {
        if x < 20 {
            Rgba([255, 0, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let source = memory(png_bytes(&DynamicImage::ImageRgba8(rgba)), "mem:alpha.png");
    let render = |format| {
        let job = job(
            source.clone(),
            Loader::Png,
            Dimensions::new(40, 40),
            Plan {
                format,
                ..plan(Rect::new(0, 0, 40, 40), 40, 40)
            },
        );
        decode(&renderer().render(&job).expect("renders"), format)
    };
    let png = render(Format::Png).to_rgba8();
    assert_eq!(png.get_pixel(30, 5)[3], 0);
    assert_eq!(png.get_pixel(5, 5).0, [255, 0, 0, 255]);
    let jpg = render(Format::Jpg);
    assert_colour(&jpg, 35, 5, WHITE, 4);
    assert_colour(&jpg, 5, 5, RED, 12);
}

#[test]
fn avif_is_av1_in_heif() {
    let rendered = renderer()
        .render(&job(
            memory(
                png_bytes(&DynamicImage::ImageRgb8(quadrants())),
                "mem:q.png",
            ),
            Loader::Png,
            Dimensions::new(400, 300),
            Plan {
                format: Format::Avif,
                ..plan(Rect::new(0, 0, 400, 300), 200, 150)
            },
        ))
        .expect("renders");
    assert_eq!(rendered.mime, "image/avif");
    // ISO BMFF: the first box is `ftyp` with the AVIF brand.
    assert_eq!(&rendered.bytes[4..12], b"ftypavif");
    assert_eq!((rendered.width, rendered.height), (200, 150));
}
