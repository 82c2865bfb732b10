//! The region parameter (§4.1): parsed without the image, resolved against its size.
//!
//! Resolution clips to the image as the spec asks (`125,15,200,200` on 300x200 gives
//! 175x185) and refuses only what cannot be clipped into something: a zero width or height,
//! or a rectangle that starts beyond the image.

use super::error::IiifError;
use super::model::Rect;
use super::number::{parse_decimal, parse_uint};

/// A region as the client wrote it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Region {
    Full,
    Square,
    Pixels {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// Percentages of the full width and height.
    Percent {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
    },
}

impl Region {
    pub(crate) fn parse(text: &str) -> Result<Region, IiifError> {
        let bad = || IiifError::bad_request(format!("invalid region {text:?}"));
        match text {
            "full" => return Ok(Region::Full),
            "square" => return Ok(Region::Square),
            _ => {}
        }
        if let Some(rest) = text.strip_prefix("pct:") {
            let [x, y, width, height] = four(rest, parse_decimal).ok_or_else(bad)?;
            return Ok(Region::Percent {
                x,
                y,
                width,
                height,
            });
        }
        let [x, y, width, height] = four(text, parse_uint).ok_or_else(bad)?;
        Ok(Region::Pixels {
            x,
            y,
            width,
            height,
        })
    }

    /// The region in full-resolution pixels, clipped to a `width` x `height` image.
    pub(crate) fn resolve(&self, width: u32, height: u32) -> Result<Rect, IiifError> {
        let zero = || IiifError::bad_request("region has zero width or height");
        let rect = match *self {
            Region::Full => Rect {
                x: 0,
                y: 0,
                width,
                height,
            },
            Region::Square => {
                // Centred on the longer axis, as the spec suggests; the odd pixel goes right/down.
                let side = width.min(height);
                let (x, y) = ((width - side) / 2, (height - side) / 2);
                Rect {
                    x,
                    y,
                    width: side,
                    height: side,
                }
            }
            Region::Pixels {
                x,
                y,
                width: w,
                height: h,
            } => {
                if w == 0 || h == 0 {
                    return Err(zero());
                }
                let (w, h) = (
                    w.min(width.saturating_sub(x)),
                    h.min(height.saturating_sub(y)),
                );
                clip(x, y, w, h)?
            }
            Region::Percent {
                x,
                y,
                width: w,
                height: h,
            } => {
                if w <= 0.0 || h <= 0.0 {
                    return Err(zero());
                }
                let (x, w) = percent_span(x, w, width);
                let (y, h) = percent_span(y, h, height);
                clip(x, y, w, h)?
            }
        };
        if rect.width == 0 || rect.height == 0 {
            return Err(IiifError::bad_request("region is empty"));
        }
        Ok(rect)
    }
}

/// Splits `a,b,c,d` into exactly four values, each parsed by `parse`.
fn four<T: Copy + Default>(text: &str, parse: fn(&str) -> Option<T>) -> Option<[T; 4]> {
    let mut values = [T::default(); 4];
    let mut parts = text.split(',');
    for value in values.iter_mut() {
        *value = parse(parts.next()?)?;
    }
    parts.next().is_none().then_some(values)
}

/// A rectangle already clipped in size; it only fails if it starts outside the image.
fn clip(x: u32, y: u32, width: u32, height: u32) -> Result<Rect, IiifError> {
    if width == 0 || height == 0 {
        return Err(IiifError::bad_request("region lies outside the image"));
    }
    Ok(Rect {
        x,
        y,
        width,
        height,
    })
}

/// One axis of a `pct:` region in pixels of an axis `full` pixels long, clipped to it.
///
/// Both edges round to the nearest pixel: that reproduces the spec's own example
/// (`pct:41.6,7.5,40,70` on 300x200 is `125,15,120,140`) and lets adjacent percentages tile
/// the image without gaps or overlaps. A non-zero span that starts inside the image never
/// rounds away to nothing: it keeps at least one pixel. A start at or past the end yields
/// length 0, which the caller reports as outside the image.
fn percent_span(start_pct: f64, length_pct: f64, full: u32) -> (u32, u32) {
    let full_f = f64::from(full);
    let exact_start = start_pct * full_f / 100.0;
    if exact_start >= full_f {
        return (full, 0);
    }
    let start = exact_start.round().min(full_f - 1.0) as u32;
    let end = ((start_pct + length_pct) * full_f / 100.0)
        .round()
        .min(full_f) as u32;
    (start, end.saturating_sub(start).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iiif::error::IiifErrorKind;

    #[test]
    #[rustfmt::skip]
    fn parse_rejects_garbage_with_400() {
        let cases = [
            "", "ful", "FULL", "full ", "1,2,3", "1,2,3,4,5", "1,2,,4", "-1,0,10,10", "+1,0,10,10",
            "1.5,0,10,10", "0,0,4294967296,10", "pct:", "pct:1,2,3", "pct:-1,0,10,10",
            "pct:1e1,0,10,10", "pct:NaN,0,10,10", "pct:inf,0,10,10", "pct:+1,0,1,1",
            "pct:1,2,3,4,5", "PCT:1,2,3,4", "square,", "aB3$zQ",
        ];
        for text in cases {
            let err = Region::parse(text).unwrap_err();
            assert_eq!(err.kind, IiifErrorKind::BadRequest, "{text:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn parse_accepts_every_form() {
        let cases = [
            ("full", Region::Full),
            ("square", Region::Square),
            ("125,15,120,140", Region::Pixels { x: 125, y: 15, width: 120, height: 140 }),
            ("pct:41.6,7.5,40,70", Region::Percent { x: 41.6, y: 7.5, width: 40.0, height: 70.0 }),
            ("pct:.5,0,1,1", Region::Percent { x: 0.5, y: 0.0, width: 1.0, height: 1.0 }),
        ];
        for (text, expected) in cases {
            assert_eq!(Region::parse(text).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn resolve_clips_and_rounds() {
        // (region, image width, image height, expected rectangle)
        let cases = [
            ("full", 300, 200, Rect::new(0, 0, 300, 200)),
            ("square", 300, 200, Rect::new(50, 0, 200, 200)),
            ("square", 200, 301, Rect::new(0, 50, 200, 200)),
            ("125,15,120,140", 300, 200, Rect::new(125, 15, 120, 140)),
            ("125,15,200,200", 300, 200, Rect::new(125, 15, 175, 185)),
            ("0,0,4294967295,4294967295", 300, 200, Rect::new(0, 0, 300, 200)),
            ("299,199,5,5", 300, 200, Rect::new(299, 199, 1, 1)),
            ("pct:41.6,7.5,40,70", 300, 200, Rect::new(125, 15, 120, 140)),
            ("pct:99.9,0,10,10", 300, 200, Rect::new(299, 0, 1, 20)),
            ("pct:0,0,100,100", 300, 200, Rect::new(0, 0, 300, 200)),
            ("pct:50,50,200,200", 300, 200, Rect::new(150, 100, 150, 100)),
            ("pct:29,71,9,9", 1000, 1000, Rect::new(290, 710, 90, 90)),
            ("pct:0.01,0,0.01,100", 300, 200, Rect::new(0, 0, 1, 200)),
            ("pct:33.3333,0,33.3333,100", 1000, 10, Rect::new(333, 0, 334, 10)),
        ];
        for (text, width, height, expected) in cases {
            let region = Region::parse(text).unwrap();
            assert_eq!(region.resolve(width, height).unwrap(), expected, "{text}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn resolve_refuses_empty_or_outside() {
        let cases = [
            "0,0,0,10", "0,0,10,0", "300,0,10,10", "0,200,10,10", "4294967295,0,1,1",
            "pct:0,0,0,10", "pct:100,0,10,10", "pct:0,100,10,10", "pct:1e0,0,1,1",
        ];
        for text in cases {
            let result = Region::parse(text).and_then(|region| region.resolve(300, 200));
            assert_eq!(result.unwrap_err().kind, IiifErrorKind::BadRequest, "{text}");
        }
    }

    #[test]
    fn empty_image_never_panics() {
        for text in ["full", "square", "0,0,1,1", "pct:0,0,100,100"] {
            let region = Region::parse(text).unwrap();
            assert!(region.resolve(0, 0).is_err(), "{text}");
        }
    }
}
