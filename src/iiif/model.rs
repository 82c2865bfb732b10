//! The shared vocabulary between planning (`iiif`), rendering (`render`) and the service:
//! what an image is ([`ImageFacts`]) and exactly what to make of it ([`Plan`]).
//!
//! These types carry no behaviour that needs I/O; `render` executes a [`Plan`] without
//! re-deriving any IIIF rule.

/// Output formats Tessera can encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Jpg,
    Png,
    Webp,
    Tif,
    Gif,
    /// AV1 in HEIF, not in the IIIF table of formats: declared in `extraFormats`.
    Avif,
}

impl Format {
    /// Every format we encode, in the order info.json lists them.
    pub const ALL: [Format; 6] = [
        Format::Jpg,
        Format::Png,
        Format::Webp,
        Format::Tif,
        Format::Gif,
        Format::Avif,
    ];

    /// The URL extension (`jpg`, `png`, ...).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Tif => "tif",
            Format::Gif => "gif",
            Format::Avif => "avif",
        }
    }

    /// The MIME type for the Content-Type header.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Tif => "image/tiff",
            Format::Gif => "image/gif",
            Format::Avif => "image/avif",
        }
    }

    /// True when the format can carry an alpha channel (a transparent background for
    /// arbitrary rotations).
    pub fn has_alpha(self) -> bool {
        matches!(
            self,
            Format::Png | Format::Webp | Format::Tif | Format::Gif | Format::Avif
        )
    }
}

/// IIIF qualities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quality {
    Default,
    Color,
    Gray,
    Bitonal,
}

impl Quality {
    pub fn name(self) -> &'static str {
        match self {
            Quality::Default => "default",
            Quality::Color => "color",
            Quality::Gray => "gray",
            Quality::Bitonal => "bitonal",
        }
    }
}

/// A rectangle in pixels of some image (full resolution unless said otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Rect {
            x,
            y,
            width,
            height,
        }
    }
}

/// The size of one stored resolution of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

impl Dimensions {
    pub const fn new(width: u32, height: u32) -> Self {
        Dimensions { width, height }
    }
}

/// What we know about an image without decoding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFacts {
    /// Full-resolution width.
    pub width: u32,
    /// Full-resolution height.
    pub height: u32,
    /// Stored resolutions, largest first; `levels[0]` is the full resolution. An image with
    /// no pyramid has exactly one level.
    pub levels: Vec<Dimensions>,
    /// The stored tile size, when the image is tiled.
    pub tile: Option<Dimensions>,
}

impl ImageFacts {
    /// Facts for an image with a single, untiled resolution.
    pub fn single(width: u32, height: u32) -> Self {
        ImageFacts {
            width,
            height,
            levels: vec![Dimensions { width, height }],
            tile: None,
        }
    }
}

/// Exactly what to render: every IIIF rule has already been applied.
///
/// Order of operations (IIIF §4): crop `region`, scale to `width` x `height`, mirror,
/// rotate by `degrees` clockwise, apply `quality`, encode as `format`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The region to extract, in full-resolution pixels, already clipped to the image.
    pub region: Rect,
    /// Index into [`ImageFacts::levels`] of the smallest stored level that still has at
    /// least the output resolution; the renderer opens that level and scales the region
    /// into its coordinates (`level.width / facts.width`).
    pub level: usize,
    /// Output width before rotation (>= 1).
    pub width: u32,
    /// Output height before rotation (>= 1).
    pub height: u32,
    /// Mirror about the vertical axis before rotating.
    pub mirror: bool,
    /// Clockwise rotation in degrees, in [0, 360).
    pub degrees: f64,
    pub quality: Quality,
    pub format: Format,
}

impl Plan {
    /// The size of the answer: the planned size turned by `degrees` onto its bounding box,
    /// as the renderer's rotation produces it (right angles swap the sides exactly).
    ///
    /// libvips rounds the box to the nearest pixel; this rounds up (after a tolerance for
    /// the cosine of a right angle, which is 6e-17 and not 0), so it is never smaller than
    /// the real answer and a limit checked against it holds for the pixels sent.
    pub fn rotated_size(&self) -> Dimensions {
        const NOISE: f64 = 1e-6;
        if self.degrees == 0.0 || self.degrees == 180.0 {
            return Dimensions::new(self.width, self.height);
        }
        if self.degrees == 90.0 || self.degrees == 270.0 {
            return Dimensions::new(self.height, self.width);
        }
        let (sin, cos) = self.degrees.to_radians().sin_cos();
        let (sin, cos) = (sin.abs(), cos.abs());
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let side = |length: f64| ((length - NOISE).ceil().max(1.0)).min(f64::from(u32::MAX)) as u32;
        Dimensions::new(side(w * cos + h * sin), side(w * sin + h * cos))
    }
}
