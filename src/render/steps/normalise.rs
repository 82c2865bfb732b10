//! Step 3, normalise: bring any stored pixel type to 8-bit sRGB, or 8-bit grey for grey
//! sources, keeping alpha, with the colours a colour-managed viewer would show.
//!
//! Done right after the crop, so it touches only the region, and before every step whose
//! constants assume 0..255 sRGB values (rotation backgrounds, flattening, the bitonal
//! threshold). The rules:
//! - a colour image with an embedded ICC profile that is not sRGB (Adobe RGB, ProPhoto,
//!   Display P3, a CMYK press profile) goes through that profile to sRGB (libvips' colour
//!   management, lcms2), from any depth straight to 8 bits;
//! - CMYK without a profile goes through libvips' default CMYK profile;
//! - everything else (untagged or sRGB-tagged RGB, 16-bit, scRGB float, LAB) through
//!   `vips_colourspace`, which knows each conversion; 16-bit is scaled, float TIFFs are
//!   linear (scRGB) as libvips reads them;
//! - a grey source stays one band (IIIF `default` must not make it colour); a grey
//!   profile only shapes the tone curve, and is not applied.
//!
//! A profile that cannot be applied (damaged, or for another colour space than the
//! pixels) is logged and the image is treated as untagged, rather than failing the
//! request. The output carries no profile: untagged pixels are sRGB to every browser, and
//! a profile would add bytes to every tile.

use super::context::StepContext;
use super::icc_profile;
use crate::render::error::RenderError;
use crate::render::vips::{icc_present, BandFormat, Interpretation, VipsImage};

pub(crate) fn apply(image: VipsImage, _context: &StepContext) -> Result<VipsImage, RenderError> {
    to_8bit(image)
}

/// 8-bit sRGB, or 8-bit grey for grey images, alpha kept (also used by `convert`).
pub(crate) fn to_8bit(image: VipsImage) -> Result<VipsImage, RenderError> {
    let interpretation = image.interpretation();
    let grey = matches!(interpretation, Interpretation::BW | Interpretation::Grey16);
    let image = if grey { image } else { through_profile(image)? };
    let target = if grey {
        Interpretation::BW
    } else {
        Interpretation::Srgb
    };
    let image = if image.interpretation() == target {
        image
    } else {
        image.colourspace(target)?
    };
    if image.band_format() == BandFormat::Uchar {
        Ok(image)
    } else {
        image.cast_uchar()
    }
}

/// Whether a colour image's pixels need its ICC profile (or the CMYK default) applied.
pub(crate) fn needs_profile(image: &VipsImage) -> bool {
    let interpretation = image.interpretation();
    let converts = matches!(
        interpretation,
        Interpretation::Srgb | Interpretation::Rgb16 | Interpretation::Cmyk
    );
    match image.blob_field(c"icc-profile-data") {
        Some(profile) => converts && !icc_profile::is_srgb(profile),
        None => interpretation == Interpretation::Cmyk,
    }
}

/// The image in sRGB through its profile when it needs one, else as it is.
fn through_profile(image: VipsImage) -> Result<VipsImage, RenderError> {
    if !needs_profile(&image) || !icc_present() {
        return Ok(image);
    }
    match image.icc_to_srgb() {
        Ok(converted) => Ok(converted),
        Err(err) => {
            let profile = image
                .blob_field(c"icc-profile-data")
                .and_then(icc_profile::description);
            tracing::warn!(error = %err, ?profile, "ICC profile not applied; treated as sRGB");
            Ok(image)
        }
    }
}
