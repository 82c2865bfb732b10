//! The TIFF header: byte order, classic or BigTIFF, and where the first directory is.
//!
//! [`Layout`] carries the first two answers to every later decode, so one directory parser
//! serves all four flavours (II/MM x classic/BigTIFF) instead of four copies.

use crate::facts::error::FactsError;
use crate::facts::fetch::Fetcher;

/// How a file stores numbers and offsets: byte order, and classic (32-bit) or BigTIFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) little_endian: bool,
    pub(crate) big_tiff: bool,
}

impl Layout {
    pub(crate) fn uint(&self, bytes: &[u8]) -> u64 {
        let mut buf = [0u8; 8];
        let n = bytes.len().min(8);
        if self.little_endian {
            buf[..n].copy_from_slice(&bytes[..n]);
            u64::from_le_bytes(buf)
        } else {
            buf[8 - n..].copy_from_slice(&bytes[..n]);
            u64::from_be_bytes(buf)
        }
    }

    /// Size of an offset (and of a directory's next-offset field).
    pub(crate) fn offset_size(&self) -> usize {
        if self.big_tiff {
            8
        } else {
            4
        }
    }

    /// Size of a directory's entry-count field.
    pub(crate) fn count_size(&self) -> usize {
        if self.big_tiff {
            8
        } else {
            2
        }
    }

    pub(crate) fn entry_size(&self) -> usize {
        if self.big_tiff {
            20
        } else {
            12
        }
    }
}

/// Reads the header: byte order, flavour and the first directory's offset.
pub(crate) fn read_header(fetch: &mut Fetcher) -> Result<(Layout, u64), FactsError> {
    let head = fetch.exact(0, 8, "TIFF header")?;
    let little_endian = match &head[..2] {
        b"II" => true,
        b"MM" => false,
        _ => return Err(FactsError::unsupported("not a TIFF byte-order mark")),
    };
    let probe = Layout {
        little_endian,
        big_tiff: false,
    };
    match probe.uint(&head[2..4]) {
        42 => Ok((probe, probe.uint(&head[4..8]))),
        43 => {
            let big = Layout {
                little_endian,
                big_tiff: true,
            };
            let rest = fetch.exact(4, 12, "BigTIFF header")?;
            if big.uint(&rest[..2]) != 8 || big.uint(&rest[2..4]) != 0 {
                return Err(FactsError::corrupt(
                    "BigTIFF header with an unusual offset size",
                ));
            }
            Ok((big, big.uint(&rest[4..12])))
        }
        other => Err(FactsError::unsupported(format!("TIFF version {other}"))),
    }
}
