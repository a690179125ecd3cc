//! Task input bytes from JS: strings are copied as UTF-8, small binary inputs are copied, and
//! large ones are borrowed without copying. A borrowed view is kept alive by a reference that the
//! channel releases on the JS thread once the task has settled, and the environment's teardown
//! waits for tasks that are reading borrowed memory (see `channel::Borrowing`).

use napi::sys;
use std::ptr;

use napi::{Env, JsValue, Unknown};
use offthread_core::READ_IN_PLACE_FROM;

enum Part {
    Owned(Vec<u8>),
    Borrowed { ptr: *const u8, len: usize },
}

/// The bytes of one task's input: one or more parts hashed or compressed as one stream.
pub struct Input {
    parts: Vec<Part>,
    /// References keeping borrowed views alive; handed to the channel, released on the JS thread.
    refs: Vec<usize>,
}

// SAFETY: borrowed parts point into JS-owned memory that `refs` keep alive until the task has
// settled, and the environment's teardown waits for running readers; nothing writes through them.
unsafe impl Send for Input {}

impl Input {
    /// The parts as slices.
    pub fn slices(&self) -> Vec<&[u8]> {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Owned(v) => v.as_slice(),
                // SAFETY: see the `Send` impl: the memory stays alive and unchanged while borrowed.
                Part::Borrowed { ptr, len } if *len > 0 => unsafe {
                    std::slice::from_raw_parts(*ptr, *len)
                },
                Part::Borrowed { .. } => &[],
            })
            .collect()
    }
}

fn element_size(t: sys::napi_typedarray_type) -> usize {
    match t {
        sys::TypedarrayType::int16_array | sys::TypedarrayType::uint16_array => 2,
        sys::TypedarrayType::int32_array
        | sys::TypedarrayType::uint32_array
        | sys::TypedarrayType::float32_array => 4,
        sys::TypedarrayType::float64_array
        | sys::TypedarrayType::bigint64_array
        | sys::TypedarrayType::biguint64_array => 8,
        _ => 1,
    }
}

/// The raw bytes of a string, TypedArray, DataView or ArrayBuffer, or `None` for other values.
unsafe fn view(
    env: sys::napi_env,
    v: sys::napi_value,
) -> Option<(Option<Vec<u8>>, *const u8, usize)> {
    let mut t = 0;
    sys::napi_typeof(env, v, &mut t);
    if t == sys::ValueType::napi_string {
        let mut len = 0;
        sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len);
        let mut buf = vec![0u8; len + 1];
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), len + 1, &mut len);
        buf.truncate(len);
        return Some((Some(buf), ptr::null(), 0));
    }
    let mut yes = false;
    sys::napi_is_typedarray(env, v, &mut yes);
    if yes {
        let (mut kind, mut length, mut data, mut ab, mut offset) =
            (0, 0, ptr::null_mut(), ptr::null_mut(), 0);
        sys::napi_get_typedarray_info(
            env,
            v,
            &mut kind,
            &mut length,
            &mut data,
            &mut ab,
            &mut offset,
        );
        return Some((None, data as *const u8, length * element_size(kind)));
    }
    sys::napi_is_dataview(env, v, &mut yes);
    if yes {
        let (mut len, mut data, mut ab, mut offset) = (0, ptr::null_mut(), ptr::null_mut(), 0);
        sys::napi_get_dataview_info(env, v, &mut len, &mut data, &mut ab, &mut offset);
        return Some((None, data as *const u8, len));
    }
    sys::napi_is_arraybuffer(env, v, &mut yes);
    if yes {
        let (mut data, mut len) = (ptr::null_mut(), 0);
        sys::napi_get_arraybuffer_info(env, v, &mut data, &mut len);
        return Some((None, data as *const u8, len));
    }
    None
}

/// How `read` may take binary views.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// For a task: borrow large views with a reference, copy small ones.
    Task,
    /// For a synchronous call: borrow every view without a reference (valid until JS runs again).
    Sync,
}

/// Reads `value` (a string, binary view or array of them) into an `Input`.
///
/// # Safety
/// On the JS thread of `env`. With `Mode::Sync`, the input must be used before returning to JS.
unsafe fn read(env: sys::napi_env, value: sys::napi_value, mode: Mode) -> napi::Result<Input> {
    let mut items = Vec::new();
    let mut is_array = false;
    sys::napi_is_array(env, value, &mut is_array);
    if is_array {
        let mut n = 0;
        sys::napi_get_array_length(env, value, &mut n);
        for i in 0..n {
            let mut item = ptr::null_mut();
            sys::napi_get_element(env, value, i, &mut item);
            items.push(item);
        }
    } else {
        items.push(value);
    }
    let mut views = Vec::with_capacity(items.len());
    let mut binary_total = 0usize;
    for &item in &items {
        let v = view(env, item)
            .ok_or_else(|| napi::Error::from_reason("offthread: unsupported input type"))?;
        if v.0.is_none() {
            binary_total += v.2;
        }
        views.push((item, v));
    }
    let borrow = mode == Mode::Sync || binary_total >= READ_IN_PLACE_FROM;
    let mut input = Input {
        parts: Vec::with_capacity(views.len()),
        refs: Vec::new(),
    };
    for (item, (owned, data, len)) in views {
        match owned {
            Some(bytes) => input.parts.push(Part::Owned(bytes)),
            None if borrow && len > 0 => {
                if mode == Mode::Task {
                    let mut r = ptr::null_mut();
                    sys::napi_create_reference(env, item, 1, &mut r);
                    input.refs.push(r as usize);
                }
                input.parts.push(Part::Borrowed { ptr: data, len });
            }
            None if len == 0 => input.parts.push(Part::Owned(Vec::new())),
            None => input
                .parts
                .push(Part::Owned(std::slice::from_raw_parts(data, len).to_vec())),
        }
    }
    Ok(input)
}

/// A task's input: its bytes, and the references that keep its borrowed parts alive (for
/// `schedule::submit_reading`, which releases them once the task has settled).
pub fn for_task(env: &Env, data: Unknown<'_>) -> napi::Result<(Input, Vec<usize>)> {
    // SAFETY: called from a #[napi] function, on the JS thread of `env`.
    let mut input = unsafe { read(env.raw(), data.raw(), Mode::Task)? };
    let refs = std::mem::take(&mut input.refs);
    Ok((input, refs))
}

/// A `*Sync` call's input: every binary part borrowed, valid until the call returns to JS.
pub fn for_sync(env: &Env, data: Unknown<'_>) -> napi::Result<Input> {
    // SAFETY: on the JS thread of `env`; `run_sync` uses the input before returning.
    unsafe { read(env.raw(), data.raw(), Mode::Sync) }
}
