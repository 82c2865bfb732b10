//! `tessera inspect`: what a served image holds, and what about it will make serving slow
//! or large.
//!
//! It reads through a [`Source`], so a local file and an S3 object (read by ranges) are
//! inspected the same way and at the same cost: the directory walk of [`crate::facts`] plus
//! one 16-byte header read for where the first directory sits. The warnings are a pure
//! function of those facts ([`warnings`]) so each rule is tested without files.
//!
//! Where directories sit: libvips writes each level's directory after that level's tiles,
//! so the first sits about three quarters into the file; that costs a range reader one
//! extra read and is not flagged. A first directory in the last tenth of a huge file means
//! every directory follows all the pixels (writers that append them at the end), and a
//! reader that streams rather than seeks must read the whole file before it knows anything.
//!
//! "Bytes per pixel" is the object's size over the pixels of its full-resolution pages: a
//! JPEG-Q85 pyramid is typically 0.2-0.4, an RGB (unsubsampled) JPEG pyramid about 1,
//! an uncompressed RGB pyramid 4.

use crate::facts::{read_facts, ImageInfo, TiffLevel};
use crate::source::Source;
use std::fmt;

/// Tiles wider or taller than this make every small request decode a big tile.
const LARGE_TILE: u32 = 1024;
/// Below this size a missing pyramid or strips cost little.
const SMALL_IMAGE: u32 = 2048;
/// Files at least this large are "huge" for the directory-position rule.
const HUGE_FILE: u64 = 64 * 1024 * 1024;

/// What `inspect` found.
#[derive(Clone, Debug)]
pub struct Inspection {
    pub name: String,
    pub size: u64,
    pub info: ImageInfo,
    /// Byte offset of the first TIFF directory (TIFF only).
    pub first_directory: Option<u64>,
}

impl Inspection {
    /// Bytes of the object per pixel of its full-resolution page(s).
    pub fn bytes_per_pixel(&self) -> f64 {
        let pixels: u64 = match &self.info {
            ImageInfo::Tiff(tiff) => tiff
                .pages
                .iter()
                .filter_map(|p| p.levels.first())
                .map(|l| l.width as u64 * l.height as u64)
                .sum(),
            ImageInfo::Raster { width, height, .. } => *width as u64 * *height as u64,
        };
        self.size as f64 / pixels.max(1) as f64
    }

    pub fn warnings(&self) -> Vec<String> {
        warnings(self)
    }
}

/// Reads `source`'s facts; blocking (call it off async worker threads for remote sources).
pub fn inspect(name: &str, source: &dyn Source) -> Result<Inspection, String> {
    let info = read_facts(source).map_err(|e| format!("{name}: {e}"))?;
    let first_directory = match info {
        ImageInfo::Tiff(_) => first_directory(source).map_err(|e| format!("{name}: {e}"))?,
        ImageInfo::Raster { .. } => None,
    };
    Ok(Inspection {
        name: name.to_owned(),
        size: source.len(),
        info,
        first_directory,
    })
}

/// The first-IFD offset from a TIFF (bytes 4-7) or BigTIFF (bytes 8-15) header.
fn first_directory(source: &dyn Source) -> Result<Option<u64>, String> {
    let head = source.read_at(0, 16).map_err(|e| e.to_string())?;
    if head.len() < 8 {
        return Ok(None);
    }
    let little = &head[..2] == b"II";
    let num = |bytes: &[u8]| {
        let mut buf = [0u8; 8];
        if little {
            buf[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(buf)
        } else {
            buf[8 - bytes.len()..].copy_from_slice(bytes);
            u64::from_be_bytes(buf)
        }
    };
    let version = num(&head[2..4]);
    Ok(match (version, head.len()) {
        (42, _) => Some(num(&head[4..8])),
        (43, 16) => Some(num(&head[8..16])),
        _ => None,
    })
}

/// Everything about `found` that makes serving slow or large.
pub fn warnings(found: &Inspection) -> Vec<String> {
    let tiff = match &found.info {
        ImageInfo::Tiff(tiff) => tiff,
        ImageInfo::Raster {
            format,
            width,
            height,
            ..
        } => {
            return vec![format!(
                "{format:?} ({width}x{height}) is not tiled: every request reads and decodes \
                 the whole file; convert it to a pyramid TIFF (tessera convert)"
            )];
        }
    };
    let mut out = Vec::new();
    for (index, page) in tiff.pages.iter().enumerate() {
        let label = if tiff.pages.len() > 1 {
            format!("page {}: ", index + 1)
        } else {
            String::new()
        };
        let full = &page.levels[0];
        let big = full.width.max(full.height) > SMALL_IMAGE;
        if page.levels.iter().any(|l| !l.is_tiled()) && big {
            out.push(format!(
                "{label}stored in strips, not tiles: a region read decodes whole rows of the image"
            ));
        }
        if page.levels.len() == 1 && big {
            out.push(format!(
                "{label}no pyramid: zoomed-out views decode the full {}x{} image",
                full.width, full.height
            ));
        }
        if page.levels.iter().any(is_rgb_jpeg) {
            out.push(format!(
                "{label}JPEG tiles stored as RGB, without chroma subsampling (what libvips \
                 writes at Q>=90): about 3.6x larger than YCbCr tiles at Q85"
            ));
        }
        if let Some(t) = full
            .tile
            .filter(|t| t.width > LARGE_TILE || t.height > LARGE_TILE)
        {
            out.push(format!(
                "{label}tiles of {}x{}: every small request decodes a whole large tile; use 256-512",
                t.width, t.height
            ));
        }
    }
    if let Some(at) = found.first_directory {
        if found.size >= HUGE_FILE && at > found.size / 10 * 9 {
            out.push(format!(
                "the first directory is at byte {at} of {}: readers that stream the file \
                 (not by ranges) must read nearly all of it before they know anything",
                found.size
            ));
        }
    }
    out
}

fn is_rgb_jpeg(level: &TiffLevel) -> bool {
    // Compression 7 is JPEG; Photometric 2 is RGB (6 would be YCbCr).
    level.compression == 7 && level.photometric == 2 && level.samples_per_pixel >= 3
}

fn compression_name(code: u16) -> String {
    match code {
        1 => "none".into(),
        5 => "LZW".into(),
        6 | 7 => "JPEG".into(),
        8 | 32946 => "deflate".into(),
        32773 => "packbits".into(),
        33003 | 33005 | 34712 => "JPEG 2000".into(),
        50000 => "zstd".into(),
        50001 => "WebP".into(),
        other => format!("code {other}"),
    }
}

fn photometric_name(code: u16) -> String {
    match code {
        0 => "WhiteIsZero".into(),
        1 => "BlackIsZero".into(),
        2 => "RGB".into(),
        3 => "palette".into(),
        5 => "CMYK".into(),
        6 => "YCbCr".into(),
        8 => "CIELab".into(),
        other => format!("code {other}"),
    }
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = self.size as f64 / (1024.0 * 1024.0);
        writeln!(
            f,
            "{}: {} bytes ({mb:.1} MiB), {:.3} bytes per pixel",
            self.name,
            self.size,
            self.bytes_per_pixel()
        )?;
        match &self.info {
            ImageInfo::Raster {
                format,
                width,
                height,
                orientation,
                tiled,
            } => {
                let tiles = if *tiled {
                    "stored in tiles"
                } else {
                    "not tiled"
                };
                writeln!(f, "  {format:?}, {width}x{height}, {tiles}")?;
                if !orientation.is_upright() {
                    let turn = orientation.value();
                    writeln!(f, "  orientation {turn}: served turned upright")?;
                }
            }
            ImageInfo::Tiff(tiff) => {
                let kind = if tiff.is_big_tiff() {
                    "BigTIFF"
                } else {
                    "TIFF"
                };
                writeln!(f, "  {kind}, {} page(s)", tiff.page_count())?;
                for (index, page) in tiff.pages.iter().enumerate() {
                    writeln!(f, "  page {}: {} level(s)", index + 1, page.levels.len())?;
                    for (n, level) in page.levels.iter().enumerate() {
                        let layout = match (level.tile, level.rows_per_strip) {
                            (Some(t), _) => format!("tiles {}x{}", t.width, t.height),
                            (None, Some(rows)) => format!("strips of {rows} rows"),
                            (None, None) => "strips".into(),
                        };
                        writeln!(
                            f,
                            "    level {n}: {}x{}, {layout}, {}, {}, {} band(s) of {} bits",
                            level.width,
                            level.height,
                            compression_name(level.compression),
                            photometric_name(level.photometric),
                            level.samples_per_pixel,
                            level.bits_per_sample
                        )?;
                    }
                }
            }
        }
        let warnings = self.warnings();
        if warnings.is_empty() {
            writeln!(f, "  no warnings")?;
        }
        for warning in warnings {
            writeln!(f, "  warning: {warning}")?;
        }
        Ok(())
    }
}
