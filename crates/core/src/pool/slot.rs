//! Slots: pool threads lent to JavaScript tasks (`workers()` / `run()` in lib/), so that native and
//! JS tasks share one CPU budget and one queue.
//!
//! A JS task is admitted like a native task ([`super::admit`]: the same `maxQueue`, `ERR_QUEUE_FULL`
//! and `ERR_POOL_CLOSED`, counted queued) and waits in this module's FIFO. A *lease* is a pool thread
//! blocked here on JavaScript's behalf: a lease job, queued on the pool in FIFO order with native
//! tasks, takes the oldest waiting JS task when it starts and reports the start to that task's
//! environment ([`Starter`]). While the task runs on a worker thread the lease's pool thread sleeps,
//! so native and JS tasks together never run more than `threads` things at once.
//!
//! When a task ends ([`release`]), its lease goes on at once, without a trip through the pool, to the
//! oldest waiting JS task if no native task waits; if one does, the thread goes back to the pool. With
//! no JS task waiting, the lease stays a moment as a *spare* (until its environment's next turn calls
//! [`trim`], at most [`SPARE_MAX`]) so that a loop awaiting one task after another takes it straight
//! back ([`acquire`] starts the task at once).
//!
//! *Lending.* A JS task that awaits offthread's own work (a native task, or a task of a pool inside its
//! worker) would otherwise wait for a thread while holding one: with every thread held that way,
//! nothing could start. So a worker thread says which task it runs ([`enter`]), and the work that task
//! submits may use its lease: a native task is queued on the pool as usual and also handed to the
//! lease ([`lend`]), whose sleeping thread runs it unless a pool thread took it first; a JS task of a
//! nested pool starts on the lease at once ([`acquire`]). A lease serves one such borrower at a time,
//! the innermost (each lease keeps a stack of its holders), and goes on only when all have ended.
//!
//! All of it (the FIFO, the tasks on leases, the leases) lives under one mutex, and every pool counter
//! a JS task moves (queued, running, completed, failed, cancelled) moves in the same critical section,
//! so [`counts`] is exact: no JS task is ever counted queued while it holds a thread, or the reverse.

use super::{CancelOutcome, Claimed, TaskState};
use crate::{Error, ErrorKind, Result};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle lease (a spare) keeps its pool thread at most when nobody trims it.
pub const SPARE_MAX: Duration = Duration::from_millis(1);
/// How often a lease's thread wakes to check its own state while its task runs (a safety net: every
/// change of state also wakes it).
pub const SLOT_POLL: Duration = Duration::from_millis(10);
/// Default time a running JS task has to return after its signal aborted, before its worker is
/// terminated and replaced (`abortGraceMs`).
pub const ABORT_GRACE_MS: u32 = 1000;
/// Default time an idle worker above `minThreads` lives before it ends (`idleTimeout`).
pub const IDLE_TIMEOUT_MS: u32 = 10_000;
/// The largest `abortGraceMs` / `idleTimeout`: Node's timers hold at most 2^31 - 1 ms.
pub const MAX_TIMEOUT_MS: u32 = (1 << 31) - 1;
/// Default `minThreads`: workers start on demand.
pub const MIN_WORKERS: u32 = 0;

/// Receives the ids of an environment's tasks that a pool thread started for it (its JS thread then
/// hands them to workers). Called with this module's lock held: it must only queue and wake.
pub trait Starter: Send + Sync {
    fn started(&self, id: u32);
}

/// An environment (a JS thread), as the slots know it.
pub type Env = Arc<dyn Starter>;

fn same(a: &Env, b: &Env) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// How a JS task ended, for the pool's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Failed,
    Cancelled,
}

impl Outcome {
    /// Every outcome with its name, for the table exported to JavaScript.
    pub const ALL: [(&'static str, Outcome); 3] = [
        ("completed", Outcome::Completed),
        ("failed", Outcome::Failed),
        ("cancelled", Outcome::Cancelled),
    ];

    /// The number JS passes.
    pub const fn code(self) -> u32 {
        match self {
            Outcome::Completed => 0,
            Outcome::Failed => 1,
            Outcome::Cancelled => 2,
        }
    }

    /// The outcome for a number from JS; unknown numbers count as failed.
    pub const fn from_code(code: u32) -> Outcome {
        match code {
            0 => Outcome::Completed,
            2 => Outcome::Cancelled,
            _ => Outcome::Failed,
        }
    }
}

struct Waiter {
    id: u32,
    env: Env,
    state: TaskState,
    /// The running task whose worker submitted this one (0: none): it may start on that task's lease.
    lender: u32,
}

struct Running {
    lease: u32,
    env: Env,
    state: TaskState,
    claimed: Claimed,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lease {
    /// A task runs on it.
    Busy,
    /// A spare: no task; kept for a task its environment submits soon.
    Idle { env: usize, since: Instant },
    /// Its thread goes back to the pool.
    Ended,
}

/// A lease's holder that is not a JS task: native work lent to it, running on its thread.
const NATIVE: u32 = 0;

struct Held {
    state: Lease,
    wake: Arc<Condvar>,
    /// Who holds it, outermost first: the task it was given to, then the borrowers of its
    /// innermost holder (JS task ids, or [`NATIVE`]). Empty while it is a spare.
    stack: Vec<u32>,
    /// Native work lent to it, with the JS task that lent it, oldest first.
    lent: VecDeque<(u32, LentJob)>,
}

impl Held {
    fn new(state: Lease, wake: Arc<Condvar>) -> Held {
        Held {
            state,
            wake,
            stack: Vec::new(),
            lent: VecDeque::new(),
        }
    }
}

/// The machine budget's slot a native task runs in: `None` without the budget (or on a lease, which
/// holds one already), `Some(None)` when the budget gave up waiting (the task was cancelled).
pub type MachineSlot = Option<Option<super::machine::Held<'static>>>;

type Run = Box<dyn FnOnce(MachineSlot) + Send>;

/// A native task lent to a JS task's lease and queued on the pool too: run once, by whichever takes
/// it first.
#[derive(Clone)]
pub struct LentJob(Arc<(AtomicBool, Mutex<Option<Run>>)>);

impl LentJob {
    pub fn new(run: impl FnOnce(MachineSlot) + Send + 'static) -> LentJob {
        LentJob(Arc::new((
            AtomicBool::new(false),
            Mutex::new(Some(Box::new(run))),
        )))
    }

    /// True once some thread took it.
    pub fn is_taken(&self) -> bool {
        self.0 .0.load(Ordering::Acquire)
    }

    /// Runs it here unless some thread took it already.
    pub fn run(&self, slot: MachineSlot) {
        let run = self.0 .1.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(run) = run {
            self.0 .0.store(true, Ordering::Release);
            run(slot);
        }
    }
}

thread_local! {
    /// The JS task this thread (a worker's) runs now, set by its host; 0 when none.
    static CURRENT: Cell<u32> = const { Cell::new(0) };
}

/// This thread (a worker of `workers()`) runs JS task `id` from now on (0: none): work it submits
/// may use that task's lease (see the module doc).
pub fn enter(id: u32) {
    CURRENT.with(|c| c.set(id));
}

/// The JS task this thread runs ([`enter`]), or 0.
pub fn current() -> u32 {
    CURRENT.with(Cell::get)
}

#[derive(Default)]
struct Inner {
    next_id: u32,
    next_lease: u32,
    /// JS tasks admitted and waiting for a thread, oldest first.
    waiting: VecDeque<Waiter>,
    /// JS tasks holding a lease, by id.
    running: HashMap<u32, Running>,
    /// Pool threads lent to JavaScript now, by lease id.
    leases: HashMap<u32, Held>,
    /// Lease jobs queued on the pool that have not started (never fewer than `waiting`).
    requested: usize,
}

static STATE: OnceLock<Mutex<Inner>> = OnceLock::new();

fn lock() -> MutexGuard<'static, Inner> {
    STATE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn key(env: &Env) -> usize {
    Arc::as_ptr(env).cast::<()>() as usize
}

/// A task's first answer: its id, and whether it already holds a thread (hand it to a worker now)
/// or waits (its id reaches the environment's [`Starter`] when it starts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquired {
    pub id: u32,
    pub started: bool,
}

impl Inner {
    fn new_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.next_id
    }

    /// Native tasks waiting in the pool's queue (all of the pool's queued tasks but ours).
    fn native_waiting(&self) -> u64 {
        super::queued().saturating_sub(self.waiting.len() as u64)
    }

    /// Keeps at least one lease job queued per waiting task.
    fn request(&mut self) {
        while self.requested < self.waiting.len() {
            self.requested += 1;
            super::spawn_uncounted(hold);
        }
    }

    /// Moves `w` onto `lease`: counted running from now on.
    fn start(&mut self, w: Waiter, lease: u32) -> bool {
        match super::claim(&w.state) {
            Some(claimed) => {
                if let Some(h) = self.leases.get_mut(&lease) {
                    h.stack.push(w.id);
                }
                self.running.insert(
                    w.id,
                    Running {
                        lease,
                        env: w.env,
                        state: w.state,
                        claimed,
                    },
                );
                true
            }
            None => false, // cancelled already (cannot happen: cancels leave `waiting` under this lock)
        }
    }

    fn set(&mut self, lease: u32, state: Lease) {
        if let Some(h) = self.leases.get_mut(&lease) {
            h.state = state;
            if state == Lease::Ended {
                h.wake.notify_one();
            }
        }
    }

    /// The lease `lender` runs on, if `lender` is its innermost holder (so it may lend it).
    fn lendable(&self, lender: u32) -> Option<u32> {
        let lease = self.running.get(&lender)?.lease;
        let h = self.leases.get(&lease)?;
        (h.stack.last() == Some(&lender)).then_some(lease)
    }

    /// Holder `who` left `lease`: with no holder left, it goes on ([`Inner::pass_on`]); otherwise
    /// its innermost holder's borrowers are served. Returns what `pass_on` returns.
    fn leave(&mut self, lease: u32, who: u32, from: Option<&Env>) -> Option<u32> {
        let h = self.leases.get_mut(&lease)?;
        if let Some(i) = h.stack.iter().rposition(|&x| x == who) {
            h.stack.remove(i);
        }
        if who != NATIVE {
            h.lent.retain(|(owner, _)| *owner != who);
        }
        if h.stack.is_empty() {
            return self.pass_on(lease, from);
        }
        self.serve(lease);
        None
    }

    /// Gives `lease` to what its innermost holder lent it: native work (its thread is woken for it),
    /// else the oldest waiting JS task that holder submitted.
    fn serve(&mut self, lease: u32) {
        let Some(h) = self.leases.get(&lease) else {
            return;
        };
        let Some(&top) = h.stack.last().filter(|&&top| top != NATIVE) else {
            return;
        };
        if h.lent.iter().any(|(owner, _)| *owner == top) {
            h.wake.notify_one();
            return;
        }
        if let Some(i) = self.waiting.iter().position(|w| w.lender == top) {
            if let Some(w) = self.waiting.remove(i) {
                let (id, env) = (w.id, w.env.clone());
                if self.start(w, lease) {
                    env.started(id);
                }
            }
        }
    }

    /// The next native work lent to `lease` by its innermost holder, now held by [`NATIVE`].
    fn next_lent(&mut self, lease: u32) -> Option<LentJob> {
        let h = self.leases.get_mut(&lease)?;
        let top = *h.stack.last().filter(|&&top| top != NATIVE)?;
        let i = h.lent.iter().position(|(owner, _)| *owner == top)?;
        let (_, job) = h.lent.remove(i)?;
        h.stack.push(NATIVE);
        Some(job)
    }

    /// A task left `lease`: the oldest waiting JS task takes it when no native task waits; if a
    /// native task waits (or the pool closed with nothing waiting), the thread goes back to the pool;
    /// otherwise it stays as `from`'s spare. Returns the id of a task of `from` started now.
    fn pass_on(&mut self, lease: u32, from: Option<&Env>) -> Option<u32> {
        if self.native_waiting() == 0 {
            while let Some(w) = self.waiting.pop_front() {
                let (id, env) = (w.id, w.env.clone());
                if self.start(w, lease) {
                    if from.is_some_and(|f| same(f, &env)) {
                        return Some(id);
                    }
                    env.started(id);
                    return None;
                }
            }
            if let Some(from) = from.filter(|_| !super::is_closed()) {
                let since = Instant::now();
                self.set(
                    lease,
                    Lease::Idle {
                        env: key(from),
                        since,
                    },
                );
                return None;
            }
        }
        self.set(lease, Lease::Ended);
        None
    }
}

/// Admits a JS task of `env` (`ERR_QUEUE_FULL`, `ERR_POOL_CLOSED` as for native tasks). It starts at
/// once on a spare lease when nothing else waits; otherwise it queues, and a lease job is queued on
/// the pool for it. Starts the pool.
pub fn acquire(env: &Env) -> Result<Acquired> {
    let mut g = lock();
    let lender = current();
    let borrowed = (lender != 0).then(|| g.lendable(lender)).flatten();
    let spare = if borrowed.is_some() {
        borrowed
    } else if g.waiting.is_empty() && g.native_waiting() == 0 {
        let mine = key(env);
        let mut found = None;
        for (&id, h) in &g.leases {
            if let Lease::Idle { env: owner, .. } = h.state {
                found = Some(id);
                if owner == mine {
                    break;
                }
            }
        }
        found
    } else {
        None
    };
    super::admit()?;
    let id = g.new_id();
    let w = Waiter {
        id,
        env: env.clone(),
        state: TaskState::new(),
        lender,
    };
    if let Some(lease) = spare {
        g.set(lease, Lease::Busy);
        if g.start(w, lease) {
            return Ok(Acquired { id, started: true });
        }
        return Err(Error::new(ErrorKind::Internal, "slot claim failed"));
    }
    g.waiting.push_back(w);
    g.request();
    Ok(Acquired { id, started: false })
}

/// Ends JS task `id`: counted as `outcome` if it held a thread (which then goes on, see the module
/// doc), or cancelled if it still waited. Returns the id of a task of `env` that takes the thread over
/// now (hand it to a worker). Unknown ids (already released) are ignored.
pub fn release(env: &Env, id: u32, outcome: Outcome) -> Option<u32> {
    let mut g = lock();
    if let Some(i) = g.waiting.iter().position(|w| w.id == id) {
        if let Some(w) = g.waiting.remove(i) {
            super::cancel(&w.state);
        }
        return None;
    }
    let r = g.running.remove(&id)?;
    let result = match outcome {
        Outcome::Completed => Ok(()),
        Outcome::Failed => Err(Error::new(ErrorKind::Internal, "the JS task failed")),
        Outcome::Cancelled => {
            r.state.cancel();
            Ok(())
        }
    };
    let _ = r.claimed.finish(&r.state, result);
    g.leave(r.lease, id, Some(env))
}

/// Lends native work that JS task `lender` submitted to the lease it runs on (see the module doc).
/// Nothing happens when `lender` no longer runs: the pool's own queue has the work too.
pub fn lend(lender: u32, job: LentJob) {
    let mut g = lock();
    let Some(lease) = g.running.get(&lender).map(|r| r.lease) else {
        return;
    };
    if let Some(h) = g.leases.get_mut(&lease) {
        h.lent.push_back((lender, job));
        if h.stack.last() == Some(&lender) {
            h.wake.notify_one();
        }
    }
}

/// Gives `env`'s spare leases back to the pool (its JS thread calls this once per turn).
pub fn trim(env: &Env) {
    let mut g = lock();
    let mine = key(env);
    let spares: Vec<u32> = g
        .leases
        .iter()
        .filter(|(_, h)| matches!(h.state, Lease::Idle { env, .. } if env == mine))
        .map(|(&id, _)| id)
        .collect();
    for lease in spares {
        g.set(lease, Lease::Ended);
    }
}

/// `env` goes away (a worker thread ends): its waiting tasks are cancelled, its running ones end
/// cancelled and their threads go on or back, its spares go back.
pub fn drop_env(env: &Env) {
    let mut g = lock();
    let mine = key(env);
    let mut kept = VecDeque::with_capacity(g.waiting.len());
    for w in std::mem::take(&mut g.waiting) {
        if key(&w.env) == mine {
            super::cancel(&w.state);
        } else {
            kept.push_back(w);
        }
    }
    g.waiting = kept;
    let ids: Vec<u32> = g
        .running
        .iter()
        .filter(|(_, r)| key(&r.env) == mine)
        .map(|(&id, _)| id)
        .collect();
    for id in ids {
        if let Some(r) = g.running.remove(&id) {
            r.state.cancel();
            let _ = r.claimed.finish(&r.state, Ok(()));
            g.leave(r.lease, id, None);
        }
    }
    drop(g);
    trim(env);
}

/// The lease job: on a pool thread, takes the oldest waiting JS task (if any is left) and holds the
/// thread for it and for whichever tasks the lease passes to, until the lease ends.
fn hold() {
    let mut g = lock();
    g.requested = g.requested.saturating_sub(1);
    let lease = g.next_lease.wrapping_add(1);
    g.next_lease = lease;
    let wake = Arc::new(Condvar::new());
    g.leases.insert(lease, Held::new(Lease::Busy, wake.clone()));
    let mut first = None;
    while let Some(w) = g.waiting.pop_front() {
        let (id, env) = (w.id, w.env.clone());
        if g.start(w, lease) {
            first = Some((id, env));
            break;
        }
    }
    match first {
        Some((id, env)) => env.started(id),
        None => {
            g.leases.remove(&lease);
            return;
        }
    }
    loop {
        if let Some(job) = g.next_lent(lease) {
            drop(g);
            job.run(None);
            g = lock();
            g.leave(lease, NATIVE, None);
            continue;
        }
        let state = g.leases.get(&lease).map_or(Lease::Ended, |h| h.state);
        let wait = match state {
            Lease::Busy => SLOT_POLL,
            Lease::Idle { since, .. } => match SPARE_MAX.checked_sub(since.elapsed()) {
                Some(left) if !left.is_zero() && g.native_waiting() == 0 => left,
                _ => break,
            },
            Lease::Ended => break,
        };
        g = match wake.wait_timeout(g, wait) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        };
    }
    g.leases.remove(&lease);
}

/// JS tasks, process-wide, read at one instant: (waiting for a thread, running on one), with the
/// pool's own (queued, running), which include them.
pub fn counts() -> (u64, u64, u64, u64) {
    let g = lock();
    (
        g.waiting.len() as u64,
        g.running.len() as u64,
        super::queued(),
        super::running(),
    )
}

/// Pool threads lent to JavaScript now (running a task or spare).
pub fn leases() -> usize {
    lock().leases.len()
}

/// What a JS cancel of a task found (for tests).
pub fn state_of(id: u32) -> CancelOutcome {
    let g = lock();
    if g.waiting.iter().any(|w| w.id == id) {
        CancelOutcome::WasQueued
    } else if g.running.contains_key(&id) {
        CancelOutcome::WasRunning
    } else {
        CancelOutcome::TooLate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    struct Chan(Mutex<mpsc::Sender<u32>>);

    impl Starter for Chan {
        fn started(&self, id: u32) {
            let _ = self.0.lock().map(|s| s.send(id));
        }
    }

    fn env() -> (Env, mpsc::Receiver<u32>) {
        let (tx, rx) = mpsc::channel();
        (Arc::new(Chan(Mutex::new(tx))), rx)
    }

    const LONG: Duration = Duration::from_secs(10);

    // The slots and the pool are process-wide (and other tests queue native tasks meanwhile, so
    // whether a spare or a hand-over is taken depends on them): one test walks through the
    // transitions and checks what holds either way.
    #[test]
    fn leases_start_pass_on_and_end_with_exact_counts() {
        let (a, rx) = env();
        let threads = super::super::start().threads;
        let wait_start = |t: Acquired| {
            if !t.started {
                assert_eq!(rx.recv_timeout(LONG).expect("started"), t.id);
            }
            t.id
        };
        let first = wait_start(acquire(&a).expect("admitted"));
        assert_eq!(state_of(first), CancelOutcome::WasRunning);
        let (q, r, _, pool_running) = counts();
        assert_eq!((q, r), (0, 1));
        assert!(pool_running >= 1);
        // Released: a spare (or, with native tasks waiting, the thread goes back); either way the
        // next task starts, and counts one running.
        assert_eq!(release(&a, first, Outcome::Completed), None);
        assert_eq!(state_of(first), CancelOutcome::TooLate);
        let second = wait_start(acquire(&a).expect("admitted"));
        assert_eq!(counts().1, 1);
        // More tasks than threads: all but `threads` wait, counted queued, never running.
        let rest: Vec<Acquired> = (0..threads)
            .map(|_| acquire(&a).expect("admitted"))
            .collect();
        let mut running = vec![second];
        for t in &rest {
            if t.started {
                running.push(t.id);
            }
        }
        while running.len() < threads {
            running.push(rx.recv_timeout(LONG).expect("started"));
        }
        let waiting: Vec<u32> = rest
            .iter()
            .map(|t| t.id)
            .filter(|id| !running.contains(id))
            .collect();
        assert_eq!(waiting.len(), 1);
        assert_eq!(counts().0, 1);
        assert_eq!(counts().1, threads as u64);
        assert_eq!(state_of(waiting[0]), CancelOutcome::WasQueued);
        // A running task ends: the waiting one takes its thread (here, or through the starter).
        let handed = release(&a, running[0], Outcome::Failed)
            .unwrap_or_else(|| rx.recv_timeout(LONG).expect("started"));
        assert_eq!(handed, waiting[0]);
        assert_eq!(counts().0, 0);
        assert_eq!(counts().1, threads as u64);
        // A waiting task released before it starts never starts.
        let late = acquire(&a).expect("admitted");
        if !late.started {
            assert_eq!(release(&a, late.id, Outcome::Cancelled), None);
            assert_eq!(state_of(late.id), CancelOutcome::TooLate);
            assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        } else {
            panic!("started while every thread was held");
        }
        for id in running.into_iter().skip(1).chain([handed]) {
            release(&a, id, Outcome::Cancelled);
        }
        assert_eq!(counts().1, 0);
        trim(&a);
        let deadline = Instant::now() + LONG;
        while leases() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(leases(), 0, "every lease ended");
        assert_eq!(
            release(&a, 0, Outcome::Completed),
            None,
            "unknown ids are ignored"
        );
        drop_env(&a);
    }
}
