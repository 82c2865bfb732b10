//! The last step, encode: write the pixels in the planned format with a libvips option
//! string per format.
//!
//! Metadata is stripped everywhere: the response is a derivative, and EXIF or XMP from the
//! source could carry an orientation that no longer holds, or private details. TIFF output
//! is deflate-compressed: libvips writes JPEG-in-TIFF as YCbCr, which some readers (the
//! Rust `image` crate among them) cannot decode, and a TIFF response is asked for to be
//! processed, not viewed, so readability beats size. Bitonal WebP is lossless: lossy
//! coding would smudge the two values into greys (JPEG cannot avoid that, and stays lossy).

use crate::iiif::{Format, Quality};
use crate::render::error::{RenderError, RenderErrorKind};
use crate::render::vips::VipsImage;

/// JPEG quality for responses. A constant until configuration reaches the renderer.
pub(crate) const JPEG_QUALITY: u32 = 85;
/// WebP quality for responses.
pub(crate) const WEBP_QUALITY: u32 = 80;
/// zlib level for PNG: libvips' default, a fair balance of size and time.
pub(crate) const PNG_COMPRESSION: u32 = 6;

/// The `vips_image_write_to_buffer` suffix with options for one response.
pub(crate) fn suffix(format: Format, quality: Quality) -> String {
    match format {
        Format::Jpg => format!(".jpg[Q={JPEG_QUALITY},strip,optimize_coding]"),
        Format::Png => format!(".png[compression={PNG_COMPRESSION},strip]"),
        Format::Webp if quality == Quality::Bitonal => ".webp[lossless,strip]".to_owned(),
        Format::Webp => format!(".webp[Q={WEBP_QUALITY},strip]"),
        Format::Tif => ".tif[compression=deflate,predictor=horizontal,strip]".to_owned(),
        Format::Gif => ".gif[strip]".to_owned(),
    }
}

/// Encodes the (materialised) image.
pub(crate) fn encode(
    image: &VipsImage,
    format: Format,
    quality: Quality,
) -> Result<Vec<u8>, RenderError> {
    let suffix = suffix(format, quality);
    image
        .write_to_buffer(&suffix)
        .map_err(|err| err.with_kind(RenderErrorKind::Encode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitonal_webp_is_lossless() {
        assert!(suffix(Format::Webp, Quality::Bitonal).contains("lossless"));
        assert!(!suffix(Format::Webp, Quality::Gray).contains("lossless"));
    }

    #[test]
    fn every_suffix_names_its_format() {
        for format in Format::ALL {
            assert!(
                suffix(format, Quality::Default).starts_with(&format!(".{}[", format.extension()))
            );
        }
    }
}
