//! The last step, encode: write the pixels in the planned format with a libvips option
//! string per format, at the qualities the operator chose ([`Encoding`]).
//!
//! Metadata is stripped everywhere: the response is a derivative, and EXIF or XMP from the
//! source could carry an orientation that no longer holds, or private details; pixels are
//! sRGB (see `normalise.rs`), which untagged images mean to every browser. TIFF output
//! is deflate-compressed: libvips writes JPEG-in-TIFF as YCbCr, which some readers (the
//! Rust `image` crate among them) cannot decode, and a TIFF response is asked for to be
//! processed, not viewed, so readability beats size. Bitonal WebP is lossless: lossy
//! coding would smudge the two values into greys (JPEG cannot avoid that, and stays lossy).
//! AVIF is AV1 in HEIF at 8 bits (what every browser decodes), written by libheif's AOM
//! encoder at a low effort: AV1 is slow to encode, and a tile must not wait for it.

use crate::iiif::{Format, Quality};
use crate::render::error::{RenderError, RenderErrorKind};
use crate::render::vips::VipsImage;

/// zlib level for PNG: libvips' default, a fair balance of size and time.
pub(crate) const PNG_COMPRESSION: u32 = 6;

/// Encoder settings, the same for every response (`TESSERA_JPEG_QUALITY`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// JPEG quality, 1-100.
    pub jpeg_quality: u8,
    /// Huffman tables optimised for each image (libjpeg's second pass): 5-11% smaller
    /// files for 2.5-3x the encoding time, measured by `scripts/bench-profile` (a 510 px
    /// tile 1.0 ms -> 2.5 ms, a 1000x1000 crop 3.2 ms -> 9.5 ms). Off by default: a
    /// CDN keeps the bytes, while every cold answer pays the time.
    pub jpeg_optimize: bool,
    /// WebP quality, 1-100 (bitonal WebP is lossless whatever this says).
    pub webp_quality: u8,
    /// AVIF quality, 1-100 (libheif's scale; 50 looks like JPEG's 80-85).
    pub avif_quality: u8,
    /// AVIF encoder effort, 0 (fastest) to 9 (smallest).
    pub avif_effort: u8,
}

impl Encoding {
    /// The defaults of the `TESSERA_*_QUALITY` settings.
    pub const DEFAULT: Encoding = Encoding {
        jpeg_quality: 85,
        jpeg_optimize: false,
        webp_quality: 80,
        avif_quality: 50,
        avif_effort: 2,
    };
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding::DEFAULT
    }
}

/// The `vips_image_write_to_buffer` suffix with options for one response.
pub(crate) fn suffix(format: Format, quality: Quality, encoding: &Encoding) -> String {
    let Encoding {
        jpeg_quality,
        jpeg_optimize,
        webp_quality,
        avif_quality,
        avif_effort,
    } = encoding;
    match format {
        Format::Jpg if *jpeg_optimize => format!(".jpg[Q={jpeg_quality},strip,optimize_coding]"),
        Format::Jpg => format!(".jpg[Q={jpeg_quality},strip]"),
        Format::Png => format!(".png[compression={PNG_COMPRESSION},strip]"),
        Format::Webp if quality == Quality::Bitonal => ".webp[lossless,strip]".to_owned(),
        Format::Webp => format!(".webp[Q={webp_quality},strip]"),
        Format::Tif => ".tif[compression=deflate,predictor=horizontal,strip]".to_owned(),
        Format::Gif => ".gif[strip]".to_owned(),
        // heifsave's buffer form knows the .heif suffix; AV1 compression makes it AVIF.
        Format::Avif => {
            format!(".heif[compression=av1,Q={avif_quality},effort={avif_effort},bitdepth=8,strip]")
        }
    }
}

/// Encodes the (materialised) image.
pub(crate) fn encode(
    image: &VipsImage,
    format: Format,
    quality: Quality,
    encoding: &Encoding,
) -> Result<Vec<u8>, RenderError> {
    let suffix = suffix(format, quality, encoding);
    image
        .write_to_buffer(&suffix)
        .map_err(|err| err.with_kind(RenderErrorKind::Encode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitonal_webp_is_lossless() {
        let e = Encoding::default();
        assert!(suffix(Format::Webp, Quality::Bitonal, &e).contains("lossless"));
        assert!(!suffix(Format::Webp, Quality::Gray, &e).contains("lossless"));
    }

    #[test]
    fn every_suffix_names_its_writer() {
        for format in Format::ALL {
            let writer = match format {
                Format::Avif => "heif",
                other => other.extension(),
            };
            let suffix = suffix(format, Quality::Default, &Encoding::default());
            assert!(suffix.starts_with(&format!(".{writer}[")), "{suffix}");
        }
    }

    #[test]
    fn qualities_come_from_the_settings() {
        let e = Encoding {
            jpeg_quality: 70,
            jpeg_optimize: false,
            webp_quality: 60,
            avif_quality: 40,
            avif_effort: 5,
        };
        assert_eq!(
            suffix(Format::Jpg, Quality::Default, &e),
            ".jpg[Q=70,strip]"
        );
        let optimised = Encoding {
            jpeg_optimize: true,
            ..e
        };
        let jpg = suffix(Format::Jpg, Quality::Default, &optimised);
        assert_eq!(jpg, ".jpg[Q=70,strip,optimize_coding]");
        assert!(suffix(Format::Webp, Quality::Color, &e).contains("Q=60,"));
        let avif = suffix(Format::Avif, Quality::Default, &e);
        assert!(
            avif.contains("Q=40,") && avif.contains("effort=5"),
            "{avif}"
        );
    }
}
