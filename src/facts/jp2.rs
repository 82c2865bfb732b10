//! JPEG 2000 facts: the size, from the `ihdr` box of a JP2 file or the SIZ segment of a
//! raw codestream, and whether the codestream is tiled (SIZ's tile size smaller than the
//! image), which decides how it is rendered: a tiled one decodes a region from the tiles
//! it touches, an untiled one only whole.
//!
//! JP2 is a chain of boxes; the image header sits inside the `jp2h` superbox, which the
//! standard puts before the codestream (`jp2c`), so the walk usually ends inside the
//! first window. A file whose `jp2c` comes first is still answered, from its SIZ segment.

use super::error::FactsError;
use super::fetch::Fetcher;
use super::raster::nonzero;

/// Boxes walked (top level plus inside `jp2h`) before giving up.
const MAX_BOXES: u32 = 256;

/// One box header: its type, where its contents start, and where it ends.
struct BoxHeader {
    kind: [u8; 4],
    data: u64,
    end: u64,
}

fn be32(b: &[u8]) -> u64 {
    u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_box(fetch: &mut Fetcher, pos: u64, limit: u64) -> Result<BoxHeader, FactsError> {
    let b = fetch.exact(pos, 8, "JP2 box header")?;
    let kind = [b[4], b[5], b[6], b[7]];
    let (len, header) = match be32(&b[0..4]) {
        0 => (limit - pos, 8),
        1 => {
            let x = fetch.exact(pos + 8, 8, "JP2 box length")?;
            (
                u64::from_be_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]),
                16,
            )
        }
        len => (len, 8),
    };
    let end = pos
        .checked_add(len)
        .filter(|&end| len >= header && end <= limit);
    let end =
        end.ok_or_else(|| FactsError::corrupt(format!("JP2 box at {pos} has length {len}")))?;
    Ok(BoxHeader {
        kind,
        data: pos + header,
        end,
    })
}

/// What the facts need of a JPEG 2000 image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Jp2Facts {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Stored in tiles smaller than the image.
    pub(crate) tiled: bool,
}

/// JP2 file: the size from `jp2h/ihdr` and the tiling from the codestream in `jp2c`, or
/// both from the codestream when it comes first. A header without a codestream found
/// behind it is answered as untiled (rendered whole, which is always right).
pub(crate) fn jp2_facts(fetch: &mut Fetcher) -> Result<Jp2Facts, FactsError> {
    let limit = fetch.len();
    let mut pos = 0;
    let mut header = None;
    for _ in 0..MAX_BOXES {
        if pos >= limit {
            break;
        }
        let found = read_box(fetch, pos, limit)?;
        match &found.kind {
            b"jp2h" if header.is_none() => {
                header = Some(ihdr_size(fetch, found.data, found.end)?);
            }
            b"jp2c" => {
                let stream = codestream_facts(fetch, found.data)?;
                return Ok(match header {
                    Some((width, height)) => Jp2Facts {
                        width,
                        height,
                        ..stream
                    },
                    None => stream,
                });
            }
            _ => {}
        }
        pos = found.end;
    }
    match header {
        Some((width, height)) => Ok(Jp2Facts {
            width,
            height,
            tiled: false,
        }),
        None => Err(FactsError::corrupt("JP2 file without an image header")),
    }
}

/// The `ihdr` box inside the `jp2h` superbox spanning `[pos, end)`.
fn ihdr_size(fetch: &mut Fetcher, mut pos: u64, end: u64) -> Result<(u32, u32), FactsError> {
    for _ in 0..MAX_BOXES {
        if pos >= end {
            break;
        }
        let found = read_box(fetch, pos, end)?;
        if &found.kind == b"ihdr" {
            if found.end - found.data < 8 {
                return Err(FactsError::corrupt("JP2 ihdr box is too short"));
            }
            let b = fetch.exact(found.data, 8, "JP2 ihdr")?;
            return nonzero(be32(&b[4..8]) as u32, be32(&b[0..4]) as u32, "JP2");
        }
        pos = found.end;
    }
    Err(FactsError::corrupt("JP2 header box without ihdr"))
}

/// A raw codestream at `pos`: SOC, then SIZ with the reference grid, the image offset and
/// the tile size.
pub(crate) fn codestream_facts(fetch: &mut Fetcher, pos: u64) -> Result<Jp2Facts, FactsError> {
    let b = fetch.exact(pos, 32, "J2K SIZ segment")?;
    if b[0..4] != [0xFF, 0x4F, 0xFF, 0x51] {
        return Err(FactsError::corrupt(
            "J2K codestream does not start with SOC, SIZ",
        ));
    }
    let (xsiz, ysiz, xo, yo) = (
        be32(&b[8..12]),
        be32(&b[12..16]),
        be32(&b[16..20]),
        be32(&b[20..24]),
    );
    let (xt, yt) = (be32(&b[24..28]), be32(&b[28..32]));
    let width = xsiz.checked_sub(xo).and_then(|w| u32::try_from(w).ok());
    let height = ysiz.checked_sub(yo).and_then(|h| u32::try_from(h).ok());
    let (width, height) = match (width, height) {
        (Some(w), Some(h)) => nonzero(w, h, "J2K")?,
        _ => {
            return Err(FactsError::corrupt(
                "J2K image offset beyond the image size",
            ))
        }
    };
    Ok(Jp2Facts {
        width,
        height,
        tiled: xt < u64::from(width) || yt < u64::from(height),
    })
}
