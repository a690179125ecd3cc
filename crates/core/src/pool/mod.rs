//! offthread's process-wide pool: a lazily built rayon pool whose threads run below the JS
//! thread's OS priority, with bounded admission, cancellation and counters.
//!
//! The pool is installed as rayon's global pool, so crates that use rayon internally (argon2's
//! parallel lanes, blake3) run on the same low-priority threads.

mod codes;
mod doorbell;
pub mod machine;
mod priority;
pub mod slot;
mod stats;
mod task;

pub use codes::{Admission, Executor};
#[cfg(target_os = "linux")]
pub use priority::current_nice;
pub use priority::{apply_to_current_thread, Priority};
pub use stats::{Snapshot, WINDOW, WINDOW_AGE};
pub use task::{CancelOutcome, TaskState};

use crate::{Error, ErrorKind, Result};
use stats::Stats;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The most threads `configure` accepts.
pub const MAX_THREADS: usize = 1024;
/// The most queued tasks `configure` accepts.
pub const MAX_QUEUE: usize = 1 << 24;
/// Default queue bound per thread.
pub const QUEUE_PER_THREAD: usize = 64;
/// Results settled on the JS thread per event-loop turn at most; the rest wait for the next turn.
/// Node delivers thread-safe-function calls up to 1000 at a time, and each settled promise lets
/// callers submit again, so without a budget a stream of microsecond tasks would hold the loop.
pub const SETTLE_PER_TURN: u32 = 16;
/// The environment variable that sets the thread count when `configure` did not.
pub const THREADS_ENV: &str = "OFFTHREAD_THREADS";

/// What `configure` may set. `None` keeps the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub threads: Option<usize>,
    pub priority: Option<Priority>,
    pub max_queue: Option<usize>,
    /// The machine-wide budget (see [`machine`]); `None`: as `OFFTHREAD_MACHINE` says.
    pub machine: Option<machine::Budget>,
}

/// The settled configuration of a started pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub threads: usize,
    pub priority: Priority,
    pub max_queue: usize,
}

struct Pool {
    settings: Settings,
    stats: Stats,
    closed: AtomicBool,
    /// Set when rayon's global pool was already built by someone else: we then use our own.
    private: Option<rayon::ThreadPool>,
    /// The machine-wide budget, when on: each job takes one of its slots before it runs.
    machine: Option<machine::Machine>,
}

static CONFIG: Mutex<Config> = Mutex::new(Config {
    threads: None,
    priority: None,
    max_queue: None,
    machine: None,
});
static POOL: OnceLock<Pool> = OnceLock::new();
/// The budget `configure` opened (so that a bad directory fails there), until the pool takes it.
static OPENED: Mutex<Option<machine::Machine>> = Mutex::new(None);

/// Sets the pool's options before its first use. `ERR_POOL_STARTED` once it has started.
pub fn configure(config: Config) -> Result<()> {
    if let Some(t) = config.threads {
        if !(1..=MAX_THREADS).contains(&t) {
            return Err(Error::out_of_range("threads", 1, MAX_THREADS as u64, t));
        }
    }
    if let Some(q) = config.max_queue {
        if !(1..=MAX_QUEUE).contains(&q) {
            return Err(Error::out_of_range("maxQueue", 1, MAX_QUEUE as u64, q));
        }
    }
    let mut current = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    if POOL.get().is_some() {
        return Err(Error::new(
            ErrorKind::PoolStarted,
            "configure() must be called before the pool's first use",
        ));
    }
    if let Some(budget) = &config.machine {
        let opened = match budget {
            machine::Budget::On(m) => Some(machine::Machine::open(m)?),
            machine::Budget::Off => None,
        };
        *OPENED.lock().unwrap_or_else(|e| e.into_inner()) = opened;
    }
    *current = Config {
        threads: config.threads.or(current.threads),
        priority: config.priority.or(current.priority),
        max_queue: config.max_queue.or(current.max_queue),
        machine: config.machine.or(current.machine.take()),
    };
    Ok(())
}

/// The budget the pool starts with: the one `configure` opened, else `OFFTHREAD_MACHINE`'s. A
/// directory the environment names but that cannot be used leaves the budget off, with a warning
/// on stderr (there is no caller to throw to).
fn resolve_machine(config: Option<&machine::Budget>) -> Option<machine::Machine> {
    match config {
        Some(_) => OPENED.lock().unwrap_or_else(|e| e.into_inner()).take(),
        None if machine::wanted_by_env() => {
            machine::Machine::open(&machine::MachineConfig::default())
                .inspect_err(|e| eprintln!("offthread: {} ignored: {e}", machine::MACHINE_ENV))
                .ok()
        }
        None => None,
    }
}

/// The thread count: `configure`, then `OFFTHREAD_THREADS`, then the available parallelism
/// (which honours cgroup CPU quotas). `RAYON_NUM_THREADS` is ignored.
fn resolve(config: &Config) -> Settings {
    let from_env = std::env::var(THREADS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|t| (1..=MAX_THREADS).contains(t));
    let threads = config
        .threads
        .or(from_env)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    Settings {
        threads,
        priority: config.priority.unwrap_or_default(),
        max_queue: config
            .max_queue
            .unwrap_or(threads.saturating_mul(QUEUE_PER_THREAD)),
    }
}

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        let config = CONFIG.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let settings = resolve(&config);
        let builder = || {
            let priority = settings.priority;
            rayon::ThreadPoolBuilder::new()
                .num_threads(settings.threads)
                .thread_name(|i| format!("offthread-{i}"))
                .start_handler(move |_| priority::apply_to_current_thread(priority))
                // Jobs catch their own panics; this only keeps a stray one from aborting.
                .panic_handler(|_| {})
        };
        let private = match builder().build_global() {
            Ok(()) => None,
            Err(_) => builder().build().ok(),
        };
        Pool {
            settings,
            stats: Stats::new(),
            closed: AtomicBool::new(false),
            private,
            machine: resolve_machine(config.machine.as_ref()),
        }
    })
}

/// Starts the pool if needed and returns its settings. Call it before any code that may use
/// rayon, so that rayon's global pool is ours.
pub fn start() -> Settings {
    pool().settings
}

/// True once the pool has been started.
pub fn is_started() -> bool {
    POOL.get().is_some()
}

/// True when the pool runs under the machine-wide budget: memory a task would keep for the
/// thread's next task (argon2's block arena) is given back instead, since with the budget most
/// threads wait most of the time and only a slot's worth of them may run.
pub fn has_machine_budget() -> bool {
    POOL.get().is_some_and(|p| p.machine.is_some())
}

/// True when some pool thread is idle and nothing waits: the moment to split a task (argon2's
/// lanes) across threads. False before the pool starts, and always with the machine budget on
/// (a task's slot covers one thread).
pub fn has_idle_threads() -> bool {
    POOL.get().is_some_and(|p| {
        p.machine.is_none()
            && p.stats.queued.load(Ordering::Relaxed) == 0
            && p.stats.running.load(Ordering::Relaxed) < p.settings.threads as u64
    })
}

/// Tasks waiting in the pool's queue now (cheap: one atomic load; 0 before the pool starts).
pub fn queued() -> u64 {
    POOL.get()
        .map_or(0, |p| p.stats.queued.load(Ordering::Relaxed))
}

/// Stops admission for good: later submissions fail with `ERR_POOL_CLOSED`.
pub fn close() {
    pool().closed.store(true, Ordering::SeqCst);
}

/// True after [`close`].
pub fn is_closed() -> bool {
    POOL.get().is_some_and(|p| p.closed.load(Ordering::SeqCst))
}

/// Tasks admitted to another executor (libuv's threadpool) that have not started running.
static WAITING_ELSEWHERE: AtomicUsize = AtomicUsize::new(0);

/// Admission for a task queued on another executor (libuv's threadpool), by the pool's rules:
/// `ERR_POOL_CLOSED` after `close()`, and `ERR_QUEUE_FULL` when `maxQueue` tasks already wait there.
/// Does not start the pool. Each admitted task must call [`left_queue_elsewhere`] once.
pub fn admit_elsewhere() -> Result<()> {
    if is_closed() {
        return Err(Error::new(ErrorKind::PoolClosed, "The pool is closed"));
    }
    let waiting = WAITING_ELSEWHERE.fetch_add(1, Ordering::AcqRel);
    // The default bound is at least QUEUE_PER_THREAD: resolve the settings only past it.
    let configured = CONFIG.lock().unwrap_or_else(|e| e.into_inner()).max_queue;
    let full = match configured {
        Some(max) => waiting >= max,
        None => waiting >= QUEUE_PER_THREAD && waiting >= settings().max_queue,
    };
    if full {
        WAITING_ELSEWHERE.fetch_sub(1, Ordering::AcqRel);
        if let Some(p) = POOL.get() {
            p.stats.rejected.fetch_add(1, Ordering::Relaxed);
        }
        return Err(Error::new(ErrorKind::QueueFull, "The queue is full"));
    }
    Ok(())
}

/// A task admitted by [`admit_elsewhere`] started running (or was dropped): it no longer waits.
pub fn left_queue_elsewhere() {
    WAITING_ELSEWHERE.fetch_sub(1, Ordering::AcqRel);
}

/// The pool's settings: the live ones once started, otherwise those it would start with.
pub fn settings() -> Settings {
    match POOL.get() {
        Some(p) => p.settings,
        None => resolve(&CONFIG.lock().unwrap_or_else(|e| e.into_inner())),
    }
}

/// The pool's counters and latency percentiles. Does not start the pool (all zero before).
pub fn snapshot() -> Snapshot {
    match POOL.get() {
        Some(p) => p
            .stats
            .snapshot(u32::try_from(p.settings.threads).unwrap_or(u32::MAX)),
        None => Snapshot {
            threads: u32::try_from(settings().threads).unwrap_or(u32::MAX),
            ..Snapshot::default()
        },
    }
}

/// The machine-wide budget's slots, slots in use (a probe of every slot: a few system calls
/// each) and directory; `None` when the budget is off. Does not start the pool.
pub fn machine_snapshot() -> Option<machine::MachineSnapshot> {
    match POOL.get() {
        Some(p) => p.machine.as_ref().map(machine::Machine::snapshot),
        None => OPENED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(machine::Machine::snapshot),
    }
}

/// Runs `f`, turning a panic into an `ERR_INTERNAL` error.
pub fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Error::new(
                ErrorKind::Internal,
                format!("internal error (panic: {what})"),
            ))
        }
    }
}

/// Queues `work` on the pool; `done` receives its result on the pool thread.
///
/// Fails at once, without queuing, with `ERR_POOL_CLOSED` after [`close`] or `ERR_QUEUE_FULL`
/// when `max_queue` tasks are already waiting. A task cancelled while queued never runs and
/// `done` is not called (the canceller settles it). Panics in `work` become `ERR_INTERNAL`.
///
/// Submitted from a worker thread running a JS task ([`slot::enter`]), the task is also lent to
/// that task's pool thread ([`slot::lend`]): whichever takes it first runs it, so a JS task that
/// awaits native work never waits for a slot it holds itself.
pub fn submit<T, W, D>(state: Arc<TaskState>, work: W, done: D) -> Result<()>
where
    T: Send + 'static,
    W: FnOnce(&TaskState) -> Result<T> + Send + 'static,
    D: FnOnce(Result<T>) + Send + 'static,
{
    let p = pool();
    admit_to(p)?;
    let lender = slot::current();
    let waiting = state.clone();
    // `slot`: the machine budget's slot, `Some(None)` when it gave up waiting (the task was
    // cancelled meanwhile); released before `done`, so a settled task no longer holds it.
    let run = move |slot: slot::MachineSlot| {
        let Some(claimed) = claim_in(p, &state) else {
            return; // cancelled while queued; `cancel` already counted it
        };
        let result = if state.is_cancelled() || matches!(slot, Some(None)) {
            Err(Error::aborted())
        } else {
            guarded(|| work(&state))
        };
        let result = claimed.finish(&state, result);
        drop(slot);
        let _ = catch_unwind(AssertUnwindSafe(|| done(result)));
    };
    if lender == 0 {
        spawn(p, move || {
            // With the machine budget, wait here (still queued, so still cancellable) for a slot.
            let slot = p
                .machine
                .as_ref()
                .map(|m| m.acquire(|| waiting.is_cancelled()));
            run(slot);
        });
        return Ok(());
    }
    let lent = slot::LentJob::new(run);
    slot::lend(lender, lent.clone());
    spawn(p, move || {
        if lent.is_taken() {
            return; // the lender's thread ran it
        }
        let slot = p
            .machine
            .as_ref()
            .map(|m| m.acquire(|| waiting.is_cancelled() || lent.is_taken()));
        lent.run(slot);
    });
    Ok(())
}

fn admit_to(p: &Pool) -> Result<()> {
    if p.closed.load(Ordering::SeqCst) {
        return Err(Error::new(ErrorKind::PoolClosed, "The pool is closed"));
    }
    let waiting = p.stats.queued.fetch_add(1, Ordering::AcqRel);
    if waiting >= p.settings.max_queue as u64 {
        p.stats.queued.fetch_sub(1, Ordering::AcqRel);
        p.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return Err(Error::new(
            ErrorKind::QueueFull,
            format!("The queue is full ({} tasks waiting)", p.settings.max_queue),
        ));
    }
    Ok(())
}

/// Counts one task as queued, under [`submit`]'s admission rules (`ERR_POOL_CLOSED`,
/// `ERR_QUEUE_FULL`), for work that a pool job other than its own will [`claim`] (bcrypt's lane
/// runner). Each admitted task must later be claimed, or cancelled with [`cancel`].
pub fn admit() -> Result<()> {
    admit_to(pool())
}

/// Runs `job` on a pool thread, in FIFO order with submitted tasks. Not a task: not counted,
/// not cancellable. For the jobs that [`claim`] admitted tasks.
pub fn spawn_uncounted(job: impl FnOnce() + Send + 'static) {
    let p = pool();
    if let Some(m) = &p.machine {
        // One slot for the whole job (it claims its tasks, whose cancellation it handles).
        return spawn(p, move || {
            let _slot = m.acquire(|| false);
            job();
        });
    }
    spawn(p, job);
}

/// An admitted task taken off the queue by a pool job: it counts as running until
/// [`Claimed::finish`].
#[must_use = "a claimed task counts as running until finish() is called"]
pub struct Claimed {
    pool: &'static Pool,
    started: std::time::Instant,
    wait: std::time::Duration,
}

fn claim_in(p: &'static Pool, state: &TaskState) -> Option<Claimed> {
    if !state.start() {
        return None;
    }
    p.stats.queued.fetch_sub(1, Ordering::AcqRel);
    p.stats.running.fetch_add(1, Ordering::AcqRel);
    let started = std::time::Instant::now();
    Some(Claimed {
        pool: p,
        started,
        wait: started.duration_since(state.created()),
    })
}

/// On a pool thread: moves an [`admit`]ted task from queued to running. `None` when it was
/// cancelled while queued (then [`cancel`] already counted it): it must not run.
pub fn claim(state: &TaskState) -> Option<Claimed> {
    claim_in(pool(), state)
}

impl Claimed {
    /// Ends the task: `result` becomes `ABORT_ERR` if a cancel arrived while it ran; records its
    /// wait and run time and counts it completed, failed or cancelled.
    pub fn finish<T>(self, state: &TaskState, result: Result<T>) -> Result<T> {
        let result = if state.finish() {
            Err(Error::aborted())
        } else {
            result
        };
        let s = &self.pool.stats;
        s.record(self.wait, self.started.elapsed());
        let counter = match &result {
            Ok(_) => &s.completed,
            Err(e) if e.kind() == ErrorKind::Aborted => &s.cancelled,
            Err(_) => &s.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        s.running.fetch_sub(1, Ordering::AcqRel);
        result
    }
}

/// Tasks running now (cheap: one atomic load; 0 before the pool starts). Batched tasks count
/// one each, so this can exceed the thread count.
pub fn running() -> u64 {
    POOL.get()
        .map_or(0, |p| p.stats.running.load(Ordering::Relaxed))
}

fn spawn(p: &Pool, job: impl FnOnce() + Send + 'static) {
    match &p.private {
        Some(private) => private.spawn_fifo(job),
        None => rayon::spawn_fifo(job),
    }
}

/// The nice value one pool thread runs at (Linux), measured on the thread: for tests.
#[cfg(target_os = "linux")]
pub fn pool_thread_nice() -> i32 {
    let (tx, rx) = std::sync::mpsc::channel();
    spawn(pool(), move || {
        let _ = tx.send(priority::current_nice());
    });
    rx.recv().unwrap_or(0)
}

/// Cancels a pool task. When it was still queued, it leaves the queue and counts as cancelled.
pub fn cancel(state: &TaskState) -> CancelOutcome {
    let outcome = state.cancel();
    if outcome == CancelOutcome::WasQueued {
        if let Some(p) = POOL.get() {
            p.stats.queued.fetch_sub(1, Ordering::AcqRel);
            p.stats.cancelled.fetch_add(1, Ordering::Relaxed);
        }
    }
    outcome
}

/// Runs `work` on the calling thread with the same panic and cancellation handling as a pool
/// task. Used by the `*Sync` functions and the libuv executor; does not touch pool counters.
pub fn run_here<T>(state: &TaskState, work: impl FnOnce(&TaskState) -> Result<T>) -> Result<T> {
    if !state.start() {
        return Err(Error::aborted());
    }
    let result = if state.is_cancelled() {
        Err(Error::aborted())
    } else {
        guarded(|| work(state))
    };
    if state.finish() {
        Err(Error::aborted())
    } else {
        result
    }
}
