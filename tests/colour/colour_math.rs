//! The expected colours, computed here from the colour spaces' definitions rather than
//! read back from libvips: Adobe RGB to sRGB through XYZ (D65), and CIE76 delta E in Lab
//! to say how far a rendered pixel is from what a colour-managed viewer shows.

/// Adobe RGB (1998) linear to XYZ, D65 (the specification's matrix).
const ADOBE_TO_XYZ: [[f64; 3]; 3] = [
    [0.576_670, 0.185_560, 0.188_230],
    [0.297_340, 0.627_360, 0.075_290],
    [0.027_030, 0.070_690, 0.991_340],
];
/// sRGB linear to XYZ, D65 (IEC 61966-2-1), and back.
const SRGB_TO_XYZ: [[f64; 3]; 3] = [
    [0.412_456_4, 0.357_576_1, 0.180_437_5],
    [0.212_672_9, 0.715_152_2, 0.072_175_0],
    [0.019_333_9, 0.119_192_0, 0.950_304_1],
];
const XYZ_TO_SRGB: [[f64; 3]; 3] = [
    [3.240_454_2, -1.537_138_5, -0.498_531_4],
    [-0.969_266_0, 1.876_010_8, 0.041_556_0],
    [0.055_643_4, -0.204_025_9, 1.057_225_2],
];
const D65: [f64; 3] = [0.950_47, 1.0, 1.088_83];

fn mul(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

fn srgb_decode(v: f64) -> f64 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(v: f64) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.003_130_8 {
        12.92 * v
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// The sRGB pixel (0-255) showing the same colour as the Adobe RGB pixel `a`.
pub fn adobe_to_srgb(a: [u8; 3]) -> [u8; 3] {
    let linear = a.map(|v| (f64::from(v) / 255.0).powf(563.0 / 256.0));
    let srgb_linear = mul(&XYZ_TO_SRGB, mul(&ADOBE_TO_XYZ, linear));
    srgb_linear.map(|v| (srgb_encode(v) * 255.0).round() as u8)
}

/// An sRGB pixel's CIE Lab (D65 white).
pub fn lab(rgb: [u8; 3]) -> [f64; 3] {
    let xyz = mul(&SRGB_TO_XYZ, rgb.map(|v| srgb_decode(f64::from(v) / 255.0)));
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let [fx, fy, fz] = [0, 1, 2].map(|i| f(xyz[i] / D65[i]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIE76 colour difference between two sRGB pixels: about 2.3 is a just noticeable one.
pub fn delta_e(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (a, b) = (lab(a), lab(b));
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// sRGB linear light (scRGB) to an 8-bit sRGB value.
pub fn linear_to_srgb8(v: f64) -> u8 {
    (srgb_encode(v) * 255.0).round() as u8
}
