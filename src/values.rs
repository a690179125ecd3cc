//! Converting task results and core errors into JS values with raw Node-API calls, which
//! also work inside the completion callback where only a raw `napi_env` is at hand.

use napi::{sys, JsValue};
use offthread_core::{Error, ErrorClass};
use std::ffi::c_void;
use std::ptr;

/// What a task produces, converted to a JS value on the JS thread.
pub enum Output {
    Undefined,
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    /// A plain value (numbers, strings, arrays, objects), built as JS values on the JS thread.
    Value(serde_json::Value),
    /// Bytes and a plain value describing them: becomes `[Buffer, value]`.
    BytesWith(Vec<u8>, serde_json::Value),
}

impl napi::bindgen_prelude::TypeName for Output {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Unknown
    }
}

impl napi::bindgen_prelude::ToNapiValue for Output {
    /// A `*Sync` call's result, converted like a task's.
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(to_js(env, val))
    }
}

/// A task's result as delivered to JS.
pub type TaskResult = offthread_core::Result<Output>;

unsafe fn string(env: sys::napi_env, s: &str) -> sys::napi_value {
    let mut v = ptr::null_mut();
    sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v);
    v
}

/// A plain JSON-like value as JS values (napi's serde support; no JSON text in between).
unsafe fn plain(env: sys::napi_env, value: &serde_json::Value) -> sys::napi_value {
    match napi::Env::from_raw(env).to_js_value(value) {
        Ok(v) => v.raw(),
        Err(_) => {
            let mut v = ptr::null_mut();
            sys::napi_get_undefined(env, &mut v);
            v
        }
    }
}

unsafe extern "C" fn free_vec(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    drop(Box::from_raw(hint.cast::<Vec<u8>>()));
}

/// Creates the JS value for `out`. Buffers take ownership of the bytes without copying.
///
/// # Safety
/// `env` must be the current environment, on its JS thread.
pub unsafe fn to_js(env: sys::napi_env, out: Output) -> sys::napi_value {
    let mut v = ptr::null_mut();
    match out {
        Output::Undefined => {
            sys::napi_get_undefined(env, &mut v);
        }
        Output::Bool(b) => {
            sys::napi_get_boolean(env, b, &mut v);
        }
        Output::Str(s) => v = string(env, &s),
        Output::Value(value) => v = plain(env, &value),
        Output::BytesWith(bytes, value) => {
            sys::napi_create_array_with_length(env, 2, &mut v);
            let data = to_js(env, Output::Bytes(bytes));
            sys::napi_set_element(env, v, 0, data);
            sys::napi_set_element(env, v, 1, plain(env, &value));
        }
        Output::Bytes(bytes) if bytes.is_empty() => {
            let mut data = ptr::null_mut();
            sys::napi_create_buffer(env, 0, &mut data, &mut v);
        }
        Output::Bytes(bytes) => {
            let mut boxed = Box::new(bytes);
            let (data, len) = (boxed.as_mut_ptr(), boxed.len());
            let hint = Box::into_raw(boxed);
            let status = sys::napi_create_external_buffer(
                env,
                len,
                data.cast(),
                Some(free_vec),
                hint.cast(),
                &mut v,
            );
            if status != sys::Status::napi_ok {
                // Runtimes that forbid external buffers: copy instead.
                let bytes = Box::from_raw(hint);
                let mut copy = ptr::null_mut();
                sys::napi_create_buffer_copy(
                    env,
                    bytes.len(),
                    bytes.as_ptr().cast(),
                    &mut copy,
                    &mut v,
                );
            }
        }
    }
    v
}

/// Creates a JS error object with `code` set, of the class the code implies.
///
/// # Safety
/// `env` must be the current environment, on its JS thread.
pub unsafe fn error(env: sys::napi_env, e: &Error) -> sys::napi_value {
    let code = string(env, e.code());
    let msg = string(env, e.message());
    let mut v = ptr::null_mut();
    match e.kind().class() {
        ErrorClass::TypeError => sys::napi_create_type_error(env, code, msg, &mut v),
        ErrorClass::RangeError => sys::napi_create_range_error(env, code, msg, &mut v),
        ErrorClass::Error => sys::napi_create_error(env, code, msg, &mut v),
    };
    if e.code() == "ABORT_ERR" {
        let name = string(env, "AbortError");
        sys::napi_set_named_property(env, v, c"name".as_ptr(), name);
    }
    v
}

/// A `napi::Error` that, when thrown by napi-rs, throws the JS error built by [`error`].
pub fn to_napi(env: &napi::Env, e: &Error) -> napi::Error {
    // SAFETY: called from a #[napi] function, on the JS thread of `env`.
    unsafe {
        let v = error(env.raw(), e);
        napi::Error::from_unknown_without_coercion(napi::Unknown::from_raw_unchecked(env.raw(), v))
    }
}
