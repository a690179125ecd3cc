//! With the machine budget on, a large block freed by a task goes back to the system (glibc's mmap
//! threshold is fixed, see `pool::machine::MMAP_THRESHOLD`). Its own test binary: the check reads
//! this process's RSS, which tests running beside it in one process would move.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn with_the_budget_a_freed_frame_goes_back_to_the_system() {
    use offthread_core::pool::machine::{Machine, MachineConfig, MMAP_THRESHOLD};
    let rss = || {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: usize = statm
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4096
    };
    let frame = 4 * MMAP_THRESHOLD; // 16 MiB, under glibc's 32 MiB ceiling for its own threshold
    let touch = || {
        let v = vec![1u8; frame];
        std::hint::black_box(&v);
        (rss(), v)
    };
    let dir = std::env::temp_dir().join(format!("offthread-machine-memory-{}", std::process::id()));
    let _machine = Machine::open(&MachineConfig {
        slots: Some(1),
        dir: Some(dir.clone()),
    })
    .unwrap();
    // By default the first free would raise glibc's threshold past `frame`, and the second block
    // would come from the heap and stay there when freed.
    for _ in 0..3 {
        let before = rss();
        let (during, v) = touch();
        drop(v);
        let after = rss();
        assert!(during >= before + frame - frame / 8, "{before} {during}");
        assert!(
            during >= after + frame - frame / 8,
            "kept after free: {during} -> {after}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
