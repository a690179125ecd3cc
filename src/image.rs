//! Binding of images. The pipeline spec arrives as a JS object (built and validated by
//! lib/image.js) and is converted to `offthread_core::image::Spec` here, on the JS thread, before
//! anything is queued: a field that does not fit core's contract types is a synchronous
//! `ERR_INVALID_ARG_VALUE` naming its path. The input is a Buffer (borrowed when large) or a path
//! read on the worker thread; results come back as JS objects.

use crate::input::{self, Input};
use crate::schedule::{self, Job, Ticket};
use crate::values::{to_napi, Output};
use napi::bindgen_prelude::Object;
use napi::{Env, JsValue, Unknown, ValueType};
use napi_derive::napi;
use offthread_core::image::{
    self as core, Chroma, FailOn, Fit, GifOptions, Gravity, JpegOptions, Kernel, PngOptions,
    Resize, Sharpen, Spec, WebpOptions,
};
use offthread_core::{Error, ErrorKind, Result};
use serde_json::{json, Value};

fn invalid(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidArgValue,
        format!("invalid image spec{what}"),
    )
}

/// The JS object `value` as a core `Spec`, checked against core's ranges. Costs one walk of the
/// object (a few dozen properties); on the JS thread of `env`.
fn spec(env: &Env, value: Unknown<'_>) -> napi::Result<Spec> {
    let object =
        (value.get_type()? == ValueType::Object).then(|| Object::from_raw(env.raw(), value.raw()));
    // An array would deserialize as the struct's fields in order: not a spec either.
    let Some(object) = object.filter(|o| !o.is_array().unwrap_or(true)) else {
        return Err(to_napi(env, &invalid(": expected an object")));
    };
    let mut de = napi::De::new(&object);
    let spec: Spec = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let why = e.into_inner().reason;
        let at = if path == "." {
            String::new()
        } else {
            format!(" at {path}")
        };
        to_napi(env, &invalid(format!("{at}: {why}")))
    })?;
    spec.validate().map_err(|e| to_napi(env, &e))?;
    Ok(spec)
}

/// The input of a task: a path read on the worker thread, or bytes from JS.
enum Source {
    Path(String),
    Bytes(Input),
}

impl Source {
    /// The source and the references keeping its borrowed bytes alive; on the JS thread of `env`.
    fn read(
        env: &Env,
        path: Option<String>,
        data: Unknown<'_>,
    ) -> napi::Result<(Source, Vec<usize>)> {
        match path {
            Some(p) if p.contains('\0') => Err(to_napi(
                env,
                &Error::new(
                    ErrorKind::InvalidArgValue,
                    "Expected a path without NUL bytes for input",
                ),
            )),
            Some(p) => Ok((Source::Path(p), Vec::new())),
            None => {
                let (input, refs) = input::for_task(env, data)?;
                Ok((Source::Bytes(input), refs))
            }
        }
    }

    /// Runs `f` on the input's bytes: a path is read whole (a regular file of at most
    /// `spec.max_input_bytes`, checking `cancel` between pieces).
    fn with<T>(
        &self,
        spec: &Spec,
        cancel: core::Cancel,
        f: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<T> {
        match self {
            Source::Path(p) => f(&core::read_path(p.as_ref(), spec, cancel)?),
            Source::Bytes(input) => {
                let slices = input.slices();
                f(slices.first().copied().unwrap_or(&[]))
            }
        }
    }
}

/// The inputs of the composite layers: each a path (read on the worker thread) or bytes.
struct Layers(Vec<Source>);

impl Layers {
    /// On the JS thread of `env`: each item a string path or bytes; their borrowed bytes' references
    /// are added to `refs`.
    fn read(
        env: &Env,
        items: Option<Vec<Unknown<'_>>>,
        refs: &mut Vec<usize>,
    ) -> napi::Result<Layers> {
        let mut out = Vec::new();
        for item in items.unwrap_or_default() {
            let (source, more) = if item.get_type()? == ValueType::String {
                // SAFETY: a string, just checked.
                let path: String = unsafe { item.cast()? };
                Source::read(env, Some(path), item)?
            } else {
                Source::read(env, None, item)?
            };
            refs.extend(more);
            out.push(source);
        }
        Ok(Layers(out))
    }

    /// Runs `f` on every layer's bytes (paths read whole, as the main input's).
    fn with<T>(
        &self,
        spec: &Spec,
        cancel: core::Cancel,
        f: impl FnOnce(&[&[u8]]) -> Result<T>,
    ) -> Result<T> {
        let files = self
            .0
            .iter()
            .map(|s| match s {
                Source::Path(p) => core::read_path(p.as_ref(), spec, cancel).map(Some),
                Source::Bytes(_) => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        let parts: Vec<Vec<&[u8]>> = self
            .0
            .iter()
            .map(|s| match s {
                Source::Bytes(input) => input.slices(),
                Source::Path(_) => Vec::new(),
            })
            .collect();
        let bytes: Vec<&[u8]> = files
            .iter()
            .zip(&parts)
            .map(|(file, part)| match file {
                Some(v) => v.as_slice(),
                None => part.first().copied().unwrap_or(&[]),
            })
            .collect();
        f(&bytes)
    }
}

/// A result as a plain JS value (serialized on the pool thread, built as JS values on the JS one).
fn plain(value: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))
}

/// Queues the pipeline `spec` on the image at `path` or in `data`; resolves `[Buffer, info]`.
/// With `out_path`, the worker thread writes the file (libuv's threadpool stays free) and the
/// Buffer is empty. Returns the admission code; a spec that does not fit core's types throws.
#[napi(catch_unwind)]
pub fn image_process(
    env: Env,
    ticket: Ticket,
    #[napi(ts_arg_type = "object")] spec_value: Unknown<'_>,
    path: Option<String>,
    out_path: Option<String>,
    data: Unknown<'_>,
    layers: Option<Vec<Unknown<'_>>>,
) -> napi::Result<u32> {
    let spec = spec(&env, spec_value)?;
    let (source, mut refs) = Source::read(&env, path, data)?;
    let layers = Layers::read(&env, layers, &mut refs)?;
    let job: Job = Box::new(move |task| {
        let cancel = || task.is_cancelled();
        let encoded = source.with(&spec, &cancel, |bytes| {
            layers.with(&spec, &cancel, |inputs| {
                core::process_with(bytes, inputs, &spec, &cancel)
            })
        })?;
        let info = plain(encoded.info())?;
        match out_path {
            Some(p) => {
                // A temporary file renamed over the target: concurrent writers never mix.
                offthread_core::file::write_atomic(p.as_ref(), &encoded.data)?;
                Ok(Output::BytesWith(Vec::new(), info))
            }
            None => Ok(Output::BytesWith(encoded.data, info)),
        }
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

/// Queues a header read of the image at `path` or in `data`; resolves the metadata object. A
/// path is read only as far as its headers go (`spec.max_input_bytes` at most); of the spec,
/// only that field is used.
#[napi(catch_unwind)]
pub fn image_metadata(
    env: Env,
    ticket: Ticket,
    #[napi(ts_arg_type = "object")] spec_value: Unknown<'_>,
    path: Option<String>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    let spec = spec(&env, spec_value)?;
    let (source, refs) = Source::read(&env, path, data)?;
    let job: Job = Box::new(move |task| {
        let cancel = || task.is_cancelled();
        let m = match &source {
            Source::Path(p) => core::metadata_path(p.as_ref(), spec.max_input_bytes, &cancel)?,
            Source::Bytes(_) => source.with(&spec, &cancel, core::metadata)?,
        };
        Ok(Output::Value(plain(m)?))
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

/// Queues the ThumbHash of the processed image (the spec's output is ignored); resolves its bytes.
#[napi(catch_unwind)]
pub fn image_thumbhash(
    env: Env,
    ticket: Ticket,
    #[napi(ts_arg_type = "object")] spec_value: Unknown<'_>,
    path: Option<String>,
    data: Unknown<'_>,
    layers: Option<Vec<Unknown<'_>>>,
) -> napi::Result<u32> {
    let spec = spec(&env, spec_value)?;
    let (source, mut refs) = Source::read(&env, path, data)?;
    let layers = Layers::read(&env, layers, &mut refs)?;
    let job: Job = Box::new(move |task| {
        let cancel = || task.is_cancelled();
        source
            .with(&spec, &cancel, |bytes| {
                layers.with(&spec, &cancel, |inputs| {
                    core::thumbhash(bytes, inputs, &spec, &cancel)
                })
            })
            .map(Output::Bytes)
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

fn names<T: serde::Serialize>(all: &[T]) -> Value {
    serde_json::to_value(all).unwrap_or(Value::Null)
}

fn defaults(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The image policy lib/ validates with: every default, range and name list, from core. Plain
/// values; `native.policy().image` in JS. A new option's default and range reach it from core's
/// `Default` impls and `RANGES` table: nothing here changes.
pub fn policy() -> Value {
    let mut p = json!({
        "limitInputPixels": { "default": core::DEFAULT_LIMIT_PIXELS, "min": 0 },
        "failOn": names(&FailOn::ALL),
        "fits": names(&Fit::ALL),
        "kernels": names(&Kernel::ALL),
        "positions": names(&Gravity::ALL),
        "strategies": names(&core::Strategy::ALL),
        "strategyNumbers": [16, 17],
        "chromaSubsampling": names(&Chroma::ALL),
        "formats": core::Output::FORMATS,
        "rawDepths": core::Output::RAW_DEPTHS,
        "defaults": defaults(Spec::default()),
        "resize": defaults(Resize::default()),
        "blur": {},
        "sharpen": { "defaults": defaults(Sharpen::default()) },
        "negate": { "defaults": defaults(core::Negate::default()) },
        "gamma": { "defaults": defaults(core::Gamma::default()) },
        "threshold": { "defaults": defaults(core::Threshold::default()) },
        "extend": { "defaults": defaults(core::Extend::default()) },
        "modulate": { "defaults": defaults(core::Modulate::default()) },
        "median": { "default": core::MEDIAN_DEFAULT },
        "normalise": { "defaults": defaults(core::Normalise::default()) },
        "trim": { "defaults": defaults(core::Trim::default()) },
        "extendWith": names(&core::ExtendWith::ALL),
        "blends": names(&core::Blend::ALL),
        "jpeg": { "defaults": defaults(JpegOptions::default()) },
        "png": { "defaults": defaults(PngOptions::default()) },
        "webp": { "defaults": defaults(WebpOptions::default()) },
        "gif": { "defaults": defaults(GifOptions::default()) },
        "avif": { "defaults": defaults(core::AvifOptions::default()) },
    });
    for (area, name, min, max) in core::RANGES {
        let table = if area.is_empty() {
            &mut p
        } else {
            &mut p[area]
        };
        table[name] = json!({ "min": min, "max": max });
    }
    p
}
