//! The machine budget's doorbell: a counter in a small file that every process of the budget maps
//! (`MAP_SHARED`), rung by a thread that frees a slot and waited on, as a futex, by the threads
//! waiting for one. A freed slot wakes the longest waiter of any process at once (Linux wakes a
//! futex's waiters of equal priority in the order they came), instead of at its next poll.
//!
//! The doorbell only speeds waiting up: it holds no state a crash can corrupt. A process killed
//! while holding a slot never rings, so a wait still ends after its timeout and tries the slots
//! again (the kernel has released the dead process's locks by then). Where there is no
//! cross-process futex (macOS, Windows), or the file cannot be mapped, waiting polls.

use std::time::Duration;

/// The doorbell file in the budget's directory.
pub const DOORBELL: &str = "doorbell";

#[cfg(target_os = "linux")]
mod imp {
    use std::ptr::NonNull;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    /// The mapped length: one page, of which the first 4 bytes are the counter.
    const LEN: usize = 4096;

    pub struct Doorbell {
        word: NonNull<AtomicU32>,
    }

    // SAFETY: the mapping lives as long as the Doorbell and is only reached through an atomic.
    unsafe impl Send for Doorbell {}
    // SAFETY: as above; every access is an atomic operation or a futex system call.
    unsafe impl Sync for Doorbell {}

    impl Doorbell {
        /// Maps `file`, first growing it to one page (every process grows it to the same length,
        /// so growing concurrently is harmless, and nothing ever shrinks it).
        pub fn map(file: &std::fs::File) -> Option<Doorbell> {
            use std::os::fd::AsRawFd;
            if file.metadata().ok()?.len() < LEN as u64 {
                file.set_len(LEN as u64).ok()?;
            }
            // SAFETY: a fresh shared mapping of a file at least LEN long; the fd may close after.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    LEN,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    file.as_raw_fd(),
                    0,
                )
            };
            if ptr == libc::MAP_FAILED {
                return None;
            }
            NonNull::new(ptr.cast::<AtomicU32>()).map(|word| Doorbell { word })
        }

        fn word(&self) -> &AtomicU32 {
            // SAFETY: the page stays mapped until drop, and page alignment suits an AtomicU32.
            unsafe { self.word.as_ref() }
        }

        pub fn ticket(&self) -> u32 {
            self.word().load(Ordering::Acquire)
        }

        pub fn wait(&self, seen: u32, timeout: Duration) -> bool {
            let ts = libc::timespec {
                tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
                // Fallible where c_long has 32 bits.
                #[allow(clippy::unnecessary_fallible_conversions)]
                tv_nsec: libc::c_long::try_from(timeout.subsec_nanos()).unwrap_or(0),
            };
            // SAFETY: FUTEX_WAIT (shared, not FUTEX_PRIVATE) on a mapped u32 with a valid
            // timespec; it returns at once when the word no longer equals `seen`.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.word.as_ptr(),
                    libc::FUTEX_WAIT,
                    seen,
                    &ts as *const libc::timespec,
                    std::ptr::null::<u32>(),
                    0u32,
                )
            };
            r == 0
        }

        pub fn ring(&self) {
            self.word().fetch_add(1, Ordering::Release);
            // SAFETY: FUTEX_WAKE of at most one waiter on the mapped word.
            unsafe {
                libc::syscall(
                    libc::SYS_futex,
                    self.word.as_ptr(),
                    libc::FUTEX_WAKE,
                    1i32,
                    std::ptr::null::<libc::timespec>(),
                    std::ptr::null::<u32>(),
                    0u32,
                );
            }
        }
    }

    impl Drop for Doorbell {
        fn drop(&mut self) {
            // SAFETY: unmaps the page mapped in `map`; no reference to it outlives self.
            unsafe {
                libc::munmap(self.word.as_ptr().cast(), LEN);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::time::Duration;

    /// No cross-process futex here: there is never a doorbell, so waiting polls.
    pub enum Doorbell {}

    impl Doorbell {
        pub fn map(_file: &std::fs::File) -> Option<Doorbell> {
            None
        }
        pub fn ticket(&self) -> u32 {
            match *self {}
        }
        pub fn wait(&self, _seen: u32, _timeout: Duration) -> bool {
            match *self {}
        }
        pub fn ring(&self) {
            match *self {}
        }
    }
}

/// The doorbell of one budget directory, or polling where it has none.
pub struct Doorbell(Option<imp::Doorbell>);

impl Doorbell {
    /// Maps `file`, a budget directory's [`DOORBELL`] file open read-write; without one,
    /// [`Doorbell::wait`] sleeps its whole timeout.
    pub fn open(file: Option<&std::fs::File>) -> Doorbell {
        Doorbell(file.and_then(imp::Doorbell::map))
    }

    /// True when a freed slot wakes waiters at once.
    pub fn rings(&self) -> bool {
        self.0.is_some()
    }

    /// The count of rings so far: read it before trying the slots, then [`Doorbell::wait`] with
    /// it, so that a slot freed in between is not missed.
    pub fn ticket(&self) -> u32 {
        self.0.as_ref().map_or(0, imp::Doorbell::ticket)
    }

    /// Waits until a ring after `seen`, or `timeout`. True when a ring woke this thread (so a
    /// thread that then gives up should [`Doorbell::ring`] again, passing the wake-up on).
    pub fn wait(&self, seen: u32, timeout: Duration) -> bool {
        match &self.0 {
            Some(bell) => bell.wait(seen, timeout),
            None => {
                std::thread::sleep(timeout);
                false
            }
        }
    }

    /// Says a slot was freed, waking the longest waiter of any process.
    pub fn ring(&self) {
        if let Some(bell) = &self.0 {
            bell.ring();
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::Instant;

    fn file(name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
        let path =
            std::env::temp_dir().join(format!("offthread-doorbell-{name}-{}", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        Ok((path, f))
    }

    #[test]
    fn a_ring_through_one_mapping_wakes_a_waiter_on_another() {
        let (path, f) = file("wake").unwrap();
        // Two mappings of one file stand for two processes.
        let a = Doorbell::open(Some(&f));
        let b = Doorbell::open(Some(&f));
        assert!(a.rings() && b.rings());
        let seen = b.ticket();
        std::thread::scope(|s| {
            let t = s.spawn(|| {
                let t0 = Instant::now();
                let woken = b.wait(seen, Duration::from_secs(5));
                (woken, t0.elapsed())
            });
            std::thread::sleep(Duration::from_millis(50));
            a.ring();
            let (woken, waited) = t.join().unwrap();
            assert!(woken, "woken by the ring, not the timeout");
            assert!(waited < Duration::from_secs(1), "{waited:?}");
        });
        assert_eq!(b.ticket(), seen.wrapping_add(1));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_ring_before_the_wait_is_not_missed_and_a_quiet_wait_times_out() {
        let (path, f) = file("missed").unwrap();
        let bell = Doorbell::open(Some(&f));
        let seen = bell.ticket();
        bell.ring();
        let t0 = Instant::now();
        assert!(!bell.wait(seen, Duration::from_secs(5)), "returns at once");
        assert!(t0.elapsed() < Duration::from_secs(1));
        let t0 = Instant::now();
        assert!(!bell.wait(bell.ticket(), Duration::from_millis(30)));
        assert!(t0.elapsed() >= Duration::from_millis(25));
        let _ = std::fs::remove_file(path);
    }
}
