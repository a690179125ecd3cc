//! Pool counters and a sliding window of wait/run times, readable at any moment without locks.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How many recent tasks the latency window holds.
pub const WINDOW: usize = 1024;
/// Samples older than this are left out of the percentiles.
pub const WINDOW_AGE: Duration = Duration::from_secs(60);

/// A point-in-time copy of the pool's counters, in plain numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub threads: u32,
    pub queued: u64,
    pub running: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub rejected: u64,
    pub wait_p50_ms: f64,
    pub wait_p99_ms: f64,
    pub run_p50_ms: f64,
    pub run_p99_ms: f64,
}

/// Live counters. All fields are atomics: workers update them, `snapshot` reads them.
pub struct Stats {
    pub(crate) queued: AtomicU64,
    pub(crate) running: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) rejected: AtomicU64,
    epoch: Instant,
    next: AtomicUsize,
    /// Per slot: wait in µs, run in µs, and completion time in ms since `epoch` (+1, 0 = empty).
    wait_us: Box<[AtomicU32]>,
    run_us: Box<[AtomicU32]>,
    at_ms: Box<[AtomicU64]>,
}

fn zeros32() -> Box<[AtomicU32]> {
    (0..WINDOW).map(|_| AtomicU32::new(0)).collect()
}

fn saturating_us(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {
            queued: AtomicU64::new(0),
            running: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            epoch: Instant::now(),
            next: AtomicUsize::new(0),
            wait_us: zeros32(),
            run_us: zeros32(),
            at_ms: (0..WINDOW).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Records one finished task's queue wait and run time.
    pub(crate) fn record(&self, wait: Duration, run: Duration) {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % WINDOW;
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.wait_us[i].store(saturating_us(wait), Ordering::Relaxed);
        self.run_us[i].store(saturating_us(run), Ordering::Relaxed);
        self.at_ms[i].store(now_ms + 1, Ordering::Release);
    }

    /// Reads every counter and computes p50/p99 over the window.
    pub fn snapshot(&self, threads: u32) -> Snapshot {
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        let oldest = now_ms.saturating_sub(u64::try_from(WINDOW_AGE.as_millis()).unwrap_or(0));
        let mut waits = Vec::with_capacity(WINDOW);
        let mut runs = Vec::with_capacity(WINDOW);
        for i in 0..WINDOW {
            let at = self.at_ms[i].load(Ordering::Acquire);
            if at != 0 && at > oldest {
                waits.push(self.wait_us[i].load(Ordering::Relaxed));
                runs.push(self.run_us[i].load(Ordering::Relaxed));
            }
        }
        let (wait_p50_ms, wait_p99_ms) = percentiles(&mut waits);
        let (run_p50_ms, run_p99_ms) = percentiles(&mut runs);
        Snapshot {
            threads,
            queued: self.queued.load(Ordering::Relaxed),
            running: self.running.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            wait_p50_ms,
            wait_p99_ms,
            run_p50_ms,
            run_p99_ms,
        }
    }
}

/// Nearest-rank p50 and p99 of microsecond samples, in milliseconds. Zero for an empty window.
fn percentiles(samples: &mut [u32]) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    samples.sort_unstable();
    // Rank ceil(n * pct / 100) in integers: exact, and no float-to-index cast.
    let rank = |pct: usize| {
        let idx = (samples.len() * pct).div_ceil(100).clamp(1, samples.len()) - 1;
        f64::from(samples[idx]) / 1000.0
    };
    (rank(50), rank(99))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_series() {
        let mut v: Vec<u32> = (1..=100).map(|x| x * 1000).collect();
        assert_eq!(percentiles(&mut v), (50.0, 99.0));
        assert_eq!(percentiles(&mut []), (0.0, 0.0));
    }

    #[test]
    fn window_keeps_the_latest_samples() {
        let s = Stats::new();
        for _ in 0..WINDOW {
            s.record(Duration::from_millis(100), Duration::from_millis(100));
        }
        for _ in 0..WINDOW {
            s.record(Duration::from_millis(2), Duration::from_millis(4));
        }
        let snap = s.snapshot(2);
        assert_eq!(snap.wait_p99_ms, 2.0);
        assert_eq!(snap.run_p50_ms, 4.0);
    }
}
