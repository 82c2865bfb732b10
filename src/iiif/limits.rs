//! Server-imposed output limits (`maxWidth`, `maxHeight`, `maxArea`) and the `max` size.
//!
//! The limits are declared in info.json and enforced on every planned output, so a client
//! that follows info.json never sees a 400 for size, and one that does not cannot make the
//! server allocate an arbitrarily large image.

use super::error::IiifError;
use super::model::Dimensions;

/// What the server is willing to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest output width in pixels (`maxWidth`).
    pub max_width: u32,
    /// Largest output height in pixels (`maxHeight`).
    pub max_height: u32,
    /// Largest output width x height (`maxArea`).
    pub max_area: u64,
    /// Whether sizes may exceed the region: `^` in 3.0 (`sizeUpscaling`), implicit in 2.1
    /// (`sizeAboveFull`).
    pub upscaling: bool,
}

impl Default for Limits {
    /// 10000 px a side and 100 Mpx: the validator's 1000x1000 image has `max` = 1000x1000,
    /// and a worst-case RGBA output stays around 400 MB.
    fn default() -> Self {
        Limits {
            max_width: 10_000,
            max_height: 10_000,
            max_area: 100_000_000,
            upscaling: true,
        }
    }
}

impl Limits {
    /// The largest size with the aspect ratio of a `width` x `height` region that fits the
    /// limits; with `upscale` false it is also no larger than the region (`max` vs `^max`).
    ///
    /// Following the spec's implementation note, one scale factor is derived from the
    /// original dimensions (square root for the area, then width and height), so rounding
    /// never compounds; both sides round down. Sides never drop below 1 px.
    pub(crate) fn max_size(&self, width: u32, height: u32, upscale: bool) -> Dimensions {
        // Guards floor() against 9999.999999 when the exact answer is 10000.
        const NOISE: f64 = 1e-6;
        let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let area_scale = (self.max_area as f64 / (w * h)).sqrt();
        let scale = area_scale
            .min(f64::from(self.max_width) / w)
            .min(f64::from(self.max_height) / h)
            .min(if upscale { f64::INFINITY } else { 1.0 });
        let mut out_w = ((w * scale + NOISE).floor() as u32).clamp(1, self.max_width.max(1));
        let mut out_h = ((h * scale + NOISE).floor() as u32).clamp(1, self.max_height.max(1));
        // A very thin region can have its short side clamped up to 1 px, or the tolerance
        // can add a pixel; give the excess back on the longer side.
        if u64::from(out_w) * u64::from(out_h) > self.max_area {
            if out_w >= out_h {
                out_w = (self.max_area / u64::from(out_h)).clamp(1, u64::from(out_w)) as u32;
            } else {
                out_h = (self.max_area / u64::from(out_w)).clamp(1, u64::from(out_h)) as u32;
            }
        }
        Dimensions {
            width: out_w,
            height: out_h,
        }
    }

    /// Refuses an output below 1 px or beyond any limit (400, IIIF §4.2).
    pub(crate) fn check(&self, size: Dimensions) -> Result<(), IiifError> {
        if size.width == 0 || size.height == 0 {
            return Err(IiifError::bad_request("size is smaller than 1 pixel"));
        }
        let area = u64::from(size.width) * u64::from(size.height);
        if size.width > self.max_width || size.height > self.max_height || area > self.max_area {
            return Err(IiifError::bad_request(format!(
                "size {}x{} exceeds the limits (maxWidth {}, maxHeight {}, maxArea {})",
                size.width, size.height, self.max_width, self.max_height, self.max_area
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_width: u32, max_height: u32, max_area: u64) -> Limits {
        Limits {
            max_width,
            max_height,
            max_area,
            upscaling: true,
        }
    }

    #[test]
    #[rustfmt::skip]
    fn max_size_table() {
        let default = Limits::default();
        // (limits, region, upscale, expected)
        let cases = [
            (default, Dimensions::new(1000, 1000), false, Dimensions::new(1000, 1000)),
            (default, Dimensions::new(1000, 1000), true, Dimensions::new(10000, 10000)),
            (default, Dimensions::new(30000, 20000), false, Dimensions::new(10000, 6666)),
            (default, Dimensions::new(20000, 30000), false, Dimensions::new(6666, 10000)),
            (default, Dimensions::new(3, 2), true, Dimensions::new(10000, 6666)),
            (limits(10000, 10000, 1_000_000), Dimensions::new(4000, 3000), false, Dimensions::new(1154, 866)),
            (limits(10000, 10000, 1_000_000), Dimensions::new(1000, 1000), false, Dimensions::new(1000, 1000)),
            (limits(3000, 2000, 4_000_000), Dimensions::new(6000, 4000), false, Dimensions::new(2449, 1632)),
            (limits(3000, 2000, 100_000_000), Dimensions::new(6000, 4000), false, Dimensions::new(3000, 2000)),
            (limits(10000, 10000, 1000), Dimensions::new(1, 100_000), false, Dimensions::new(1, 1000)),
            (limits(10000, 10000, 1000), Dimensions::new(100_000, 1), false, Dimensions::new(1000, 1)),
            (limits(500, 500, 1_000_000), Dimensions::new(1, 1), true, Dimensions::new(500, 500)),
        ];
        for (limits, region, upscale, expected) in cases {
            let got = limits.max_size(region.width, region.height, upscale);
            assert_eq!(got, expected, "{region:?} upscale={upscale} {limits:?}");
            assert!(limits.check(got).is_ok(), "{got:?} must fit {limits:?}");
        }
    }

    #[test]
    fn check_table() {
        let limits = limits(100, 50, 4000);
        let cases = [
            (Dimensions::new(100, 40), true),
            (Dimensions::new(80, 50), true),
            (Dimensions::new(101, 1), false),
            (Dimensions::new(1, 51), false),
            (Dimensions::new(100, 41), false),
            (Dimensions::new(0, 10), false),
            (Dimensions::new(10, 0), false),
        ];
        for (size, ok) in cases {
            assert_eq!(limits.check(size).is_ok(), ok, "{size:?}");
        }
    }
}
