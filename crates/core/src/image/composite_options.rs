//! The options of `composite(images)` and of the inputs that are not encoded images (`raw`
//! pixels, `create`), part of the image contract in [`super::options`]: sharp's names and
//! defaults; their ranges are rows of [`super::options::RANGES`].

use super::geometry::Gravity;
use super::options::{int, Rgba, DIMENSION};
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// `composite`'s `left`/`top`: sharp's range (an overlay may lie partly or wholly off the base).
pub const OFFSET: RangeInclusive<i32> = -100_000_000..=100_000_000;
/// Channels of raw pixel input: grey, grey+alpha, RGB, RGBA.
pub const RAW_CHANNELS: RangeInclusive<u8> = 1..=4;
/// Channels of a `create` image with a background: RGB or RGBA, as sharp.
pub const CREATE_CHANNELS: RangeInclusive<u8> = 3..=4;
/// Layers in one `composite` call: each is decoded and held until the pipeline ends.
pub const LAYERS: RangeInclusive<u32> = 0..=1000;

/// How a layer combines with what is below it, as libvips names the modes (Porter–Duff, then
/// the PDF separable blend modes). sharp's `color-dodge`/`color-burn` are lib/'s aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blend {
    Clear,
    Source,
    #[default]
    Over,
    In,
    Out,
    Atop,
    Dest,
    DestOver,
    DestIn,
    DestOut,
    DestAtop,
    Xor,
    Add,
    Saturate,
    Multiply,
    Screen,
    Overlay,
    Darken,
    Lighten,
    ColourDodge,
    ColourBurn,
    HardLight,
    SoftLight,
    Difference,
    Exclusion,
}

impl Blend {
    /// Every mode, in libvips's order.
    pub const ALL: [Blend; 25] = [
        Blend::Clear,
        Blend::Source,
        Blend::Over,
        Blend::In,
        Blend::Out,
        Blend::Atop,
        Blend::Dest,
        Blend::DestOver,
        Blend::DestIn,
        Blend::DestOut,
        Blend::DestAtop,
        Blend::Xor,
        Blend::Add,
        Blend::Saturate,
        Blend::Multiply,
        Blend::Screen,
        Blend::Overlay,
        Blend::Darken,
        Blend::Lighten,
        Blend::ColourDodge,
        Blend::ColourBurn,
        Blend::HardLight,
        Blend::SoftLight,
        Blend::Difference,
        Blend::Exclusion,
    ];

    /// True when a transparent layer leaves the pixel below unchanged: the modes that touch
    /// only the area the layer covers. The others (`clear`, `source`, `in`, `out`, `dest-in`,
    /// `dest-atop`) clear the rest of the canvas, as libvips does.
    pub fn is_local(self) -> bool {
        !matches!(
            self,
            Blend::Clear | Blend::Source | Blend::In | Blend::Out | Blend::DestIn | Blend::DestAtop
        )
    }
}

/// Raw pixel input: `{ raw: { width, height, channels } }`, 8 bits per channel, interleaved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInput {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
}

/// `{ create: { width, height, channels, background } }`: an image of one colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Create {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub background: Rgba,
}

/// Where a layer's pixels come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum LayerInput {
    /// The `index`-th of the task's extra inputs (an encoded image, or raw pixels with `raw`).
    Input {
        index: u32,
        raw: Option<RawInput>,
        #[serde(default)]
        auto_orient: bool,
    },
    Create(Create),
}

/// One item of `composite(images)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Layer {
    pub input: LayerInput,
    #[serde(default)]
    pub blend: Blend,
    /// Placement when `offset` is not given.
    #[serde(default)]
    pub gravity: Gravity,
    /// `(left, top)`: both or neither, as sharp requires; overrides `gravity`.
    #[serde(default)]
    pub offset: Option<(i32, i32)>,
    /// Repeat the layer across the whole base.
    #[serde(default)]
    pub tile: bool,
    /// The layer's colours are already multiplied by its alpha.
    #[serde(default)]
    pub premultiplied: bool,
}

/// Checks a raw descriptor against the ranges and, when given, the bytes it describes.
pub(crate) fn check_raw(at: &str, raw: &RawInput) -> Result<()> {
    int(&format!("{at}.width"), raw.width, &DIMENSION)?;
    int(&format!("{at}.height"), raw.height, &DIMENSION)?;
    int(&format!("{at}.channels"), raw.channels, &RAW_CHANNELS)
}

pub(crate) fn check_create(at: &str, c: &Create) -> Result<()> {
    int(&format!("{at}.width"), c.width, &DIMENSION)?;
    int(&format!("{at}.height"), c.height, &DIMENSION)?;
    int(&format!("{at}.channels"), c.channels, &CREATE_CHANNELS)
}

/// Checks every layer of `ops.composite`.
pub(crate) fn check_layers(layers: &[Layer]) -> Result<()> {
    let n = u32::try_from(layers.len()).unwrap_or(u32::MAX);
    int("ops.composite.length", n, &LAYERS)?;
    for (i, layer) in layers.iter().enumerate() {
        let at = format!("ops.composite[{i}]");
        match &layer.input {
            LayerInput::Input { raw: Some(raw), .. } => {
                check_raw(&format!("{at}.input.raw"), raw)?;
            }
            LayerInput::Input { raw: None, .. } => {}
            LayerInput::Create(c) => check_create(&format!("{at}.input.create"), c)?,
        }
        if let Some((left, top)) = layer.offset {
            int(&format!("{at}.left"), left, &OFFSET)?;
            int(&format!("{at}.top"), top, &OFFSET)?;
            if layer.tile && (left < 0 || top < 0) {
                return Err(Error::new(
                    ErrorKind::OutOfRange,
                    format!("Expected left and top of 0 or more for a tiled layer but received {left}, {top} at {at}"),
                ));
            }
        }
    }
    Ok(())
}
