//! Decompression bombs, made in milliseconds: files that are tiny on disk and enormous once
//! decoded.

use image::{DynamicImage, RgbImage};
use std::io::Cursor;

/// A real baseline JPEG whose frame header claims `side` x `side` pixels; only a 16x16
/// image's data follows, which no decoder reaches before it has allocated for the claim.
pub fn jpeg_claiming(side: u16) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(RgbImage::new(16, 16))
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .unwrap();
    let mut bytes = bytes.into_inner();
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    // SOF0: marker, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&side.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&side.to_be_bytes());
    bytes
}

/// A valid all-black 1-bit greyscale PNG of `side` x `side`, every byte of its pixels
/// deflated by hand: one literal zero, then back-references of 258 zeros (13 bits each
/// in deflate's fixed Huffman code). 60000 px a side is a 2.8 MB file of 3.6 gigapixels.
pub fn black_png(side: u32) -> Vec<u8> {
    let row = 1 + u64::from(side).div_ceil(8); // filter byte + packed bits
    let raw = row * u64::from(side);
    let mut bits = BitWriter::default();
    bits.push(1, 1); // BFINAL
    bits.push(1, 2); // BTYPE 01: fixed Huffman codes
    bits.code(0b0011_0000, 8); // literal 0
    let matches = (raw - 1) / 258;
    for _ in 0..matches {
        bits.code(0b1100_0101, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: 1 byte back
    }
    for _ in 0..(raw - 1) % 258 {
        bits.code(0b0011_0000, 8);
    }
    bits.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    // Adler-32 of zeros: a stays 1, b adds it once per byte.
    let adler = ((raw % 65_521) << 16 | 1) as u32;
    zlib.extend(adler.to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend((data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(&data);
        png.extend(kind);
        png.extend(&data);
        png.extend(crc.finalize().to_be_bytes());
    }
    png
}

/// Deflate's bit order: fields from the least significant bit, Huffman codes from the
/// most significant.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        if self.used.is_multiple_of(8) {
            self.bytes.push(0);
        }
        let last = self.bytes.last_mut().unwrap();
        *last |= (bit as u8 & 1) << (self.used % 8);
        self.used += 1;
    }

    fn push(&mut self, value: u32, len: u32) {
        for i in 0..len {
            self.bit(value >> i);
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }

    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[test]
fn the_black_png_is_a_real_png() {
    // Small enough to decode here: the same construction at 600 px.
    let png = black_png(600);
    let image = image::load_from_memory(&png).expect("decodes").to_luma8();
    assert_eq!((image.width(), image.height()), (600, 600));
    assert!(image.pixels().all(|p| p.0 == [0]));
}
