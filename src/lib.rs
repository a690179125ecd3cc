//! The Node binding of offthread: one file per area, each converting JS values to core types
//! and scheduling core calls. No algorithm lives here.

// Under `cargo test` napi-rs registers no exports, so the binding looks unused.
#![cfg_attr(test, allow(dead_code))]

mod channel;
mod compress;
mod digest;
mod image;
mod input;
mod json;
mod json_schema;
mod json_sink;
mod password;
mod policy;
mod pool;
mod schedule;
mod slot;
mod values;
