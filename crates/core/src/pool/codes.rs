//! The small numbers the binding and `lib/scheduler.js` exchange for every task: where it runs,
//! whether it was admitted, and what a cancel found. Core owns them; the binding exports them to
//! JavaScript (`policy().schedule`), so neither side writes them down again.

use super::CancelOutcome;

/// Where a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    /// offthread's own low-priority pool (the default).
    Pool,
    /// Node's libuv threadpool (napi async work).
    Libuv,
}

impl Executor {
    /// Every executor with its name, as the JS option `executor` spells it; the first is the default.
    pub const ALL: [(&'static str, Executor); 2] =
        [("pool", Executor::Pool), ("libuv", Executor::Libuv)];

    /// The number JS passes for this executor.
    pub const fn code(self) -> u32 {
        match self {
            Executor::Pool => 0,
            Executor::Libuv => 1,
        }
    }

    /// The executor for a number from JS; unknown numbers mean the pool.
    pub const fn from_code(code: u32) -> Executor {
        match code {
            1 => Executor::Libuv,
            _ => Executor::Pool,
        }
    }
}

/// What a submission answered at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Queued: its result comes later.
    Accepted,
    /// Refused: the queue is full (`ERR_QUEUE_FULL`).
    QueueFull,
    /// Refused: `close()` was called (`ERR_POOL_CLOSED`).
    PoolClosed,
}

impl Admission {
    /// Every answer with its name, for the table exported to JavaScript.
    pub const ALL: [(&'static str, Admission); 3] = [
        ("accepted", Admission::Accepted),
        ("queueFull", Admission::QueueFull),
        ("poolClosed", Admission::PoolClosed),
    ];

    /// The number returned to JS.
    pub const fn code(self) -> u32 {
        match self {
            Admission::Accepted => 0,
            Admission::QueueFull => 1,
            Admission::PoolClosed => 2,
        }
    }
}

impl CancelOutcome {
    /// Every outcome with its name, for the table exported to JavaScript.
    pub const ALL: [(&'static str, CancelOutcome); 3] = [
        ("wasQueued", CancelOutcome::WasQueued),
        ("wasRunning", CancelOutcome::WasRunning),
        ("tooLate", CancelOutcome::TooLate),
    ];

    /// The number returned to JS.
    pub const fn code(self) -> u32 {
        match self {
            CancelOutcome::WasQueued => 0,
            CancelOutcome::WasRunning => 1,
            CancelOutcome::TooLate => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_round_trip() {
        for (_, e) in Executor::ALL {
            assert_eq!(Executor::from_code(e.code()), e);
        }
        let admission: Vec<u32> = Admission::ALL.iter().map(|(_, a)| a.code()).collect();
        assert_eq!(admission, [0, 1, 2]);
        let cancel: Vec<u32> = CancelOutcome::ALL.iter().map(|(_, c)| c.code()).collect();
        assert_eq!(cancel, [0, 1, 2]);
    }
}
