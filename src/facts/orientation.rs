//! EXIF/TIFF orientation: how a stored image is turned to be displayed (tag 274, values
//! 1-8), read from a TIFF's directory or a JPEG's EXIF, and the geometry that follows.
//!
//! Tessera serves every image as displayed, as the peers do: its facts (info.json, the
//! sizes `create-metadata` writes) are the displayed sizes, and a request's region is in
//! displayed coordinates. The renderer maps the region back onto the stored pixels
//! ([`Orientation::stored_rect`]), renders it there (so a pyramid level or a JPEG's
//! shrink-on-load still serve it), and turns the result upright after the resize, where
//! it is smallest (`render/steps/orient.rs`).

use crate::iiif::{Dimensions, Rect};

/// A TIFF/EXIF orientation, 1 (upright) to 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Orientation(u8);

impl Default for Orientation {
    fn default() -> Self {
        Orientation::UPRIGHT
    }
}

impl Orientation {
    pub const UPRIGHT: Orientation = Orientation(1);

    /// From the tag's value; anything outside 1-8 is upright, as libvips and browsers
    /// treat it.
    pub fn from_tag(value: u64) -> Orientation {
        match value {
            1..=8 => Orientation(value as u8),
            _ => Orientation::UPRIGHT,
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn is_upright(self) -> bool {
        self.value() == 1
    }

    /// Whether displaying swaps width and height (the four quarter turns, 5-8).
    pub fn swaps_sides(self) -> bool {
        self.value() >= 5
    }

    /// The displayed size of a stored one (and, the swap being its own inverse, back).
    pub fn turn(self, size: Dimensions) -> Dimensions {
        if self.swaps_sides() {
            Dimensions::new(size.height, size.width)
        } else {
            size
        }
    }

    /// The stored pixels that a displayed rectangle shows, in an image stored `stored`.
    pub fn stored_rect(self, r: Rect, stored: Dimensions) -> Rect {
        let (w, h) = (stored.width, stored.height);
        let (x0, y0, x1, y1) = (r.x, r.y, r.x + r.width, r.y + r.height);
        // Each case maps the displayed corners onto stored ones (see the module's tests).
        let (sx0, sy0, sx1, sy1) = match self.value() {
            2 => (w - x1, y0, w - x0, y1),
            3 => (w - x1, h - y1, w - x0, h - y0),
            4 => (x0, h - y1, x1, h - y0),
            5 => (y0, x0, y1, x1),
            6 => (y0, h - x1, y1, h - x0),
            7 => (w - y1, h - x1, w - y0, h - x0),
            8 => (w - y1, x0, w - y0, x1),
            _ => (x0, y0, x1, y1),
        };
        Rect::new(sx0, sy0, sx1 - sx0, sy1 - sy0)
    }
}

/// The orientation in a JPEG's APP1 EXIF payload (after the APP1 length): only IFD0's
/// tag 274 is read, so the first few hundred bytes of the segment are enough.
pub(crate) fn exif_orientation(payload: &[u8]) -> Option<Orientation> {
    let tiff = payload.strip_prefix(b"Exif\0\0")?;
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(256)).find_map(|i| {
        let entry = ifd + 2 + 12 * i;
        // Orientation is one SHORT, stored inline at the start of the value field.
        (u16_at(entry)? == 274 && u16_at(entry + 2)? == 3)
            .then(|| Some(Orientation::from_tag(u64::from(u16_at(entry + 8)?))))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The displayed pixel that stored pixel (sx, sy) becomes, by EXIF's definitions.
    fn displayed(o: u8, (sx, sy): (u32, u32), (w, h): (u32, u32)) -> (u32, u32) {
        match o {
            1 => (sx, sy),
            2 => (w - 1 - sx, sy),
            3 => (w - 1 - sx, h - 1 - sy),
            4 => (sx, h - 1 - sy),
            5 => (sy, sx),
            6 => (h - 1 - sy, sx),
            7 => (h - 1 - sy, w - 1 - sx),
            8 => (sy, w - 1 - sx),
            _ => unreachable!(),
        }
    }

    /// For every orientation, a one-pixel displayed rectangle maps onto the one stored
    /// pixel that displays there, and whole rectangles keep their area.
    #[test]
    fn displayed_rects_map_onto_the_stored_pixels_they_show() {
        let stored = Dimensions::new(5, 3);
        for o in 1..=8u8 {
            let orientation = Orientation::from_tag(u64::from(o));
            let shown = orientation.turn(stored);
            for sy in 0..stored.height {
                for sx in 0..stored.width {
                    let (dx, dy) = displayed(o, (sx, sy), (stored.width, stored.height));
                    assert!(dx < shown.width && dy < shown.height);
                    let back = orientation.stored_rect(Rect::new(dx, dy, 1, 1), stored);
                    assert_eq!(back, Rect::new(sx, sy, 1, 1), "orientation {o}");
                }
            }
            let r = orientation.stored_rect(Rect::new(0, 1, 2, 2), stored);
            assert_eq!(r.width * r.height, 4, "orientation {o}");
        }
    }

    fn exif(little: bool, orientation: u16) -> Vec<u8> {
        let b16 = |v: u16| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let b32 = |v: u32| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut p = b"Exif\0\0".to_vec();
        p.extend_from_slice(if little { b"II" } else { b"MM" });
        p.extend_from_slice(&b16(42));
        p.extend_from_slice(&b32(8));
        p.extend_from_slice(&b16(2));
        // ImageWidth first, then Orientation.
        p.extend_from_slice(&b16(256));
        p.extend_from_slice(&b16(4));
        p.extend_from_slice(&b32(1));
        p.extend_from_slice(&b32(640));
        p.extend_from_slice(&b16(274));
        p.extend_from_slice(&b16(3));
        p.extend_from_slice(&b32(1));
        p.extend_from_slice(&b16(orientation));
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&b32(0));
        p
    }

    #[test]
    fn exif_orientation_in_both_byte_orders() {
        assert_eq!(
            exif_orientation(&exif(true, 6)),
            Some(Orientation::from_tag(6))
        );
        assert_eq!(
            exif_orientation(&exif(false, 8)),
            Some(Orientation::from_tag(8))
        );
        assert_eq!(exif_orientation(&exif(true, 9)), Some(Orientation::UPRIGHT));
        let whole = exif(true, 3);
        for cut in 0..whole.len() {
            let _ = exif_orientation(&whole[..cut]);
        }
        assert_eq!(exif_orientation(b"XMP stuff"), None);
    }
}
