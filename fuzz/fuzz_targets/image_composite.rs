#![no_main]
//! See `offthread_fuzz::image_composite` (fuzz/src/composite.rs) for what is run and asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| offthread_fuzz::image_composite(data));
