#![no_main]
//! See `offthread_fuzz::json_scan` (fuzz/src/json.rs) for what is run and asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| offthread_fuzz::json_scan(data));
