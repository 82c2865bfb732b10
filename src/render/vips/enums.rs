//! The libvips enums the rest of the render layer needs, as Rust enums.
//!
//! C enums are plain ints: nothing stops an angle being passed where a band format is
//! expected, and code outside the wall would have to import `ffi` to name a value. These
//! types name only the values Tessera uses, and this file is the one place they are turned
//! into (`to_c`) or read from (`from_c`) the C numbers. What libvips can report but we have
//! no name for is kept as `Other` with its number, so reading never fails or guesses.

use super::ffi;
use std::ffi::c_int;

/// A lossless right-angle rotation, clockwise (`VipsAngle`, conversion.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Angle {
    D90,
    D180,
    D270,
}

impl Angle {
    pub(super) fn to_c(self) -> c_int {
        match self {
            Angle::D90 => ffi::VIPS_ANGLE_D90,
            Angle::D180 => ffi::VIPS_ANGLE_D180,
            Angle::D270 => ffi::VIPS_ANGLE_D270,
        }
    }
}

/// How the bands of an image are to be read (`VipsInterpretation`, image.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interpretation {
    /// Grey, 8-bit (`B_W`).
    BW,
    /// Grey, 16-bit.
    Grey16,
    /// sRGB, 8-bit.
    Srgb,
    /// RGB, 16-bit (sRGB primaries and curve).
    Rgb16,
    Cmyk,
    /// Any other interpretation (LAB, scRGB, multiband, ...), by its libvips number; never
    /// one of the values named above.
    Other(i32),
}

impl Interpretation {
    pub(super) fn from_c(value: c_int) -> Self {
        match value {
            ffi::VIPS_INTERPRETATION_B_W => Interpretation::BW,
            ffi::VIPS_INTERPRETATION_GREY16 => Interpretation::Grey16,
            ffi::VIPS_INTERPRETATION_SRGB => Interpretation::Srgb,
            ffi::VIPS_INTERPRETATION_RGB16 => Interpretation::Rgb16,
            ffi::VIPS_INTERPRETATION_CMYK => Interpretation::Cmyk,
            other => Interpretation::Other(other),
        }
    }

    pub(super) fn to_c(self) -> c_int {
        match self {
            Interpretation::BW => ffi::VIPS_INTERPRETATION_B_W,
            Interpretation::Grey16 => ffi::VIPS_INTERPRETATION_GREY16,
            Interpretation::Srgb => ffi::VIPS_INTERPRETATION_SRGB,
            Interpretation::Rgb16 => ffi::VIPS_INTERPRETATION_RGB16,
            Interpretation::Cmyk => ffi::VIPS_INTERPRETATION_CMYK,
            Interpretation::Other(value) => value,
        }
    }
}

/// The numeric type of one band of one pixel (`VipsBandFormat`, image.h). All ten are
/// named because `convert` sizes pixels by them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BandFormat {
    Uchar,
    Char,
    Ushort,
    Short,
    Uint,
    Int,
    Float,
    Complex,
    Double,
    Dpcomplex,
    /// A number libvips did not have when `ffi.rs` was written (or `NOTSET`).
    Other(i32),
}

impl BandFormat {
    pub(super) fn from_c(value: c_int) -> Self {
        match value {
            ffi::VIPS_FORMAT_UCHAR => BandFormat::Uchar,
            ffi::VIPS_FORMAT_CHAR => BandFormat::Char,
            ffi::VIPS_FORMAT_USHORT => BandFormat::Ushort,
            ffi::VIPS_FORMAT_SHORT => BandFormat::Short,
            ffi::VIPS_FORMAT_UINT => BandFormat::Uint,
            ffi::VIPS_FORMAT_INT => BandFormat::Int,
            ffi::VIPS_FORMAT_FLOAT => BandFormat::Float,
            ffi::VIPS_FORMAT_COMPLEX => BandFormat::Complex,
            ffi::VIPS_FORMAT_DOUBLE => BandFormat::Double,
            ffi::VIPS_FORMAT_DPCOMPLEX => BandFormat::Dpcomplex,
            other => BandFormat::Other(other),
        }
    }

    /// Bytes one band of one pixel takes in memory (1 for 8-bit, 2 for 16-bit ...); an
    /// unknown format counts as the widest.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            BandFormat::Uchar | BandFormat::Char => 1,
            BandFormat::Ushort | BandFormat::Short => 2,
            BandFormat::Uint | BandFormat::Int | BandFormat::Float => 4,
            BandFormat::Complex | BandFormat::Double => 8,
            BandFormat::Dpcomplex | BandFormat::Other(_) => 16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpretations_survive_the_round_trip() {
        for value in -1..40 {
            assert_eq!(Interpretation::from_c(value).to_c(), value);
        }
        assert_eq!(Interpretation::from_c(22), Interpretation::Srgb);
    }

    #[test]
    fn band_formats_are_read_by_their_c_number() {
        assert_eq!(BandFormat::from_c(0), BandFormat::Uchar);
        assert_eq!(BandFormat::from_c(9), BandFormat::Dpcomplex);
        assert_eq!(BandFormat::from_c(-1), BandFormat::Other(-1));
    }
}
