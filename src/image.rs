//! Binding of images: the pipeline spec arrives as JSON (built and validated by lib/image.js),
//! the input as a Buffer (borrowed when large) or a path read on the worker thread.

use crate::input::{self, Mode};
use crate::schedule::{self, Job};
use crate::values::Output;
use napi::{Env, JsValue, Unknown};
use napi_derive::napi;
use offthread_core::image::{
    self as core, Fit, Gravity, Kernel, Ops, Palette, Region, Resize, Rgba, Spec,
};
use offthread_core::{Error, ErrorKind, Result};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsSpec {
    limit_input_pixels: f64,
    auto_orient: bool,
    fail_on: String,
    animated: bool,
    keep_metadata: bool,
    #[serde(default)]
    rotate: Option<(f64, [u8; 4])>,
    #[serde(default)]
    extract_before: Option<[u32; 4]>,
    #[serde(default)]
    flip: bool,
    #[serde(default)]
    flop: bool,
    #[serde(default)]
    resize: Option<JsResize>,
    #[serde(default)]
    extract_after: Option<[u32; 4]>,
    #[serde(default)]
    flatten: Option<[u8; 4]>,
    #[serde(default)]
    blur: Option<f32>,
    #[serde(default)]
    sharpen: Option<(f32, f32, f32)>,
    #[serde(default)]
    grayscale: bool,
    #[serde(default)]
    output: Option<JsOutput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsResize {
    width: Option<u32>,
    height: Option<u32>,
    fit: String,
    position: String,
    kernel: String,
    without_enlargement: bool,
    without_reduction: bool,
    background: [u8; 4],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsOutput {
    format: String,
    #[serde(default)]
    quality: u8,
    #[serde(default)]
    progressive: bool,
    #[serde(default)]
    chroma444: bool,
    #[serde(default)]
    optimize_coding: bool,
    #[serde(default)]
    mozjpeg: bool,
    #[serde(default)]
    compression_level: u8,
    #[serde(default)]
    adaptive_filtering: bool,
    #[serde(default)]
    palette: bool,
    #[serde(default)]
    colours: u16,
    #[serde(default)]
    effort: u8,
    #[serde(default)]
    dither: f32,
    #[serde(default)]
    alpha_quality: u8,
    #[serde(default)]
    lossless: bool,
    #[serde(default)]
    near_lossless: bool,
    #[serde(default)]
    smart_subsample: bool,
    #[serde(default)]
    looping: Option<u16>,
    #[serde(default)]
    delay: Vec<u32>,
}

fn invalid(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidArgValue,
        format!("invalid image spec: {what}"),
    )
}

fn region(r: [u32; 4]) -> Region {
    Region {
        left: r[0],
        top: r[1],
        width: r[2],
        height: r[3],
    }
}

fn gravity(name: &str) -> Result<Gravity> {
    Ok(match name {
        "centre" => Gravity::Centre,
        "north" => Gravity::North,
        "east" => Gravity::East,
        "south" => Gravity::South,
        "west" => Gravity::West,
        "northeast" => Gravity::NorthEast,
        "southeast" => Gravity::SouthEast,
        "southwest" => Gravity::SouthWest,
        "northwest" => Gravity::NorthWest,
        other => return Err(invalid(format!("position {other}"))),
    })
}

fn resize(r: JsResize) -> Result<Resize> {
    Ok(Resize {
        width: r.width,
        height: r.height,
        fit: match r.fit.as_str() {
            "cover" => Fit::Cover,
            "contain" => Fit::Contain,
            "fill" => Fit::Fill,
            "inside" => Fit::Inside,
            "outside" => Fit::Outside,
            other => return Err(invalid(format!("fit {other}"))),
        },
        position: gravity(&r.position)?,
        kernel: match r.kernel.as_str() {
            "nearest" => Kernel::Nearest,
            "linear" => Kernel::Linear,
            "cubic" => Kernel::Cubic,
            "mitchell" => Kernel::Mitchell,
            "lanczos3" => Kernel::Lanczos3,
            other => return Err(invalid(format!("kernel {other}"))),
        },
        without_enlargement: r.without_enlargement,
        without_reduction: r.without_reduction,
        background: Rgba(r.background),
    })
}

fn output(o: JsOutput) -> Result<core::Output> {
    let palette = Palette {
        colours: o.colours,
        quality: o.quality,
        effort: o.effort,
        dither: o.dither,
    };
    Ok(match o.format.as_str() {
        "jpeg" => core::Output::Jpeg {
            quality: o.quality,
            progressive: o.progressive,
            chroma_444: o.chroma444,
            optimize_coding: o.optimize_coding,
            mozjpeg: o.mozjpeg,
        },
        "png" => core::Output::Png {
            level: o.compression_level,
            adaptive_filtering: o.adaptive_filtering,
            progressive: o.progressive,
            palette: o.palette.then_some(palette),
        },
        "webp" => core::Output::Webp {
            quality: o.quality,
            alpha_quality: o.alpha_quality,
            lossless: o.lossless,
            near_lossless: o.near_lossless,
            smart_subsample: o.smart_subsample,
            effort: o.effort,
        },
        "gif" => core::Output::Gif {
            palette,
            looping: o.looping,
            delay_ms: o.delay,
        },
        "raw" => core::Output::Raw,
        other => return Err(invalid(format!("format {other}"))),
    })
}

fn spec(json: &str) -> Result<Spec> {
    let s: JsSpec = serde_json::from_str(json).map_err(invalid)?;
    let limit = if s.limit_input_pixels.is_finite() && s.limit_input_pixels > 0.0 {
        s.limit_input_pixels as u64
    } else {
        0
    };
    Ok(Spec {
        limit_pixels: limit,
        auto_orient: s.auto_orient,
        fail_on: match s.fail_on.as_str() {
            "none" => core::FailOn::None,
            "truncated" => core::FailOn::Truncated,
            "error" => core::FailOn::Error,
            _ => core::FailOn::Warning,
        },
        animated: s.animated,
        keep_metadata: s.keep_metadata,
        ops: Ops {
            rotate: s.rotate.map(|(a, bg)| (a, Rgba(bg))),
            extract_before: s.extract_before.map(region),
            flip: s.flip,
            flop: s.flop,
            resize: s.resize.map(resize).transpose()?,
            extract_after: s.extract_after.map(region),
            flatten: s.flatten.map(Rgba),
            blur: s.blur,
            sharpen: s.sharpen,
            grayscale: s.grayscale,
        },
        output: s.output.map(output).transpose()?,
    })
}

/// The input of a task: a path read on the worker thread, or bytes from JS.
enum Source {
    Path(String),
    Bytes(input::Input),
}

impl Source {
    /// # Safety
    /// On the JS thread of `env`.
    unsafe fn read(
        env: &Env,
        path: Option<String>,
        data: Unknown<'_>,
    ) -> napi::Result<(Source, Vec<usize>)> {
        match path {
            Some(p) => Ok((Source::Path(p), Vec::new())),
            None => {
                let mut input = input::read(env.raw(), data.raw(), Mode::Task)?;
                let refs = std::mem::take(&mut input.refs);
                Ok((Source::Bytes(input), refs))
            }
        }
    }

    fn with<T>(&self, f: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        match self {
            Source::Path(p) => f(&std::fs::read(p)?),
            Source::Bytes(input) => {
                let slices = input.slices();
                f(slices.first().copied().unwrap_or(&[]))
            }
        }
    }
}

fn info_json(e: &core::Encoded) -> String {
    format!(
        r#"{{"format":"{}","width":{},"height":{},"channels":{},"size":{},"pages":{}}}"#,
        e.format,
        e.width,
        e.height,
        e.channels,
        e.data.len(),
        e.pages
    )
}

/// Queues the pipeline `spec` on the image at `path` or in `data`; with `out_path`, the worker
/// thread writes the file (libuv's threadpool stays free). Returns 0, or why it was refused.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn image_process(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    spec_json: String,
    path: Option<String>,
    out_path: Option<String>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let (source, refs) = unsafe { Source::read(&env, path, data)? };
    let job: Job = Box::new(move |task| {
        let spec = spec(&spec_json)?;
        let cancel = || task.is_cancelled();
        let encoded = source.with(|bytes| core::process(bytes, &spec, &cancel))?;
        let info = info_json(&encoded);
        match out_path {
            Some(p) => {
                std::fs::write(p, &encoded.data)?;
                Ok(Output::Image(Vec::new(), info))
            }
            None => Ok(Output::Image(encoded.data, info)),
        }
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// Queues a header read of the image at `path` or in `data`; resolves a JSON string.
#[napi(catch_unwind)]
pub fn image_metadata(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    path: Option<String>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let (source, refs) = unsafe { Source::read(&env, path, data)? };
    let job: Job = Box::new(move |_task| {
        let m = source.with(core::metadata)?;
        let opt = |v: Option<String>| v.map_or_else(String::new, |s| format!(",{s}"));
        let json = format!(
            r#"{{"format":"{}","size":{},"width":{},"height":{},"space":"{}","channels":{},"isProgressive":{},"pages":{},"hasProfile":{},"hasAlpha":{}{}{}}}"#,
            m.format.name(),
            m.size,
            m.width,
            m.height,
            m.space,
            m.channels,
            m.is_progressive,
            m.pages,
            m.has_profile,
            m.has_alpha,
            opt(m.density.map(|d| format!(r#""density":{d}"#))),
            opt(m.orientation.map(|o| format!(r#""orientation":{o}"#))),
        );
        Ok(Output::Str(json))
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// Queues the ThumbHash of the processed image; resolves its bytes.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn image_thumbhash(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    spec_json: String,
    path: Option<String>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let (source, refs) = unsafe { Source::read(&env, path, data)? };
    let job: Job = Box::new(move |task| {
        let spec = spec(&spec_json)?;
        let cancel = || task.is_cancelled();
        source
            .with(|bytes| core::thumbhash(bytes, &spec, &cancel))
            .map(Output::Bytes)
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}
