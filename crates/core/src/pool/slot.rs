//! Slots: pool tasks that hold one pool thread while JavaScript runs a task on a worker thread.
//!
//! A JavaScript task (`workers()` / `run()` in lib/) first queues a slot through the same admission
//! path as every native task: the same queue and `maxQueue`, the same cancellation while queued.
//! When the slot starts on a pool thread it reports the start (to the JS thread, which then hands
//! the task to a worker) and blocks that pool thread until JS releases it. So native and JS tasks
//! together never run more than `threads` CPU-heavy things at once, with no second semaphore.
//!
//! The cost: a pool thread sleeps on a condition variable for as long as the JS task runs.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How often a held slot checks whether its JS environment went away (a terminated worker).
pub const SLOT_POLL: Duration = Duration::from_millis(100);
/// Default time a running JS task has to return after its signal aborted, before its worker is
/// terminated and replaced (`abortGraceMs`).
pub const ABORT_GRACE_MS: u32 = 1000;
/// Default time an idle worker above `minThreads` lives before it ends (`idleTimeout`).
pub const IDLE_TIMEOUT_MS: u32 = 10_000;
/// The largest `abortGraceMs` / `idleTimeout`: Node's timers hold at most 2^31 - 1 ms.
pub const MAX_TIMEOUT_MS: u32 = (1 << 31) - 1;
/// Default `minThreads`: workers start on demand.
pub const MIN_WORKERS: u32 = 0;

const WAITING: u8 = 0;
const HELD: u8 = 1;
const RELEASED: u8 = 2;
const CANCELLED: u8 = 3;

static QUEUED: AtomicU64 = AtomicU64::new(0);
static RUNNING: AtomicU64 = AtomicU64::new(0);

/// Slots queued (admitted, not started, not released) and running (holding a pool thread), process-wide.
pub fn counts() -> (u64, u64) {
    (
        QUEUED.load(Ordering::Relaxed),
        RUNNING.load(Ordering::Relaxed),
    )
}

/// One JS task's claim on a pool thread.
#[derive(Debug)]
pub struct Slot {
    state: AtomicU8,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Slot {
    /// A new slot, counted as queued until it starts or is released.
    pub fn admitted() -> Arc<Slot> {
        QUEUED.fetch_add(1, Ordering::AcqRel);
        Arc::new(Slot {
            state: AtomicU8::new(WAITING),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        })
    }

    /// Runs on the pool thread: marks the slot held, calls `started`, then blocks until
    /// [`release`](Self::release) or until `gone` is set (the environment went away). Returns
    /// false, without calling `started`, when the slot was released before it started.
    pub fn hold(&self, gone: &AtomicBool, started: impl FnOnce()) -> bool {
        if self
            .state
            .compare_exchange(WAITING, HELD, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        QUEUED.fetch_sub(1, Ordering::AcqRel);
        RUNNING.fetch_add(1, Ordering::AcqRel);
        started();
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.state.load(Ordering::Acquire) == HELD && !gone.load(Ordering::Relaxed) {
            guard = match self.wake.wait_timeout(guard, SLOT_POLL) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        drop(guard);
        RUNNING.fetch_sub(1, Ordering::AcqRel);
        true
    }

    /// Ends the slot: wakes its pool thread if held; if it had not started, it never will.
    pub fn release(&self) {
        match self.state.swap(RELEASED, Ordering::AcqRel) {
            WAITING => {
                QUEUED.fetch_sub(1, Ordering::AcqRel);
            }
            HELD => {
                let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                self.wake.notify_all();
            }
            _ => {}
        }
    }

    /// The slot's job was dropped without running (cancelled while queued, environment gone):
    /// it leaves the queued count if nothing else took it out.
    pub fn abandon(&self) {
        if self
            .state
            .compare_exchange(WAITING, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            QUEUED.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// True while a pool thread holds this slot.
    pub fn is_held(&self) -> bool {
        self.state.load(Ordering::Acquire) == HELD
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    // The counters are process-wide, so each test checks only its own slot's transitions.

    #[test]
    fn release_before_start_means_it_never_runs() {
        let s = Slot::admitted();
        s.release();
        let gone = AtomicBool::new(false);
        assert!(!s.hold(&gone, || panic!("must not start")));
        s.abandon(); // harmless after release
    }

    #[test]
    fn a_held_slot_blocks_until_released() {
        let s = Slot::admitted();
        let (tx, rx) = mpsc::channel();
        let s2 = s.clone();
        let t = std::thread::spawn(move || {
            let gone = AtomicBool::new(false);
            s2.hold(&gone, || tx.send(()).unwrap_or(()))
        });
        rx.recv().unwrap_or(());
        assert!(s.is_held());
        std::thread::sleep(Duration::from_millis(20));
        assert!(!t.is_finished(), "still held");
        s.release();
        assert!(t.join().unwrap_or(false));
        assert!(!s.is_held());
    }

    #[test]
    fn a_gone_environment_frees_the_thread() {
        let s = Slot::admitted();
        let gone = Arc::new(AtomicBool::new(false));
        let (s2, g2) = (s.clone(), gone.clone());
        let t = std::thread::spawn(move || s2.hold(&g2, || ()));
        while !s.is_held() {
            std::thread::yield_now();
        }
        gone.store(true, Ordering::Relaxed);
        assert!(t.join().unwrap_or(false));
    }

    #[test]
    fn abandon_only_counts_a_waiting_slot() {
        let s = Slot::admitted();
        s.abandon();
        let gone = AtomicBool::new(false);
        assert!(!s.hold(&gone, || panic!("must not start")));
    }
}
