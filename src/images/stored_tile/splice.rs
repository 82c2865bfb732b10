//! Makes a TIFF's stored JPEG tile a complete JPEG file (TIFF Technical Note 2).
//!
//! A tile is an "abbreviated" JPEG stream: SOI, frame and scan headers and the entropy
//! coded data, EOI, with the quantisation and Huffman tables left to the level's
//! JPEGTables tag (itself SOI, DQT/DHT segments, EOI). The complete file is the tile's SOI,
//! a marker saying how to read the components, the tables' segments, and the rest of the
//! tile. Decoders assume YCbCr for three components unless told otherwise, so an RGB tile
//! gets Adobe's APP14 with transform 0 (no colour transform), and a YCbCr or grey tile the
//! JFIF APP0 marker, as libjpeg writes them.

use crate::facts::JpegColour;

const SOI: [u8; 2] = [0xFF, 0xD8];
const EOI: [u8; 2] = [0xFF, 0xD9];

/// JFIF 1.01, no thumbnail, aspect 1:1.
const JFIF: [u8; 18] = [
    0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00,
];

/// Adobe APP14: version 100, no flags, transform 0 (the components are RGB as stored).
const ADOBE_RGB: [u8; 16] = [
    0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The complete JPEG, or `None` when the tile (or the tables) are not what TIFF stores.
pub(crate) fn complete_jpeg(
    tile: &[u8],
    tables: Option<&[u8]>,
    colour: JpegColour,
) -> Option<Vec<u8>> {
    let body = tile.strip_prefix(&SOI)?;
    let segments = match tables {
        Some(tables) => tables.strip_prefix(&SOI)?.strip_suffix(&EOI)?,
        None => &[],
    };
    let marker: &[u8] = match colour {
        // A writer that already put its own APP0 or APP14 in the tile said it itself.
        _ if body.starts_with(&[0xFF, 0xE0]) || body.starts_with(&[0xFF, 0xEE]) => &[],
        JpegColour::Rgb => &ADOBE_RGB,
        JpegColour::YCbCr | JpegColour::Grey => &JFIF,
    };
    let mut out = Vec::with_capacity(2 + marker.len() + segments.len() + body.len());
    out.extend_from_slice(&SOI);
    out.extend_from_slice(marker);
    out.extend_from_slice(segments);
    out.extend_from_slice(body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_go_between_the_marker_and_the_frame() {
        let tile = [0xFF, 0xD8, 0xFF, 0xC0, 1, 2, 0xFF, 0xD9];
        let tables = [0xFF, 0xD8, 0xFF, 0xDB, 9, 0xFF, 0xD9];
        let out = complete_jpeg(&tile, Some(&tables), JpegColour::Rgb).unwrap();
        let want: Vec<u8> = [
            &SOI[..],
            &ADOBE_RGB,
            &[0xFF, 0xDB, 9],
            &[0xFF, 0xC0, 1, 2, 0xFF, 0xD9],
        ]
        .concat();
        assert_eq!(out, want);
        let out = complete_jpeg(&tile, None, JpegColour::YCbCr).unwrap();
        assert_eq!(out, [&SOI[..], &JFIF, &tile[2..]].concat());
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(complete_jpeg(&[0, 1, 2], None, JpegColour::Grey).is_none());
        let tile = [0xFF, 0xD8, 0xFF, 0xD9];
        assert!(complete_jpeg(&tile, Some(&[0xFF, 0xD8, 1]), JpegColour::Grey).is_none());
        // A tile with its own APP0 keeps it alone.
        let own = [0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 0xFF, 0xD9];
        assert_eq!(complete_jpeg(&own, None, JpegColour::YCbCr).unwrap(), own);
    }
}
