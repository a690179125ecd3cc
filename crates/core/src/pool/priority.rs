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

/// Applies `priority` to the calling thread only (Linux: per-thread nice via its TID).
/// Elsewhere this is a no-op for now.
pub fn apply_to_current_thread(priority: Priority) {
    #[cfg(target_os = "linux")]
    {
        let nice = priority.nice();
        if nice == 0 {
            return;
        }
        // SAFETY: plain syscalls on the calling thread's own id; failure leaves the default.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid);
            if let Ok(tid) = libc::id_t::try_from(tid) {
                let current = libc::getpriority(libc::PRIO_PROCESS, tid);
                libc::setpriority(libc::PRIO_PROCESS, tid, (current + nice).min(19));
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = priority;
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
