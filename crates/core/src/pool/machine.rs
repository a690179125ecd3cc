//! The machine-wide budget: every offthread process of a host that opts in shares one set of
//! slots, so together they run at most `slots` heavy tasks at once.
//!
//! A slot is a file `slot-<i>` in a directory all those processes agree on, and holding a slot is
//! holding an exclusive lock on its file (`File::try_lock`: `flock` on Unix, `LockFileEx` on
//! Windows). The kernel releases a lock when its process dies, `kill -9` included, so a slot can
//! never leak: there is no lease, PID file or heartbeat, and a file left behind by a dead process
//! is just a free slot.
//!
//! What a slot covers: one pool job running on one pool thread, i.e. one CPU. A pool task takes a
//! slot before it leaves its process's queue and gives it back when it ends; bcrypt's batch runner
//! (several tasks interleaved on one thread) takes one for the whole batch. With the budget on, a
//! task does not fan out (argon2's lanes and BLAKE3's parallel hashing stay on the task's thread,
//! see `has_idle_threads`), so the budget counts CPUs, and a native task never needs a second slot
//! to finish. A JS task (`slot.rs`) holds its slot while it awaits native work, which needs one of
//! its own: the same limit as with the pool's threads (README, "Your own JavaScript").
//!
//! Waiting happens on the pool thread, never on the JS thread, and gives up as soon as the task is
//! cancelled. A thread that frees a slot rings the [`doorbell`](super::doorbell), which wakes the
//! longest-waiting thread of any process at once (Linux); each wait also ends after [`POLL_MAX`],
//! so a slot freed by a dead process (which rings nothing) is taken within that, and where there is
//! no doorbell (macOS, Windows) waiting polls every [`POLL_MIN`]..[`POLL_MAX`]. A waiting thread
//! announces itself with a shared lock on the file [`WAITERS`], and a thread that arrives then
//! queues behind the waiters instead of taking the slot the moment it frees: a process that
//! finishes a task and has more cannot keep its slots while others wait.

use super::doorbell::{Doorbell, DOORBELL};
use crate::{Error, ErrorKind, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// `OFFTHREAD_MACHINE=1` turns the budget on when `configure` did not say.
pub const MACHINE_ENV: &str = "OFFTHREAD_MACHINE";
/// The slot count when `configure` did not set it.
pub const SLOTS_ENV: &str = "OFFTHREAD_MACHINE_SLOTS";
/// The slot directory when `configure` did not set it.
pub const DIR_ENV: &str = "OFFTHREAD_MACHINE_DIR";
/// The most slots `configure` accepts (as many as pool threads).
pub const MAX_SLOTS: usize = super::MAX_THREADS;
/// First wait between two rounds of `try_lock` over the slots, where there is no doorbell.
pub const POLL_MIN: Duration = Duration::from_millis(2);
/// Longest wait between two rounds, doorbell or not: a slot freed by a dead process is taken
/// within this (plus the time to try every slot), and a cancelled wait ends within it.
pub const POLL_MAX: Duration = Duration::from_millis(5);
/// Each further round waits this much longer, up to [`POLL_MAX`].
pub const POLL_STEP: Duration = Duration::from_millis(1);
/// True where a freed slot wakes a waiting thread of any process at once (the doorbell's futex);
/// elsewhere waiting threads poll.
pub const WAKE_ON_RELEASE: bool = cfg!(target_os = "linux");

/// What `configure` said about the budget: off (even if `OFFTHREAD_MACHINE` is set), or on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Budget {
    Off,
    On(MachineConfig),
}

/// The budget's options. `None` takes the environment ([`with_env`]), then the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineConfig {
    pub slots: Option<usize>,
    pub dir: Option<PathBuf>,
}

/// The default slot count: the host's CPUs as this process may use them (cgroup CPU quotas and
/// affinity included), the same count the pool's default thread count comes from.
pub fn default_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The default directory: one every process of this user on this host agrees on,
/// `<tmpdir>/offthread-<uid>-machine` (Unix) or `%TEMP%\offthread-machine` (Windows, where the
/// temporary directory is already per user).
pub fn default_dir() -> PathBuf {
    #[cfg(unix)]
    {
        // SAFETY: getuid cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        std::env::temp_dir().join(format!("offthread-{uid}-machine"))
    }
    #[cfg(not(unix))]
    {
        std::env::temp_dir().join("offthread-machine")
    }
}

/// True when `OFFTHREAD_MACHINE` asks for the budget: set, and not empty, `0` or `false`.
pub fn wanted_by_env() -> bool {
    std::env::var(MACHINE_ENV).is_ok_and(|on| !matches!(on.trim(), "" | "0" | "false"))
}

/// `config` with what it leaves unset taken from `OFFTHREAD_MACHINE_SLOTS` and
/// `OFFTHREAD_MACHINE_DIR` (the defaults apply after them). An unparsable or out-of-range slot
/// count there is ignored, as `OFFTHREAD_THREADS` is.
pub fn with_env(config: &MachineConfig) -> MachineConfig {
    let slots = config.slots.or_else(|| {
        std::env::var(SLOTS_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|s| (1..=MAX_SLOTS).contains(s))
    });
    let dir = config.dir.clone().or_else(|| {
        std::env::var_os(DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    });
    MachineConfig { slots, dir }
}

struct SlotFile {
    file: File,
    /// Set while a thread of this process holds the slot or probes it: a lock is per open file,
    /// so two threads of one process must not both "take" it through the same handle.
    taken: AtomicBool,
}

/// An open set of slots.
pub struct Machine {
    dir: PathBuf,
    slots: Box<[SlotFile]>,
    /// Where the next search starts, so that threads do not all contend for slot 0.
    next: AtomicUsize,
    /// This process's handle on [`WAITERS`], to test whether anyone holds a shared lock on it.
    waiters_probe: Mutex<File>,
    /// Rung when a slot frees; waited on by the threads waiting for one.
    bell: Doorbell,
}

/// The file every thread waiting for a slot holds a shared lock on (through its own open of it):
/// a thread that arrives then queues behind it instead of taking the slot the moment it frees, so
/// a process that finishes and resubmits at once cannot starve the others.
pub const WAITERS: &str = "waiters";

/// A held slot: released (file unlocked, doorbell rung) on drop.
pub struct Held<'a> {
    slot: &'a SlotFile,
    bell: &'a Doorbell,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let _ = self.slot.file.unlock();
        self.slot.taken.store(false, Ordering::Release);
        self.bell.ring();
    }
}

/// What a probe of the slots found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineSnapshot {
    pub slots: u32,
    /// Slots held now by any process (this one included).
    pub in_use: u32,
    pub dir: String,
}

fn dir_error(dir: &Path, e: &std::io::Error) -> Error {
    let base = Error::from(std::io::Error::new(e.kind(), String::new()));
    Error::new(
        base.kind(),
        format!(
            "Cannot use {} as the machine budget's directory: {e}",
            dir.display()
        ),
    )
}

/// Creates `dir` (0700 on Unix) if needed. The default directory lives in a shared temporary
/// directory, so there it must be a real directory owned by this user and closed to others.
fn prepare_dir(dir: &Path, is_default: bool) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| dir_error(dir, &e))?;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| dir_error(dir, &e))?;
    let fail = |what: &str| {
        Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "Cannot use {} as the machine budget's directory: {what}",
                dir.display()
            ),
        ))
    };
    if is_default && !meta.is_dir() {
        return fail("it is not a directory (a symbolic link?)");
    }
    #[cfg(unix)]
    if is_default {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid cannot fail and touches no memory.
        if meta.uid() != unsafe { libc::geteuid() } {
            return fail("it belongs to another user");
        }
        if meta.mode() & 0o077 != 0 {
            return fail("other users may open it (expected mode 0700)");
        }
    }
    Ok(())
}

/// A thread about to wait for a slot returns the heap memory freed by earlier tasks to the system
/// (glibc keeps freed memory in its per-thread arenas): with the budget, most of a process's pool
/// threads wait most of the time. Large blocks are returned when freed (see
/// [`return_large_blocks`]); memory a task keeps on purpose is released by its own code under the
/// budget (argon2's block arena, the resizer's scratch). Not after every task: the large blocks
/// are back already, and the small free ones trimmed would only be faulted in again by the next.
fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Blocks of at least this size are mapped by glibc's malloc and unmapped when freed, in a process
/// with the budget on (see [`return_large_blocks`]).
pub const MMAP_THRESHOLD: usize = 4 << 20;

/// Fixes glibc's mmap threshold at [`MMAP_THRESHOLD`]. By default glibc raises it past the largest
/// block freed (up to 32 MiB), so after one task has freed a decoded frame, later frames come from
/// the thread's arena and stay there when freed: neither free nor `malloc_trim` gives them back
/// (an arena's top is trimmed only past a threshold raised the same way). With the budget, each
/// pool thread of each process would then keep its largest task's frame, and a 2-process host ran
/// 2 tasks at once but kept the memory of 4. Measured on a 2725×2225 PNG → 800 px task with one
/// slot and two threads: 59 MiB above idle by default, 30 MiB with this. The cost: each task maps
/// its large blocks afresh, and the page faults add 3–6 ms of system time to a 57 ms JPEG → WebP
/// task on the benchmark's VM (faults cost less on bare metal). Below 4 MiB, blocks stay in the
/// arenas, where the next task reuses them.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation policy for later allocations.
    unsafe {
        libc::mallopt(
            libc::M_MMAP_THRESHOLD,
            libc::c_int::try_from(MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX),
        );
    }
}

/// Opens (creating, 0600 on Unix) the file `name` in `dir`.
fn open_in(dir: &Path, name: &str) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(dir.join(name)).map_err(|e| dir_error(dir, &e))
}

impl Machine {
    /// Opens (creating as needed) the slot files of `config`, completed by [`with_env`]: `slots`
    /// files in `dir`. Costs one open per slot, once per process.
    pub fn open(config: &MachineConfig) -> Result<Machine> {
        let config = with_env(config);
        let slots = config.slots.unwrap_or_else(default_slots);
        if !(1..=MAX_SLOTS).contains(&slots) {
            return Err(Error::out_of_range(
                "machine.slots",
                1,
                MAX_SLOTS as u64,
                slots,
            ));
        }
        let dir = match &config.dir {
            Some(d) => {
                prepare_dir(d, false)?;
                d.clone()
            }
            None => {
                let d = default_dir();
                prepare_dir(&d, true)?;
                d
            }
        };
        let files = (0..slots)
            .map(|i| {
                let file = open_in(&dir, &format!("slot-{i}"))?;
                Ok(SlotFile {
                    file,
                    taken: AtomicBool::new(false),
                })
            })
            .collect::<Result<Box<[_]>>>()?;
        let waiters_probe = Mutex::new(open_in(&dir, WAITERS)?);
        // Best effort: without a doorbell, waiting polls.
        let bell = Doorbell::open(open_in(&dir, DOORBELL).ok().as_ref());
        return_large_blocks();
        Ok(Machine {
            dir,
            slots: files,
            next: AtomicUsize::new(0),
            waiters_probe,
            bell,
        })
    }

    /// True when some thread (of any process) waits for a slot.
    fn others_waiting(&self) -> bool {
        let probe = self.waiters_probe.lock().unwrap_or_else(|e| e.into_inner());
        match probe.try_lock() {
            Ok(()) => {
                let _ = probe.unlock();
                false
            }
            Err(_) => true,
        }
    }

    /// How many slots this process uses.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// The slot directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn try_slot(&self, i: usize) -> Option<Held<'_>> {
        let slot = &self.slots[i];
        if slot
            .taken
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        match slot.file.try_lock() {
            Ok(()) => Some(Held {
                slot,
                bell: &self.bell,
            }),
            Err(_) => {
                slot.taken.store(false, Ordering::Release);
                None
            }
        }
    }

    /// Takes a free slot without waiting, or `None` when all are held.
    pub fn try_acquire(&self) -> Option<Held<'_>> {
        let n = self.slots.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        (0..n).find_map(|k| self.try_slot((start + k) % n))
    }

    /// Waits on this thread for a free slot: takes one at once when nobody waits, otherwise
    /// announces itself (a shared lock on [`WAITERS`]) and waits for the doorbell, trying the
    /// slots at each ring and at least every [`POLL_MAX`]. `None` when `give_up` (checked before
    /// each try) returned true first.
    pub fn acquire(&self, give_up: impl Fn() -> bool) -> Option<Held<'_>> {
        if give_up() {
            return None;
        }
        let mut seen = self.bell.ticket();
        if !self.others_waiting() {
            if let Some(held) = self.try_acquire() {
                return Some(held);
            }
        }
        release_free_heap();
        // Best effort: without the announcement, waiting still works, only less fairly.
        let _announced = open_in(&self.dir, WAITERS)
            .ok()
            .filter(|f| f.lock_shared().is_ok());
        let mut delay = if self.bell.rings() {
            POLL_MAX
        } else {
            POLL_MIN
        };
        loop {
            let woken = self.bell.wait(seen, delay);
            delay = (delay + POLL_STEP).min(POLL_MAX);
            if give_up() {
                if woken {
                    self.bell.ring(); // the slot this ring freed goes to the next waiter
                }
                return None;
            }
            seen = self.bell.ticket();
            if let Some(held) = self.try_acquire() {
                return Some(held);
            }
        }
    }

    /// Slots held now by any process. Probes each free-looking slot with a shared `try_lock`
    /// (two system calls per slot), so call it at a dashboard's pace, not per task. Shared: two
    /// processes probing at once do not see each other's probe as a held slot (an exclusive probe
    /// did, and reported slots in use on an idle machine).
    pub fn in_use(&self) -> usize {
        (0..self.slots.len())
            .filter(|&i| !self.probe_free(i))
            .count()
    }

    /// True when no thread of any process holds slot `i`. The `taken` flag keeps this process's
    /// threads off the file while it is probed: a shared lock taken on the descriptor another
    /// thread holds exclusively would convert that thread's lock, and the unlock release it.
    fn probe_free(&self, i: usize) -> bool {
        let slot = &self.slots[i];
        if slot
            .taken
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        let free = slot.file.try_lock_shared().is_ok();
        if free {
            let _ = slot.file.unlock();
        }
        slot.taken.store(false, Ordering::Release);
        free
    }

    /// Slots, slots in use, directory.
    pub fn snapshot(&self) -> MachineSnapshot {
        MachineSnapshot {
            slots: u32::try_from(self.slots()).unwrap_or(u32::MAX),
            in_use: u32::try_from(self.in_use()).unwrap_or(u32::MAX),
            dir: self.dir.to_string_lossy().into_owned(),
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds: the clock of Node's `process.hrtime`, one clock for every
/// process of a host (Unix; `None` elsewhere).
pub fn monotonic_ns() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec to write to.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
            return None;
        }
        let secs = u64::try_from(ts.tv_sec).ok()?;
        let nanos = u64::try_from(ts.tv_nsec).ok()?;
        Some(secs * 1_000_000_000 + nanos)
    }
    #[cfg(not(unix))]
    None
}

/// Test hook (only with `OFFTHREAD_TEST_HOOKS=1`): keeps its thread busy for `ms` milliseconds,
/// stopping early with `ABORT_ERR` on cancellation, and returns when it started and ended on
/// [`monotonic_ns`], so tests can compare tasks of several processes.
pub fn test_spin(state: &super::TaskState, ms: u32) -> Result<(u64, u64)> {
    if std::env::var("OFFTHREAD_TEST_HOOKS").as_deref() != Ok("1") {
        return Err(Error::new(
            ErrorKind::InvalidArgValue,
            "test hooks are disabled (set OFFTHREAD_TEST_HOOKS=1)",
        ));
    }
    let unsupported = || Error::new(ErrorKind::Internal, "no monotonic clock here");
    let start = monotonic_ns().ok_or_else(unsupported)?;
    let until = start + u64::from(ms) * 1_000_000;
    let mut x = 0u64;
    loop {
        for i in 0..10_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
        state.checkpoint()?;
        let now = monotonic_ns().ok_or_else(unsupported)?;
        if now >= until {
            return Ok((start, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "offthread-machine-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn slots_are_exclusive_across_open_files_and_freed_on_drop() {
        let dir = temp("excl");
        let cfg = MachineConfig {
            slots: Some(2),
            dir: Some(dir.clone()),
        };
        // Two opens stand for two processes: locks on different open files conflict.
        let a = Machine::open(&cfg).unwrap();
        let b = Machine::open(&cfg).unwrap();
        let a1 = a.try_acquire().unwrap();
        let a2 = a.try_acquire().unwrap();
        assert!(a.try_acquire().is_none(), "this process holds both slots");
        assert!(
            b.try_acquire().is_none(),
            "the other process sees both held"
        );
        assert_eq!(b.in_use(), 2);
        assert_eq!(a.in_use(), 2);
        drop(a1);
        assert_eq!(b.in_use(), 1);
        let b1 = b.try_acquire().unwrap();
        assert_eq!(a.in_use(), 2);
        drop((a2, b1));
        assert_eq!(a.in_use(), 0);
        assert!(dir.join("slot-0").exists() && dir.join("slot-1").exists());
        assert!(dir.join(WAITERS).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_probe_does_not_count_another_process_probing_as_a_held_slot() {
        let dir = temp("probe");
        let cfg = MachineConfig {
            slots: Some(2),
            dir: Some(dir.clone()),
        };
        let a = Machine::open(&cfg).unwrap();
        let b = Machine::open(&cfg).unwrap();
        // `a` in the middle of its own probe of slot 0 (the lock its probe holds for a moment).
        a.slots[0].file.try_lock_shared().unwrap();
        assert_eq!(b.in_use(), 0, "a probe is not a holder");
        assert_eq!(b.in_use(), 0, "and b's probe left nothing behind");
        a.slots[0].file.unlock().unwrap();
        // A holder of this process is seen by its own probe, and keeps its lock through it.
        let held = b.try_acquire().unwrap();
        assert_eq!(b.in_use(), 1);
        assert_eq!(a.in_use(), 1, "b's slot is still locked after b probed it");
        drop(held);
        assert_eq!(a.in_use(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_closed_file_releases_its_slot() {
        let dir = temp("close");
        let cfg = MachineConfig {
            slots: Some(1),
            dir: Some(dir.clone()),
        };
        let b = Machine::open(&cfg).unwrap();
        {
            let a = Machine::open(&cfg).unwrap();
            let held = a.try_acquire().unwrap();
            std::mem::forget(held); // as a process killed while holding it
            assert_eq!(b.in_use(), 1);
        } // `a`'s files close here, as the kernel closes a dead process's files
        assert_eq!(b.in_use(), 0);
        assert!(b.try_acquire().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn acquire_waits_until_a_slot_frees_and_gives_up_on_request() {
        let dir = temp("wait");
        let cfg = MachineConfig {
            slots: Some(1),
            dir: Some(dir.clone()),
        };
        let a = Machine::open(&cfg).unwrap();
        let b = Machine::open(&cfg).unwrap();
        let held = a.try_acquire().unwrap();
        let calls = AtomicUsize::new(0);
        assert!(b
            .acquire(|| calls.fetch_add(1, Ordering::Relaxed) >= 3)
            .is_none());
        assert_eq!(calls.load(Ordering::Relaxed), 4);
        std::thread::scope(|s| {
            let t = s.spawn(|| b.acquire(|| false).is_some());
            std::thread::sleep(Duration::from_millis(20));
            drop(held);
            assert!(t.join().unwrap());
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_thread_arriving_while_others_wait_queues_behind_them() {
        let dir = temp("fair");
        let cfg = MachineConfig {
            slots: Some(1),
            dir: Some(dir.clone()),
        };
        let a = Machine::open(&cfg).unwrap();
        let b = Machine::open(&cfg).unwrap();
        let held = a.try_acquire().unwrap();
        assert!(!a.others_waiting());
        std::thread::scope(|s| {
            let waiter = s.spawn(|| b.acquire(|| false).is_some());
            while !a.others_waiting() {
                std::thread::sleep(Duration::from_millis(1));
            }
            drop(held);
            // `a` finishes and wants a slot again at once: it leaves the free slot to the waiter.
            let tries = AtomicUsize::new(0);
            assert!(a
                .acquire(|| tries.fetch_add(1, Ordering::Relaxed) >= 1)
                .is_none());
            assert!(waiter.join().unwrap());
        });
        assert!(
            !a.others_waiting(),
            "the waiter's announcement ends with its wait"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn slot_counts_out_of_range_are_refused_with_the_option_name() {
        let e = Machine::open(&MachineConfig {
            slots: Some(0),
            dir: Some(temp("range")),
        })
        .err()
        .unwrap();
        assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
        assert!(e.to_string().contains("machine.slots"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp("mode");
        Machine::open(&MachineConfig {
            slots: Some(1),
            dir: Some(dir.clone()),
        })
        .unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
