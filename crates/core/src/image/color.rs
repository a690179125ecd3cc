//! Colour management: pixels tagged with an ICC profile are converted to sRGB (qcms, Firefox's
//! engine) before anything else, as sharp does, so wide-gamut photos keep their colours once
//! the profile is stripped.

use super::decode::Meta;
use super::Pixels;

/// Converts a frame to sRGB when the input carries a usable RGB profile that is not sRGB.
pub fn to_srgb(meta: &Meta, frame: &mut Pixels) {
    let Some(icc) = meta.icc.as_deref() else {
        return;
    };
    let Some(profile) = qcms::Profile::new_from_slice(icc, false) else {
        return;
    };
    if profile.is_sRGB() {
        return;
    }
    let srgb = qcms::Profile::new_sRGB();
    let ty = match frame.channels {
        3 => qcms::DataType::RGB8,
        4 => qcms::DataType::RGBA8,
        _ => return, // grey profiles: the grey values stand
    };
    // A profile of another colour space (e.g. grey, CMYK) gives no transform: leave the pixels.
    let Some(transform) = qcms::Transform::new(&profile, &srgb, ty, qcms::Intent::Perceptual)
    else {
        return;
    };
    transform.apply(&mut frame.data);
}
