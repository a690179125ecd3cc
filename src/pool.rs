//! Binding of the pool: init, configure, close, stats, cancel, and the no-op / test tasks.

use crate::channel;
use crate::schedule::{self, Job, Ticket};
use crate::values::{self, Output};
use napi::{Env, JsValue, Unknown};
use napi_derive::napi;
use offthread_core::pool::machine::{Budget, MachineConfig};
use offthread_core::pool::{self, Config, Priority};

/// Connects this environment (main thread or worker) to the pool. Called once by `lib/`.
#[napi(catch_unwind)]
pub fn init(env: Env, settle: Unknown<'_>) -> napi::Result<()> {
    channel::init(env.raw(), settle.raw())
}

/// Pool options, validated in `lib/` before they get here.
#[napi(object)]
pub struct PoolOptions {
    pub threads: Option<u32>,
    /// `'background'` or `'normal'`.
    pub priority: Option<String>,
    pub max_queue: Option<u32>,
    /// The machine-wide budget, normalized by `lib/`: absent = as `OFFTHREAD_MACHINE` says.
    pub machine: Option<MachineOptions>,
}

/// `configure({ machine })` as `lib/` normalizes it (`true` is `{ enabled: true }`).
#[napi(object)]
pub struct MachineOptions {
    pub enabled: bool,
    /// Slots shared by every process using `dir`. @default the host's CPUs (cgroup-aware)
    pub slots: Option<u32>,
    /// @default `<tmpdir>/offthread-<uid>-machine`
    pub dir: Option<String>,
}

/// Sets the pool's options; throws `ERR_POOL_STARTED` once the pool has started.
#[napi(catch_unwind)]
pub fn configure(env: Env, options: PoolOptions) -> napi::Result<()> {
    let priority = match options.priority.as_deref() {
        None => None,
        Some(name) => match Priority::ALL.iter().find(|(n, _)| *n == name) {
            Some(&(_, p)) => Some(p),
            None => {
                let e = offthread_core::Error::new(
                    offthread_core::ErrorKind::InvalidArgValue,
                    format!("Unknown priority '{name}'"),
                );
                return Err(values::to_napi(&env, &e));
            }
        },
    };
    pool::configure(Config {
        threads: options.threads.map(|t| t as usize),
        priority,
        max_queue: options.max_queue.map(|q| q as usize),
        machine: options.machine.map(|m| match m.enabled {
            false => Budget::Off,
            true => Budget::On(MachineConfig {
                slots: m.slots.map(|s| s as usize),
                dir: m.dir.map(Into::into),
            }),
        }),
    })
    .map_err(|e| values::to_napi(&env, &e))
}

/// Stops admission process-wide: later submissions report `ERR_POOL_CLOSED`.
#[napi(catch_unwind)]
pub fn close() {
    pool::close();
}

/// The pool's counters in plain numbers, and its settings.
#[napi(object)]
pub struct PoolStats {
    pub threads: u32,
    pub max_queue: u32,
    pub priority: String,
    pub queued: f64,
    pub running: f64,
    pub completed: f64,
    pub failed: f64,
    pub cancelled: f64,
    pub rejected: f64,
    pub wait_p50_ms: f64,
    pub wait_p99_ms: f64,
    pub run_p50_ms: f64,
    pub run_p99_ms: f64,
    pub closed: bool,
    /// The machine-wide budget, or absent when it is off.
    pub machine: Option<MachineStats>,
}

/// The machine-wide budget's slots: how many, how many any process holds now, where.
#[napi(object)]
pub struct MachineStats {
    pub slots: u32,
    pub in_use: u32,
    pub dir: String,
}

/// Reads the pool's counters. Does not start the pool, so `configure()` still works after it.
#[napi(catch_unwind)]
pub fn stats() -> PoolStats {
    let settings = pool::settings();
    let s = pool::snapshot();
    PoolStats {
        threads: s.threads,
        max_queue: u32::try_from(settings.max_queue).unwrap_or(u32::MAX),
        priority: settings.priority.name().into(),
        queued: s.queued as f64,
        running: s.running as f64,
        completed: s.completed as f64,
        failed: s.failed as f64,
        cancelled: s.cancelled as f64,
        rejected: s.rejected as f64,
        wait_p50_ms: s.wait_p50_ms,
        wait_p99_ms: s.wait_p99_ms,
        run_p50_ms: s.run_p50_ms,
        run_p99_ms: s.run_p99_ms,
        closed: pool::is_closed(),
        machine: pool::machine_snapshot().map(|m| MachineStats {
            slots: m.slots,
            in_use: m.in_use,
            dir: m.dir,
        }),
    }
}

/// True once the pool has started (configure() is no longer allowed).
#[napi(catch_unwind)]
pub fn is_started() -> bool {
    pool::is_started()
}

/// Cancels task `id`; see `schedule::cancel`.
#[napi(catch_unwind)]
pub fn cancel(id: u32) -> napi::Result<u32> {
    schedule::cancel(id)
}

/// The nice value of a pool thread, measured on one (Linux; 0 elsewhere). For tests.
#[napi(catch_unwind)]
pub fn pool_thread_nice() -> i32 {
    #[cfg(target_os = "linux")]
    return pool::pool_thread_nice();
    #[cfg(not(target_os = "linux"))]
    0
}

/// A task that does nothing: measures the round trip.
#[napi(catch_unwind)]
pub fn noop(env: Env, ticket: Ticket) -> napi::Result<u32> {
    let job: Job = Box::new(|_| Ok(Output::Undefined));
    schedule::submit(&env, ticket, job)
}

/// Test hook: a task that panics (only with OFFTHREAD_TEST_HOOKS=1).
#[napi(catch_unwind)]
pub fn test_panic(env: Env, ticket: Ticket) -> napi::Result<u32> {
    let job: Job = Box::new(|_| offthread_core::test_panic("task").map(|()| Output::Undefined));
    schedule::submit(&env, ticket, job)
}

/// Test hook: a task that keeps its pool thread busy for `ms` and resolves to its start and end on
/// the host's monotonic clock in microseconds, `[start, end]` (only with OFFTHREAD_TEST_HOOKS=1).
#[napi(catch_unwind)]
pub fn test_spin(env: Env, ticket: Ticket, ms: u32) -> napi::Result<u32> {
    let job: Job = Box::new(move |state| {
        let (start, end) = pool::machine::test_spin(state, ms)?;
        Ok(Output::Value(serde_json::json!([start / 1000, end / 1000])))
    });
    schedule::submit(&env, ticket, job)
}

/// Test hook: a synchronous call that panics (only with OFFTHREAD_TEST_HOOKS=1).
#[napi(catch_unwind)]
pub fn test_panic_sync(env: Env) -> napi::Result<()> {
    let job: Job = Box::new(|_| offthread_core::test_panic("sync").map(|()| Output::Undefined));
    schedule::run_sync(&env, job).map(|_| ())
}
