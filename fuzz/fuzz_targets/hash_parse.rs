#![no_main]
//! See `offthread_fuzz::hash_parse` (fuzz/src/lib.rs) for what is run and asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| offthread_fuzz::hash_parse(data));
