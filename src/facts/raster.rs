//! Sizes of single-image formats (JPEG, PNG, WebP, GIF) from their headers.
//!
//! These formats are rendered from a whole local copy, but info.json must not wait for that
//! download: a header read answers it. PNG, WebP and GIF keep their size at a fixed place in
//! the first 30 bytes. JPEG keeps it in the SOFn segment, which may sit behind large EXIF,
//! XMP or ICC segments, so the marker chain is walked by segment lengths, reading only
//! segment headers (the fetcher's first window usually covers them all).

use super::error::FactsError;
use super::fetch::Fetcher;
use super::orientation::{exif_orientation, Orientation};

/// Markers walked before giving up on finding a frame header.
const MAX_SEGMENTS: u32 = 1024;
/// 0xFF fill bytes tolerated before one marker.
const MAX_FILL: u32 = 64;

fn be16(b: &[u8]) -> u32 {
    u32::from(b[0]) << 8 | u32::from(b[1])
}

fn le16(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8
}

fn le24(b: &[u8]) -> u32 {
    le16(b) | u32::from(b[2]) << 16
}

/// Refuses zero sizes, which every format here reserves for "invalid" or "unknown".
pub(crate) fn nonzero(width: u32, height: u32, what: &str) -> Result<(u32, u32), FactsError> {
    if width == 0 || height == 0 {
        return Err(FactsError::corrupt(format!(
            "{what} declares a {width}x{height} image"
        )));
    }
    Ok((width, height))
}

/// PNG: the IHDR chunk must come first, right after the 8-byte signature.
pub(crate) fn png_size(fetch: &mut Fetcher) -> Result<(u32, u32), FactsError> {
    let b = fetch.exact(8, 16, "PNG IHDR")?;
    if &b[4..8] != b"IHDR" {
        return Err(FactsError::corrupt("PNG does not start with IHDR"));
    }
    let width = u32::from_be_bytes([b[8], b[9], b[10], b[11]]);
    let height = u32::from_be_bytes([b[12], b[13], b[14], b[15]]);
    nonzero(width, height, "PNG")
}

/// GIF: the logical screen descriptor, the canvas every frame is drawn on.
pub(crate) fn gif_size(fetch: &mut Fetcher) -> Result<(u32, u32), FactsError> {
    let b = fetch.exact(6, 4, "GIF screen descriptor")?;
    nonzero(le16(&b[0..2]), le16(&b[2..4]), "GIF")
}

/// WebP: the first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended, with canvas).
pub(crate) fn webp_size(fetch: &mut Fetcher) -> Result<(u32, u32), FactsError> {
    let b = fetch.exact(12, 18, "WebP chunk header")?;
    let data = &b[8..];
    let (width, height) = match &b[0..4] {
        b"VP8 " => {
            if data[3..6] != [0x9D, 0x01, 0x2A] {
                return Err(FactsError::corrupt("WebP VP8 frame without its start code"));
            }
            (le16(&data[6..8]) & 0x3FFF, le16(&data[8..10]) & 0x3FFF)
        }
        b"VP8L" => {
            if data[0] != 0x2F {
                return Err(FactsError::corrupt("WebP VP8L without its signature"));
            }
            let bits = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => (le24(&data[4..7]) + 1, le24(&data[7..10]) + 1),
        other => {
            let name = String::from_utf8_lossy(other).into_owned();
            return Err(FactsError::unsupported(format!("WebP chunk {name:?}")));
        }
    };
    nonzero(width, height, "WebP")
}

/// True for the SOFn markers that carry a frame size (not DHT C4, JPG C8 or DAC CC).
fn is_frame_header(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Bytes of an APP1 segment read for its EXIF orientation: IFD0 comes first, and its
/// entries are within the first few hundred bytes.
const EXIF_HEAD: u64 = 1024;

/// JPEG: walks markers from SOI to the first SOFn and reads its size, and the orientation
/// of an EXIF APP1 segment on the way.
pub(crate) fn jpeg_facts(fetch: &mut Fetcher) -> Result<(u32, u32, Orientation), FactsError> {
    let mut pos: u64 = 2;
    let mut orientation = None;
    for _ in 0..MAX_SEGMENTS {
        let marker = next_marker(fetch, &mut pos)?;
        match marker {
            m if is_frame_header(m) => {
                let b = fetch.exact(pos, 7, "JPEG frame header")?;
                // A zero height means "defined later by a DNL marker": legal, but rare
                // enough that we refuse it rather than scan the entropy-coded data.
                let (w, h) = nonzero(be16(&b[5..7]), be16(&b[3..5]), "JPEG")?;
                return Ok((w, h, orientation.unwrap_or(Orientation::UPRIGHT)));
            }
            0xE1 if orientation.is_none() => {
                let len = be16(&fetch.exact(pos, 2, "JPEG segment length")?);
                if len < 2 {
                    return Err(FactsError::corrupt(format!("JPEG segment length {len}")));
                }
                let head = (u64::from(len) - 2).min(EXIF_HEAD) as usize;
                orientation = exif_orientation(&fetch.exact(pos + 2, head, "JPEG APP1")?);
                pos += u64::from(len);
            }
            0x01 | 0xD0..=0xD7 => {}
            0xD9 | 0xDA => {
                return Err(FactsError::corrupt(
                    "JPEG image data before any frame header",
                ))
            }
            _ => {
                let len = be16(&fetch.exact(pos, 2, "JPEG segment length")?);
                if len < 2 {
                    return Err(FactsError::corrupt(format!("JPEG segment length {len}")));
                }
                pos += u64::from(len);
            }
        }
    }
    Err(FactsError::corrupt(format!(
        "no JPEG frame header in {MAX_SEGMENTS} segments"
    )))
}

/// Reads the marker at `pos` (after any 0xFF fill bytes) and leaves `pos` just past it.
fn next_marker(fetch: &mut Fetcher, pos: &mut u64) -> Result<u8, FactsError> {
    let first = fetch.exact(*pos, 1, "JPEG marker")?;
    if first[0] != 0xFF {
        return Err(FactsError::corrupt(format!(
            "JPEG marker expected at {pos}"
        )));
    }
    // Fill bytes are legal but never more than a few; a run of them is a hostile file.
    for _ in 0..MAX_FILL {
        *pos += 1;
        match fetch.exact(*pos, 1, "JPEG marker")?[0] {
            0xFF => continue,
            0x00 => {
                return Err(FactsError::corrupt(format!(
                    "stuffed byte where a marker belongs at {pos}"
                )))
            }
            byte => {
                *pos += 1;
                return Ok(byte);
            }
        }
    }
    Err(FactsError::corrupt(format!(
        "more than {MAX_FILL} JPEG fill bytes at {pos}"
    )))
}
