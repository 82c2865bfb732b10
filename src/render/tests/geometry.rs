//! Region, size, mirror and rotation, read back from the quadrant pattern.

use super::*;

#[test]
fn full_region_keeps_every_quadrant() {
    let image = render_quadrants(plan(Rect::new(0, 0, 400, 300), 400, 300));
    assert_eq!((image.width(), image.height()), (400, 300));
    assert_corners(&image, 0, [RED, GREEN, BLUE, WHITE], 0);
}

#[test]
fn crop_inside_one_quadrant() {
    let image = render_quadrants(plan(Rect::new(200, 0, 200, 150), 200, 150));
    assert_eq!((image.width(), image.height()), (200, 150));
    assert_corners(&image, 0, [GREEN; 4], 0);
}

#[test]
fn crop_across_the_centre() {
    let image = render_quadrants(plan(Rect::new(100, 75, 200, 150), 200, 150));
    assert_corners(&image, 0, [RED, GREEN, BLUE, WHITE], 0);
    // The quadrant boundary lands exactly in the middle of the crop.
    assert_colour(&image, 99, 74, RED, 0);
    assert_colour(&image, 100, 75, WHITE, 0);
}

#[test]
fn downscale_keeps_the_layout() {
    let image = render_quadrants(plan(Rect::new(0, 0, 400, 300), 100, 75));
    assert_eq!((image.width(), image.height()), (100, 75));
    assert_corners(&image, 5, [RED, GREEN, BLUE, WHITE], 2);
}

#[test]
fn distortion_scales_each_axis() {
    let image = render_quadrants(plan(Rect::new(0, 0, 400, 300), 300, 50));
    assert_eq!((image.width(), image.height()), (300, 50));
    assert_corners(&image, 4, [RED, GREEN, BLUE, WHITE], 2);
}

#[test]
fn upscale_of_a_small_region() {
    let image = render_quadrants(plan(Rect::new(0, 0, 10, 10), 100, 100));
    assert_eq!((image.width(), image.height()), (100, 100));
    assert_corners(&image, 0, [RED; 4], 0);
}

#[test]
fn every_size_is_exact() {
    let bytes = png_bytes(&DynamicImage::ImageRgb8(quadrants()));
    let renderer = renderer();
    let source = memory(bytes, "mem:sizes.png");
    for width in [1, 2, 7, 99, 133, 257, 399, 401, 801] {
        for height in [1, 3, 77, 151, 299, 450] {
            let job = job(
                source.clone(),
                Loader::Png,
                Dimensions::new(400, 300),
                plan(Rect::new(3, 5, 391, 287), width, height),
            );
            let rendered = renderer.render(&job).expect("renders");
            assert_eq!((rendered.width, rendered.height), (width, height));
            let image = decode(&rendered, Format::Png);
            assert_eq!((image.width(), image.height()), (width, height));
        }
    }
    // One source opened once, then reused for every size.
    assert_eq!(renderer.cache().stats().misses, 1);
}

#[test]
fn mirror_swaps_left_and_right() {
    let image = render_quadrants(Plan {
        mirror: true,
        ..plan(Rect::new(0, 0, 400, 300), 400, 300)
    });
    assert_corners(&image, 0, [GREEN, RED, WHITE, BLUE], 0);
}

fn rotated(degrees: f64, mirror: bool) -> DynamicImage {
    render_quadrants(Plan {
        degrees,
        mirror,
        ..plan(Rect::new(0, 0, 400, 300), 400, 300)
    })
}

#[test]
fn right_angles_turn_clockwise_exactly() {
    let quarter = rotated(90.0, false);
    assert_eq!((quarter.width(), quarter.height()), (300, 400));
    assert_corners(&quarter, 0, [BLUE, RED, WHITE, GREEN], 0);
    let half = rotated(180.0, false);
    assert_eq!((half.width(), half.height()), (400, 300));
    assert_corners(&half, 0, [WHITE, BLUE, GREEN, RED], 0);
    let three = rotated(270.0, false);
    assert_eq!((three.width(), three.height()), (300, 400));
    assert_corners(&three, 0, [GREEN, WHITE, RED, BLUE], 0);
}

#[test]
fn mirror_comes_before_rotation() {
    let image = rotated(90.0, true);
    assert_corners(&image, 0, [WHITE, GREEN, BLUE, RED], 0);
}

/// The bounding box of a 400x300 image turned by 45 degrees: 350 * sqrt(2) = 494.97.
fn assert_bounding_box(image: &DynamicImage) {
    for side in [image.width(), image.height()] {
        assert!(
            (494..=497).contains(&side),
            "45-degree canvas is {}x{}",
            image.width(),
            image.height()
        );
    }
}

#[test]
fn rotation_45_is_clockwise_with_transparent_corners_in_png() {
    let image = rotated(45.0, false);
    assert_bounding_box(&image);
    let rgba = image.to_rgba8();
    let (w, h) = (image.width() - 1, image.height() - 1);
    for (x, y) in [(0, 0), (w, 0), (0, h), (w, h)] {
        assert_eq!(
            rgba.get_pixel(x, y)[3],
            0,
            "corner ({x},{y}) is not transparent"
        );
    }
    // Clockwise, the red quadrant's centre (-100, -75 from the middle) moves to about
    // (-18, -124): top middle. Anticlockwise it would be on the left, where blue is now.
    let (cx, cy) = (image.width() / 2, image.height() / 2);
    assert_colour(&image, cx - 18, cy - 110, RED, 8);
    assert_colour(&image, cx - 110, cy + 18, BLUE, 8);
    assert_eq!(rgba.get_pixel(cx - 18, cy - 110)[3], 255);
}

#[test]
fn rotation_45_has_white_corners_in_jpeg() {
    let image = render_quadrants(Plan {
        degrees: 45.0,
        format: Format::Jpg,
        ..plan(Rect::new(0, 0, 400, 300), 400, 300)
    });
    assert_bounding_box(&image);
    assert_corners(&image, 0, [WHITE; 4], 6);
    let (cx, cy) = (image.width() / 2, image.height() / 2);
    assert_colour(&image, cx - 18, cy - 110, RED, 30);
}
