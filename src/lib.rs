//! The Node binding of offthread: one file per area, each converting JS values to core types
//! and scheduling core calls. No algorithm lives here.

mod channel;
mod password;
mod pool;
mod schedule;
mod values;
