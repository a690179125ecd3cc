#![no_main]
//! See `offthread_fuzz::decompress` (fuzz/src/lib.rs) for what is run and asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| offthread_fuzz::decompress(data));
