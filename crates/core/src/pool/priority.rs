//! Lowering the OS priority of pool threads, so the JS thread wins the CPU when both want it.

/// The pool threads' scheduling priority.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Priority {
    /// Below the JS thread: nice +10 on Linux (the JS thread keeps ~90% of a contended core).
    #[default]
    Background,
    /// The same priority as the process.
    Normal,
}

impl Priority {
    /// Every priority with its name, as the JS option `priority` spells it.
    pub const ALL: [(&'static str, Priority); 2] = [
        ("background", Priority::Background),
        ("normal", Priority::Normal),
    ];

    /// The name of this priority.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("background", |(n, _)| n)
    }

    /// The nice value added for this priority on Linux.
    pub const fn nice(self) -> i32 {
        match self {
            Priority::Background => 10,
            Priority::Normal => 0,
        }
    }
}

/// Applies `priority` to the calling thread only.
///
/// - Linux: per-thread nice (+10 for background) via the thread's TID.
/// - macOS: the thread's scheduling priority within SCHED_OTHER lowered by 10 steps (31, the
///   default, to 21), the closest to nice +10. Not a QoS class: utility or background QoS would
///   also move the pool to the efficiency cores of Apple silicon and throttle its I/O.
/// - Windows: `THREAD_PRIORITY_BELOW_NORMAL`, one step below the JS thread's normal priority.
///
/// A failure leaves the thread at its default priority.
pub fn apply_to_current_thread(priority: Priority) {
    let nice = priority.nice();
    if nice == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's own id; failure leaves the default.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid);
        if let Ok(tid) = libc::id_t::try_from(tid) {
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            libc::setpriority(libc::PRIO_PROCESS, tid, (current + nice).min(19));
        }
    }
    #[cfg(target_os = "macos")]
    // SAFETY: reads and sets the calling thread's own scheduling parameters; `param` is a
    // plain C struct that pthread_getschedparam fills before it is read.
    unsafe {
        let thread = libc::pthread_self();
        let mut policy = 0;
        let mut param: libc::sched_param = std::mem::zeroed();
        if libc::pthread_getschedparam(thread, &mut policy, &mut param) == 0 {
            let floor = libc::sched_get_priority_min(policy);
            param.sched_priority = (param.sched_priority - nice).max(floor);
            libc::pthread_setschedparam(thread, policy, &param);
        }
    }
    #[cfg(windows)]
    // SAFETY: GetCurrentThread returns a pseudo-handle to the calling thread, valid here.
    unsafe {
        windows::SetThreadPriority(
            windows::GetCurrentThread(),
            windows::THREAD_PRIORITY_BELOW_NORMAL,
        );
    }
}

/// The two kernel32 calls `apply_to_current_thread` needs on Windows.
#[cfg(windows)]
mod windows {
    use std::ffi::c_void;

    pub const THREAD_PRIORITY_BELOW_NORMAL: i32 = -1;

    #[link(name = "kernel32")]
    extern "system" {
        pub fn GetCurrentThread() -> *mut c_void;
        pub fn SetThreadPriority(thread: *mut c_void, priority: i32) -> i32;
    }
}

/// The calling thread's nice value (Linux), for tests.
#[cfg(target_os = "linux")]
pub fn current_nice() -> i32 {
    // SAFETY: read-only syscalls on the calling thread.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid);
        libc::getpriority(libc::PRIO_PROCESS, libc::id_t::try_from(tid).unwrap_or(0))
    }
}
