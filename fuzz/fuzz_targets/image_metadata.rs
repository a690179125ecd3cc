#![no_main]
//! See `offthread_fuzz::image_metadata` (fuzz/src/lib.rs) for what is run and asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| offthread_fuzz::image_metadata(data));
