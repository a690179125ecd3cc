//! The shared state of one task: queued, running, cancelled or done, plus its cancel flag.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
const CANCELLED_QUEUED: u8 = 3;
const CANCEL_REQUESTED: u8 = 4;

/// What `cancel()` found the task doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// It was still queued: it will never run, and the caller settles its promise now.
    WasQueued,
    /// It was running: the flag is set, and the task reports `ABORT_ERR` when it ends.
    WasRunning,
    /// It had already finished or was already cancelled: nothing to do.
    TooLate,
}

/// One task's lifecycle, shared between the submitter (who may cancel) and the worker.
#[derive(Debug)]
pub struct TaskState {
    state: AtomicU8,
    created: Instant,
    /// A flag shared by a group of tasks (all tasks of one JS environment): when set, every
    /// task of the group counts as cancelled.
    group: Option<Arc<AtomicBool>>,
}

impl Default for TaskState {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskState {
    /// A new task, queued now.
    pub fn new() -> Self {
        TaskState {
            state: AtomicU8::new(QUEUED),
            created: Instant::now(),
            group: None,
        }
    }

    /// A new task that is also cancelled when `group` is set (e.g. its environment went away).
    pub fn in_group(group: Arc<AtomicBool>) -> Self {
        TaskState {
            group: Some(group),
            ..TaskState::new()
        }
    }

    /// When the task was created (its queue wait starts here).
    pub fn created(&self) -> Instant {
        self.created
    }

    /// Moves queued → running. False when the task was cancelled while queued: it must not run.
    pub fn start(&self) -> bool {
        self.state
            .compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Requests cancellation; see [`CancelOutcome`].
    pub fn cancel(&self) -> CancelOutcome {
        match self.state.compare_exchange(
            QUEUED,
            CANCELLED_QUEUED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => CancelOutcome::WasQueued,
            Err(RUNNING) => {
                match self.state.compare_exchange(
                    RUNNING,
                    CANCEL_REQUESTED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => CancelOutcome::WasRunning,
                    Err(_) => CancelOutcome::TooLate,
                }
            }
            Err(_) => CancelOutcome::TooLate,
        }
    }

    /// True once cancellation was requested. Long algorithms poll this at their checkpoints.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self.state.load(Ordering::Relaxed),
            CANCEL_REQUESTED | CANCELLED_QUEUED
        ) || self
            .group
            .as_ref()
            .is_some_and(|g| g.load(Ordering::Relaxed))
    }

    /// Marks the task finished. Returns true if a cancel request arrived while it ran.
    pub fn finish(&self) -> bool {
        self.state.swap(DONE, Ordering::AcqRel) == CANCEL_REQUESTED
            || self
                .group
                .as_ref()
                .is_some_and(|g| g.load(Ordering::Relaxed))
    }

    /// `Err(Aborted)` if cancellation was requested: `state.checkpoint()?` in loops.
    pub fn checkpoint(&self) -> crate::Result<()> {
        if self.is_cancelled() {
            Err(crate::Error::aborted())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_while_queued_prevents_start() {
        let t = TaskState::new();
        assert_eq!(t.cancel(), CancelOutcome::WasQueued);
        assert!(!t.start());
        assert!(t.is_cancelled());
        assert_eq!(t.cancel(), CancelOutcome::TooLate);
    }

    #[test]
    fn cancel_while_running_sets_flag() {
        let t = TaskState::new();
        assert!(t.start());
        assert!(t.checkpoint().is_ok());
        assert_eq!(t.cancel(), CancelOutcome::WasRunning);
        assert_eq!(t.checkpoint().map_err(|e| e.code()), Err("ABORT_ERR"));
        assert!(t.finish());
    }

    #[test]
    fn a_cancelled_group_cancels_its_tasks() {
        let group = Arc::new(AtomicBool::new(false));
        let t = TaskState::in_group(group.clone());
        assert!(t.start());
        assert!(t.checkpoint().is_ok());
        group.store(true, Ordering::Relaxed);
        assert!(t.is_cancelled());
        assert!(t.finish());
    }

    #[test]
    fn cancel_after_finish_is_too_late() {
        let t = TaskState::new();
        assert!(t.start());
        assert!(!t.finish());
        assert_eq!(t.cancel(), CancelOutcome::TooLate);
    }
}
