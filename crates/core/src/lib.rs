//! offthread's core: the low-priority pool and the algorithms it runs, in pure Rust.
//!
//! Nothing here knows about Node: the `offthread` crate at the workspace root is the binding.

pub mod compress;
pub mod digest;
pub mod error;
pub mod file;
pub mod hugepages;
pub mod image;
pub mod json;
pub mod password;
pub mod pool;

pub use error::{Error, ErrorClass, ErrorKind, Result};

/// Task inputs of at least this many bytes (binary parts, in all) are read in place by the worker
/// thread instead of being copied on the JS thread; the JS side pins (or copies) such inputs so
/// that their memory outlives the task. Below it, copying costs less than pinning.
pub const READ_IN_PLACE_FROM: usize = 64 * 1024;

/// Test-only hook: panics when `OFFTHREAD_TEST_HOOKS=1` was set at start-up; otherwise an
/// `ERR_INVALID_ARG_VALUE` error. Lets tests prove that a panic in a task becomes an error.
pub fn test_panic(what: &str) -> Result<()> {
    if std::env::var("OFFTHREAD_TEST_HOOKS").as_deref() == Ok("1") {
        panic!("test panic requested: {what}");
    }
    Err(Error::new(
        ErrorKind::InvalidArgValue,
        "test hooks are disabled (set OFFTHREAD_TEST_HOOKS=1)",
    ))
}
