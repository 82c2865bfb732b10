//! Whole-file conversion for `tessera convert`: open an image file, make its pixels fit
//! the chosen TIFF compression, save it with a libvips option string.
//!
//! The caller (`tools::convert`) decides every option; this file only knows what libvips
//! needs to succeed. JPEG stores 8-bit pixels without alpha, so for JPEG compression the
//! image is brought to 8 bits (the render path's own `normalise`, which knows CMYK, 16-bit
//! and float) and any alpha is flattened onto white, the colour a page's margin usually is;
//! other compressions get the pixels as they are.

use super::error::RenderError;
use super::steps::normalise::to_8bit;
use super::vips::{ensure_started, BandFormat, VipsImage};
use std::path::Path;

/// An image file opened for conversion.
pub struct FileImage {
    image: VipsImage,
}

impl FileImage {
    /// Opens `path` with libvips options (e.g. `"page=0,access=sequential"`); the pixels
    /// are read only when the image is saved.
    pub fn open(path: &Path, options: &str) -> Result<FileImage, RenderError> {
        ensure_started()?;
        let image = VipsImage::from_file(&with_options(path, options)?)?;
        Ok(FileImage { image })
    }

    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    pub fn bands(&self) -> u32 {
        self.image.bands()
    }

    /// Bytes per band of one pixel as stored in memory (1 for 8-bit, 2 for 16-bit ...).
    pub fn bytes_per_band(&self) -> u32 {
        self.image.band_format().bytes()
    }

    /// Makes the pixels storable as JPEG: 8-bit, no alpha.
    pub fn prepare_for_jpeg(self) -> Result<FileImage, RenderError> {
        let mut image = self.image;
        if image.band_format() != BandFormat::Uchar || image.bands() > 4 {
            image = to_8bit(image)?;
        }
        if image.has_alpha() {
            image = image.flatten(&[255.0, 255.0, 255.0])?;
        }
        Ok(FileImage { image })
    }

    /// Saves to `path` with the saver its suffix chooses and libvips `options`.
    pub fn save(&self, path: &Path, options: &str) -> Result<(), RenderError> {
        self.image.write_to_file(&with_options(path, options)?)
    }
}

/// `path[options]`, libvips' filename syntax. A path that itself contains `[` would be cut
/// there by libvips, so it is refused rather than misread.
fn with_options(path: &Path, options: &str) -> Result<String, RenderError> {
    let name = path
        .to_str()
        .ok_or_else(|| RenderError::internal(format!("{}: not UTF-8", path.display())))?;
    if name.contains('[') {
        return Err(RenderError::internal(format!(
            "{name}: libvips cannot open a path containing '['"
        )));
    }
    Ok(if options.is_empty() {
        name.to_owned()
    } else {
        format!("{name}[{options}]")
    })
}
