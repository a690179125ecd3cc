//! The encoders' options (`jpeg`, `png`, `webp`, `gif`, `avif`) and the output choice, part of the
//! image contract in [`super::options`]: sharp's names and defaults; their ranges are rows of
//! [`super::options::RANGES`], checked by [`super::options::Spec::validate`].

use serde::{Deserialize, Serialize};

/// JPEG chroma subsampling, as sharp spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum Chroma {
    #[default]
    #[serde(rename = "4:2:0")]
    Yuv420,
    #[serde(rename = "4:4:4")]
    Yuv444,
}

impl Chroma {
    /// Every value.
    pub const ALL: [Chroma; 2] = [Chroma::Yuv420, Chroma::Yuv444];
}

/// `jpeg(options)`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct JpegOptions {
    /// [`QUALITY`](super::options::QUALITY).
    pub quality: u8,
    pub progressive: bool,
    pub chroma_subsampling: Chroma,
    /// Optimised Huffman tables.
    pub optimize_coding: bool,
    /// mozjpeg's trellis quantisation and scan optimisation: smaller, slower.
    pub mozjpeg: bool,
}

impl Default for JpegOptions {
    fn default() -> Self {
        JpegOptions {
            quality: 80,
            progressive: false,
            chroma_subsampling: Chroma::Yuv420,
            optimize_coding: true,
            mozjpeg: false,
        }
    }
}

/// `png(options)`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct PngOptions {
    /// [`COMPRESSION_LEVEL`](super::options::COMPRESSION_LEVEL).
    pub compression_level: u8,
    /// Row filter chosen per row.
    pub adaptive_filtering: bool,
    /// Interlaced (Adam7) output: not implemented, refused by [`Spec::validate`](super::options::Spec::validate).
    pub progressive: bool,
    /// Quantise to at most `colours` colours.
    pub palette: bool,
    /// Palette quality, [`QUALITY_0`](super::options::QUALITY_0) (accepted as sharp does; NeuQuant has no such knob).
    pub quality: u8,
    /// [`COLOURS`](super::options::COLOURS).
    pub colours: u16,
    /// [`PALETTE_EFFORT`](super::options::PALETTE_EFFORT).
    pub effort: u8,
    /// [`DITHER`](super::options::DITHER) (accepted as sharp does; NeuQuant does not dither).
    pub dither: f32,
}

impl Default for PngOptions {
    fn default() -> Self {
        PngOptions {
            compression_level: 6,
            adaptive_filtering: false,
            progressive: false,
            palette: false,
            quality: 100,
            colours: 256,
            effort: 7,
            dither: 1.0,
        }
    }
}

/// `webp(options)`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct WebpOptions {
    /// [`QUALITY`](super::options::QUALITY).
    pub quality: u8,
    /// [`QUALITY_0`](super::options::QUALITY_0).
    pub alpha_quality: u8,
    pub lossless: bool,
    pub near_lossless: bool,
    /// libwebp's sharp YUV conversion.
    pub smart_subsample: bool,
    /// [`WEBP_EFFORT`](super::options::WEBP_EFFORT).
    pub effort: u8,
    /// Animated output: plays (0 = forever); `None` keeps the input's.
    #[serde(rename = "loop")]
    pub looping: Option<u16>,
    /// Animated output: per-frame delay in ms, [`DELAY_MS`](super::options::DELAY_MS); the last one repeats. Empty keeps the input's.
    pub delay: Vec<u32>,
}

impl Default for WebpOptions {
    fn default() -> Self {
        WebpOptions {
            quality: 80,
            alpha_quality: 100,
            lossless: false,
            near_lossless: false,
            smart_subsample: false,
            effort: 4,
            looping: None,
            delay: Vec::new(),
        }
    }
}

/// `avif(options)`: AV1 in HEIF through ravif (rav1e), 8-bit, 4:4:4.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct AvifOptions {
    /// sharp's scale, [`QUALITY`](super::options::QUALITY) (mapped onto ravif's by [`AvifOptions::ravif_quality`]).
    pub quality: u8,
    /// True lossless AV1 is not offered by ravif: refused by [`Spec::validate`](super::options::Spec::validate).
    pub lossless: bool,
    /// sharp's effort, [`AVIF_EFFORT`](super::options::AVIF_EFFORT): 0 fastest (rav1e speed 10) – 9 slowest (speed 1).
    pub effort: u8,
    /// Accepted as sharp takes it; ravif writes 4:4:4 whatever it says.
    pub chroma_subsampling: Chroma,
}

impl Default for AvifOptions {
    fn default() -> Self {
        AvifOptions {
            quality: 50,
            lossless: false,
            effort: 4,
            chroma_subsampling: Chroma::Yuv444,
        }
    }
}

impl AvifOptions {
    /// ravif's quality for sharp's: at sharp's 50 and 60, ravif's 65 and 82 give the same SSIM
    /// (within 0.005) at no more bytes (+5 %) on the bench photo at 800 px; a line through both.
    pub fn ravif_quality(&self) -> f32 {
        (65.0 + 1.7 * (f32::from(self.quality) - 50.0)).clamp(1.0, 100.0)
    }

    /// rav1e's speed (1–10) for sharp's effort (0–9).
    pub fn speed(&self) -> u8 {
        10 - self.effort.min(9)
    }
}

/// `gif(options)`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct GifOptions {
    /// [`COLOURS`](super::options::COLOURS).
    pub colours: u16,
    /// [`PALETTE_EFFORT`](super::options::PALETTE_EFFORT).
    pub effort: u8,
    /// [`DITHER`](super::options::DITHER) (accepted as sharp does; NeuQuant does not dither).
    pub dither: f32,
    /// Plays, [`LOOP`](super::options::LOOP) (0 = forever); `None` keeps the input's.
    #[serde(rename = "loop")]
    pub looping: Option<u16>,
    /// Per-frame delay in ms, [`DELAY_MS`](super::options::DELAY_MS); the last one repeats. Empty keeps the input's.
    pub delay: Vec<u32>,
}

impl Default for GifOptions {
    fn default() -> Self {
        GifOptions {
            colours: 256,
            effort: 7,
            dither: 1.0,
            looping: None,
            delay: Vec::new(),
        }
    }
}

/// Output encoders and their settings: `{ jpeg: {...} }`, …, or `'raw'` in JS.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    Jpeg(JpegOptions),
    Png(PngOptions),
    Webp(WebpOptions),
    Gif(GifOptions),
    Avif(AvifOptions),
    /// Raw 8-bit pixels, channels interleaved (sharp's depth 'uchar').
    Raw,
}

impl Output {
    /// The encoder names, as `toFormat` takes them.
    pub const FORMATS: [&'static str; 6] = ["jpeg", "png", "webp", "gif", "avif", "raw"];
    /// sharp's `raw({ depth })` values offered: 8-bit samples only.
    pub const RAW_DEPTHS: [&'static str; 1] = ["uchar"];
}
