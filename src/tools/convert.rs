//! `tessera convert`: make a pyramid TIFF the way it serves best.
//!
//! The defaults are what operators converged on: JPEG at Q85 with YCbCr 4:2:0 chroma
//! subsampling, 512x512 tiles, a full pyramid (halving until one tile holds the level),
//! metadata stripped. Q85 with subsampling gave files about 3.7x smaller than Q90+, where
//! libvips turns subsampling off and stores full-resolution RGB (libvips 8.14 decides this
//! from Q alone: it has no option to force subsampling at Q>=90, so a warning says so).
//! 512 tiles halve the request count of libvips' default 128 for the same view without
//! making edge tiles costly. Stripping drops EXIF/XMP/ICC blobs that every tile response
//! would otherwise pay to parse; pass `--keep-metadata` when the ICC profile matters.
//!
//! BigTIFF is chosen when the uncompressed pyramid could pass 3.5 GiB: classic TIFF offsets
//! are 32-bit (4 GiB), and the estimate ignores compression because deflate of noisy scans
//! can come close to raw size. BigTIFF costs only larger offset arrays, and every reader we
//! serve with (libvips, our directory walker) reads it.

use crate::render::FileImage;
use std::path::Path;

/// Pyramids whose uncompressed size passes this are written as BigTIFF under `Auto`.
pub const BIGTIFF_AUTO_LIMIT: u64 = 3584 * 1024 * 1024;

/// TIFF tile compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    Jpeg,
    Deflate,
    Lzw,
    Webp,
    Zstd,
    None,
}

impl Compression {
    fn vips_name(self) -> &'static str {
        match self {
            Compression::Jpeg => "jpeg",
            Compression::Deflate => "deflate",
            Compression::Lzw => "lzw",
            Compression::Webp => "webp",
            Compression::Zstd => "zstd",
            Compression::None => "none",
        }
    }
}

/// When to write BigTIFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BigTiff {
    Auto,
    Always,
    Never,
}

/// Everything `convert` can be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertOptions {
    pub compression: Compression,
    /// JPEG/WebP quality, 1-100.
    pub quality: u8,
    /// YCbCr 4:2:0 for JPEG tiles (libvips applies it below Q90 only).
    pub subsample: bool,
    pub tile_size: u32,
    pub strip: bool,
    pub bigtiff: BigTiff,
    /// 0-based page of a multi-page input.
    pub page: u32,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            compression: Compression::Jpeg,
            quality: 85,
            subsample: true,
            tile_size: 512,
            strip: true,
            bigtiff: BigTiff::Auto,
            page: 0,
        }
    }
}

/// What a conversion produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertReport {
    pub width: u32,
    pub height: u32,
    pub bigtiff: bool,
    /// The libvips `tiffsave` options used.
    pub save_options: String,
    /// Things the caller should tell the operator (e.g. a quality that disables subsampling).
    pub warnings: Vec<String>,
}

/// Converts `input` (any format libvips reads) to a pyramid TIFF at `output`.
pub fn convert(
    input: &Path,
    output: &Path,
    options: &ConvertOptions,
) -> Result<ConvertReport, String> {
    check(options)?;
    // Sequential access lets libvips stream the input once while it builds every level.
    let load = match options.page {
        0 => "access=sequential".to_string(),
        page => format!("access=sequential,page={page}"),
    };
    let mut image = FileImage::open(input, &load)
        .map_err(|e| format!("{}: {}", input.display(), e.message()))?;
    let raw = pyramid_bytes(&image);
    let bigtiff = match options.bigtiff {
        BigTiff::Auto => raw > BIGTIFF_AUTO_LIMIT,
        BigTiff::Always => true,
        BigTiff::Never => false,
    };
    if options.compression == Compression::Jpeg {
        image = image
            .prepare_for_jpeg()
            .map_err(|e| e.message().to_string())?;
    }
    let save_options = save_options(options, bigtiff);
    image
        .save(output, &save_options)
        .map_err(|e| format!("{}: {}", output.display(), e.message()))?;
    let mut warnings = Vec::new();
    if options.compression == Compression::Jpeg && options.subsample && options.quality >= 90 {
        warnings.push(format!(
            "Q{} turns chroma subsampling off in libvips: tiles are stored as full-resolution \
             RGB, about 3.6x larger than at Q85",
            options.quality
        ));
    }
    if options.bigtiff == BigTiff::Never && raw > BIGTIFF_AUTO_LIMIT {
        warnings.push("the pyramid may pass 4 GiB; classic TIFF cannot hold that".into());
    }
    Ok(ConvertReport {
        width: image.width(),
        height: image.height(),
        bigtiff,
        save_options,
        warnings,
    })
}

fn check(options: &ConvertOptions) -> Result<(), String> {
    if !(1..=100).contains(&options.quality) {
        return Err(format!("quality {} is not within 1-100", options.quality));
    }
    // TIFF requires tile sides that are multiples of 16.
    if options.tile_size < 16 || !options.tile_size.is_multiple_of(16) || options.tile_size > 8192 {
        return Err(format!(
            "tile size {} must be a multiple of 16 from 16 to 8192",
            options.tile_size
        ));
    }
    Ok(())
}

/// Uncompressed bytes of the whole pyramid: the full level plus a third for the rest.
fn pyramid_bytes(image: &FileImage) -> u64 {
    let full = image.width() as u64
        * image.height() as u64
        * image.bands() as u64
        * image.bytes_per_band() as u64;
    full + full / 3
}

/// The libvips `tiffsave` option string for `options`.
pub fn save_options(options: &ConvertOptions, bigtiff: bool) -> String {
    let tile = options.tile_size;
    let mut parts = vec![
        "tile".to_string(),
        "pyramid".to_string(),
        format!("tile-width={tile}"),
        format!("tile-height={tile}"),
        format!("compression={}", options.compression.vips_name()),
    ];
    if matches!(options.compression, Compression::Jpeg | Compression::Webp) {
        parts.push(format!("Q={}", options.quality));
    }
    if options.compression == Compression::Jpeg && !options.subsample {
        // libvips' own switch for RGB (not YCbCr) JPEG tiles.
        parts.push("rgbjpeg".into());
    }
    if options.strip {
        parts.push("strip".into());
    }
    if bigtiff {
        parts.push("bigtiff".into());
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_are_the_operators_recipe() {
        let opts = ConvertOptions::default();
        assert_eq!(
            save_options(&opts, false),
            "tile,pyramid,tile-width=512,tile-height=512,compression=jpeg,Q=85,strip"
        );
        let lossless = ConvertOptions {
            compression: Compression::Deflate,
            subsample: false,
            strip: false,
            tile_size: 256,
            ..opts.clone()
        };
        assert_eq!(
            save_options(&lossless, true),
            "tile,pyramid,tile-width=256,tile-height=256,compression=deflate,bigtiff"
        );
        let rgb = ConvertOptions {
            subsample: false,
            ..opts
        };
        assert!(save_options(&rgb, false).contains(",rgbjpeg"));
    }

    #[test]
    fn refuses_impossible_options() {
        let bad = [
            ConvertOptions {
                quality: 0,
                ..Default::default()
            },
            ConvertOptions {
                quality: 101,
                ..Default::default()
            },
            ConvertOptions {
                tile_size: 500,
                ..Default::default()
            },
            ConvertOptions {
                tile_size: 0,
                ..Default::default()
            },
        ];
        for options in bad {
            assert!(check(&options).is_err(), "{options:?}");
        }
        assert!(check(&ConvertOptions::default()).is_ok());
    }
}
