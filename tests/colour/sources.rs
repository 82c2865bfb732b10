//! The source files, one per kind an archive holds, each a 64x64 image of four flat
//! quadrants whose displayed sRGB colours are known from the colour spaces' definitions:
//! Adobe RGB with its profile embedded (JPEG, tiled pyramid TIFF, PNG, WebP), CMYK with no
//! profile (TIFF, JPEG, and TIFF with alpha), 16-bit RGB and grey, float (linear scRGB),
//! palette PNG, grey with alpha, RGBA, and 1-bit.

use super::colour_math::{adobe_to_srgb, linear_to_srgb8};
use super::icc;
use crate::common::vips;
use std::path::Path;

pub const SIZE: u32 = 64;

/// What one quadrant must look like.
#[derive(Clone, Copy, Debug)]
pub enum Want {
    /// This sRGB colour, within the test's delta E.
    Colour([u8; 3]),
    /// This grey level (the output may be one band or three equal ones).
    Grey(u8),
    /// A CMYK ink through a press profile: described by lightness and hue, since the
    /// exact value belongs to the profile.
    PaperWhite,
    Cyan,
    Magenta,
    Black,
}

pub struct Source {
    pub file: String,
    pub quadrants: [Want; 4],
    /// The alpha of each quadrant, for sources with alpha.
    pub alpha: Option<[u8; 4]>,
    /// The colour a viewer would show if the profile were ignored (for Adobe sources: the
    /// check must be able to fail).
    pub unmanaged: Option<[[u8; 3]; 4]>,
}

impl Source {
    fn new(file: impl Into<String>, quadrants: [Want; 4]) -> Source {
        Source {
            file: file.into(),
            quadrants,
            alpha: None,
            unmanaged: None,
        }
    }

    fn with_alpha(self, alpha: [u8; 4]) -> Source {
        Source {
            alpha: Some(alpha),
            ..self
        }
    }
}

/// Quadrant order: top-left, top-right, bottom-left, bottom-right.
fn quadrant_of(x: u32, y: u32) -> usize {
    usize::from(x >= SIZE / 2) + 2 * usize::from(y >= SIZE / 2)
}

/// Raw pixels, `bands` values per pixel, each quadrant filled with its own value.
fn fill<T: Copy>(values: [&[T]; 4]) -> Vec<T> {
    let mut out = Vec::new();
    for y in 0..SIZE {
        for x in 0..SIZE {
            out.extend_from_slice(values[quadrant_of(x, y)]);
        }
    }
    out
}

/// Writes raw native-endian pixels to `name.raw` and loads them as a libvips image file
/// `name.v` of `format` (uchar, ushort, float), ready for `vips copy` to any format.
fn raw(dir: &Path, name: &str, bands: u32, format: &str, bytes: &[u8]) -> String {
    let raw = dir.join(format!("{name}.raw"));
    std::fs::write(&raw, bytes).unwrap();
    let v = dir.join(format!("{name}.v")).to_string_lossy().into_owned();
    let (size, bands) = (SIZE.to_string(), bands.to_string());
    vips(&[
        "rawload",
        raw.to_str().unwrap(),
        &v,
        &size,
        &size,
        &bands,
        "--format",
        format,
    ]);
    v
}

/// An 8-bit file `file` of the four quadrant pixels with `alphas` appended as a last band,
/// in `interpretation`.
fn with_alpha(dir: &Path, file: &str, pixels: [&[u8]; 4], alphas: [u8; 4], interpretation: &str) {
    let pixels: Vec<Vec<u8>> = (0..4).map(|i| [pixels[i], &[alphas[i]]].concat()).collect();
    let bands = pixels[0].len() as u32;
    let v = raw(
        dir,
        file,
        bands,
        "uchar",
        &fill([0, 1, 2, 3].map(|i| &pixels[i][..])),
    );
    copy(&v, &dir.join(file), interpretation);
}

/// The quadrants' 8-bit values as 16-bit native-endian bytes (times 257, so that 16 to
/// 8 bits gives the 8-bit values back).
fn widened(pixels: [&[u8]; 4]) -> Vec<u8> {
    fill(pixels)
        .iter()
        .flat_map(|v| (u16::from(*v) * 257).to_ne_bytes())
        .collect()
}

fn copy(from: &str, to: &Path, interpretation: &str) {
    vips(&[
        "copy",
        from,
        to.to_str().unwrap(),
        "--interpretation",
        interpretation,
    ]);
}

const ADOBE: [[u8; 3]; 4] = [[200, 60, 50], [60, 170, 80], [50, 80, 190], [230, 210, 70]];

pub fn make(dir: &Path) -> Vec<Source> {
    let profile = dir.join("adobe-rgb.icc");
    std::fs::write(&profile, icc::adobe_rgb()).unwrap();
    let profile = profile.to_str().unwrap();
    let mut sources = Vec::new();

    // Adobe RGB, profile embedded, in each format that carries one.
    let adobe = raw(
        dir,
        "adobe",
        3,
        "uchar",
        &fill(ADOBE.each_ref().map(|p| &p[..])),
    );
    let adobe_srgb = dir.join("adobe-srgb.v");
    copy(&adobe, &adobe_srgb, "srgb");
    let adobe_srgb = adobe_srgb.to_str().unwrap();
    for (file, options) in [
        ("adobe.jpg", format!("[Q=95,profile={profile}]")),
        ("adobe.png", format!("[profile={profile}]")),
        ("adobe.webp", format!("[lossless,profile={profile}]")),
        (
            "adobe-tiled.tif",
            format!(
                "[tile,tile-width=32,tile-height=32,pyramid,compression=deflate,profile={profile}]"
            ),
        ),
    ] {
        let out = dir.join(file).to_string_lossy().into_owned() + &options;
        vips(&["copy", adobe_srgb, &out]);
        sources.push(Source {
            file: file.into(),
            quadrants: ADOBE.map(|a| Want::Colour(adobe_to_srgb(a))),
            alpha: None,
            unmanaged: Some(ADOBE),
        });
    }

    // CMYK without a profile: paper, 100% cyan, 100% magenta, 100% black.
    let inks: [[u8; 4]; 4] = [[0, 0, 0, 0], [255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 0, 255]];
    let cmyk_wants = [Want::PaperWhite, Want::Cyan, Want::Magenta, Want::Black];
    let cmyk = raw(
        dir,
        "cmyk",
        4,
        "uchar",
        &fill(inks.each_ref().map(|p| &p[..])),
    );
    copy(&cmyk, &dir.join("cmyk.tif"), "cmyk");
    vips(&[
        "copy",
        dir.join("cmyk.tif").to_str().unwrap(),
        &(dir.join("cmyk.jpg").to_string_lossy() + "[Q=95]"),
    ]);
    for file in ["cmyk.tif", "cmyk.jpg"] {
        sources.push(Source::new(file, cmyk_wants));
    }
    let alphas = [255u8, 255, 128, 0];
    with_alpha(
        dir,
        "cmyk-alpha.tif",
        inks.each_ref().map(|p| &p[..]),
        alphas,
        "cmyk",
    );
    sources.push(Source::new("cmyk-alpha.tif", cmyk_wants).with_alpha(alphas));

    // 16-bit RGB: 8-bit values times 257 come back as the 8-bit values.
    let rgb8: [[u8; 3]; 4] = [[20, 120, 220], [250, 10, 90], [128, 128, 128], [5, 200, 60]];
    let v = raw(
        dir,
        "rgb16",
        3,
        "ushort",
        &widened(rgb8.each_ref().map(|p| &p[..])),
    );
    copy(&v, &dir.join("rgb16.tif"), "rgb16");
    sources.push(Source::new("rgb16.tif", rgb8.map(Want::Colour)));

    // 16-bit grey.
    let grey8 = [0u8, 90, 180, 255];
    let greys = grey8.each_ref().map(std::slice::from_ref);
    let v = raw(dir, "grey16", 1, "ushort", &widened(greys));
    copy(&v, &dir.join("grey16.png"), "grey16");
    sources.push(Source::new("grey16.png", grey8.map(Want::Grey)));

    // Float RGB: TIFF floats are linear light (scRGB).
    let linear: [[f32; 3]; 4] = [
        [0.5, 0.2, 0.05],
        [0.0, 1.0, 0.5],
        [0.18, 0.18, 0.18],
        [1.0, 1.0, 1.0],
    ];
    let bytes: Vec<u8> = fill(linear.each_ref().map(|p| &p[..]))
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    let v = raw(dir, "float", 3, "float", &bytes);
    copy(&v, &dir.join("float.tif"), "scrgb");
    let float_wants = linear.map(|c| Want::Colour(c.map(|v| linear_to_srgb8(f64::from(v)))));
    sources.push(Source::new("float.tif", float_wants));

    // Palette PNG of four colours (quantised exactly), grey+alpha, RGBA, 1-bit.
    let four: [[u8; 3]; 4] = [[220, 30, 30], [30, 200, 60], [40, 60, 220], [240, 220, 40]];
    let v = raw(
        dir,
        "four",
        3,
        "uchar",
        &fill(four.each_ref().map(|p| &p[..])),
    );
    let out = dir.join("palette.png").to_string_lossy().into_owned() + "[palette,dither=0]";
    let srgb = dir.join("four-srgb.v");
    copy(&v, &srgb, "srgb");
    vips(&["copy", srgb.to_str().unwrap(), &out]);
    sources.push(Source::new("palette.png", four.map(Want::Colour)));

    let greys = grey8.each_ref().map(std::slice::from_ref);
    with_alpha(dir, "grey-alpha.png", greys, alphas, "b-w");
    sources.push(Source::new("grey-alpha.png", grey8.map(Want::Grey)).with_alpha(alphas));

    with_alpha(
        dir,
        "rgba.png",
        four.each_ref().map(|p| &p[..]),
        alphas,
        "srgb",
    );
    sources.push(Source::new("rgba.png", four.map(Want::Colour)).with_alpha(alphas));

    let bilevel = [0u8, 255, 255, 0];
    let v = raw(
        dir,
        "bilevel",
        1,
        "uchar",
        &fill(bilevel.each_ref().map(std::slice::from_ref)),
    );
    let out = dir.join("bilevel.tif").to_string_lossy().into_owned() + "[bitdepth=1]";
    let bw = dir.join("bilevel-bw.v");
    copy(&v, &bw, "b-w");
    vips(&["copy", bw.to_str().unwrap(), &out]);
    sources.push(Source::new("bilevel.tif", bilevel.map(Want::Grey)));
    sources
}
