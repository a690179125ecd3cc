//! bcrypt's batch queue on the pool: batched results equal the scalar kernel's, a cancelled
//! lane leaves alone, a task cancelled while queued never runs, admission and counters hold.

use offthread_core::password::bcrypt::batch::{self, Outcome, Work};
use offthread_core::password::{self as password, HashOptions, Params, VerifyOptions};
use offthread_core::pool::{self, CancelOutcome, Config, TaskState};
use offthread_core::Result;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const THREADS: usize = 2;
const MAX_QUEUE: usize = 32;

/// The tests share one pool and its counters: one at a time, on a 2-thread pool.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let _ = pool::configure(Config {
        threads: Some(THREADS),
        max_queue: Some(MAX_QUEUE),
        ..Config::default()
    });
    assert_eq!(pool::start().threads, THREADS);
    guard
}

fn hash_work(password: &[u8], cost: u32) -> Work {
    let options = HashOptions {
        params: Params::Bcrypt { cost },
        ..HashOptions::default()
    };
    Work::hash(password, &options).expect("a batchable bcrypt hash")
}

type Results = Receiver<(usize, Result<Outcome>)>;

/// Submits every work; results arrive as (index, result).
fn submit_all(works: &[Work]) -> (Vec<Arc<TaskState>>, Results) {
    let (tx, rx) = channel();
    let states = works
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let state = Arc::new(TaskState::new());
            let tx = tx.clone();
            batch::submit(state.clone(), w.clone(), move |r| {
                let _ = tx.send((i, r));
            })
            .expect("admitted");
            state
        })
        .collect();
    (states, rx)
}

fn until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn idle() {
    until("the pool to be idle", || {
        pool::running() == 0 && pool::queued() == 0
    });
}

#[test]
fn mixed_costs_hash_and_verify_like_the_scalar_kernel() {
    let _serial = serial();
    let options = VerifyOptions::default();
    let stored = [
        password::bcrypt::hash(b"stored 4", 4, false, &[7; 16], &TaskState::new()).unwrap(),
        password::bcrypt::hash(b"stored 5", 5, false, &[9; 16], &TaskState::new()).unwrap(),
    ];
    let mut works = Vec::new();
    for i in 0..12u32 {
        let cost = 4 + i % 3;
        works.push(hash_work(format!("password {i}").as_bytes(), cost));
        let which = usize::from(i % 2 == 1);
        let guess = if i % 4 < 2 { "stored " } else { "wrong " };
        let guess = format!("{guess}{}", 4 + which);
        works.push(Work::verify(&stored[which], guess.as_bytes(), &options).unwrap());
    }
    let before = pool::snapshot();
    let (_, rx) = submit_all(&works);
    let mut got: Vec<Option<Outcome>> = vec![None; works.len()];
    for _ in 0..works.len() {
        let (i, r) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        got[i] = Some(r.unwrap());
    }
    for (i, w) in works.iter().enumerate() {
        let want = w.run(&TaskState::new()).unwrap();
        assert_eq!(got[i].as_ref(), Some(&want), "task {i}");
        if let Outcome::Hash(h) = &want {
            let pw = format!("password {}", i / 2);
            assert_eq!(
                password::verify(h, pw.as_bytes(), &options, &TaskState::new()),
                Ok(true)
            );
        }
    }
    let verdicts: Vec<bool> = got
        .iter()
        .filter_map(|o| match o {
            Some(Outcome::Verify(v)) => Some(*v),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts.iter().filter(|v| **v).count(), 6);
    assert_eq!(verdicts.len(), 12);
    idle();
    let after = pool::snapshot();
    assert_eq!(after.completed - before.completed, works.len() as u64);
    assert_eq!(after.cancelled, before.cancelled);
}

#[test]
fn tasks_of_one_cost_share_the_kernel() {
    let _serial = serial();
    let works: Vec<Work> = (0..8)
        .map(|i| hash_work(format!("pw {i}").as_bytes(), 8))
        .collect();
    let (rounds0, lanes0) = batch::rounds();
    let (_, rx) = submit_all(&works);
    for _ in 0..works.len() {
        let (i, r) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(r, works[i].run(&TaskState::new()), "task {i}");
    }
    let (rounds1, lanes1) = batch::rounds();
    let (rounds, lanes) = (rounds1 - rounds0, lanes1 - lanes0);
    assert_eq!(lanes, 8 * 256, "every task ran its 2^8 rounds once");
    // Eight tasks on two threads: four lanes each, but for the few rounds it takes runners to fill.
    assert!(
        rounds < lanes / 3,
        "mean batch width {:.2}",
        lanes as f64 / rounds as f64
    );
    idle();
}

#[test]
fn a_cancelled_running_lane_leaves_and_the_others_finish() {
    let _serial = serial();
    let works: Vec<Work> = (0..4)
        .map(|i| hash_work(format!("pw {i}").as_bytes(), 11))
        .collect();
    let before = pool::snapshot();
    let (states, rx) = submit_all(&works);
    until("the four tasks to run", || pool::running() == 4);
    assert_eq!(pool::cancel(&states[1]), CancelOutcome::WasRunning);
    let (first, r) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(
        first, 1,
        "the cancelled lane leaves first, at its next round"
    );
    assert_eq!(r.map_err(|e| e.code()), Err("ABORT_ERR"));
    for _ in 0..3 {
        let (i, r) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(r, works[i].run(&TaskState::new()), "task {i}");
    }
    idle();
    let after = pool::snapshot();
    assert_eq!(after.completed - before.completed, 3);
    assert_eq!(after.cancelled - before.cancelled, 1);
}

#[test]
fn a_task_cancelled_while_queued_never_runs_and_admission_holds() {
    let _serial = serial();
    // Two threads of four lanes: eight tasks fill them, the rest wait.
    let fill: Vec<Work> = (0..8)
        .map(|i| hash_work(format!("pw {i}").as_bytes(), 11))
        .collect();
    let before = pool::snapshot();
    let (_, rx) = submit_all(&fill);
    until("the lanes to fill", || pool::running() == 8);
    let (tx, victim_rx) = channel();
    let victim = Arc::new(TaskState::new());
    batch::submit(victim.clone(), hash_work(b"victim", 11), move |r| {
        let _ = tx.send(r);
    })
    .unwrap();
    // The rest of the queue fills up; one more is refused.
    let mut extra = Vec::new();
    for i in 1..MAX_QUEUE {
        let state = Arc::new(TaskState::new());
        batch::submit(state.clone(), hash_work(b"extra", 11), move |_| {
            panic!("extra task {i} ran");
        })
        .unwrap();
        extra.push(state);
    }
    assert_eq!(pool::queued(), MAX_QUEUE as u64);
    let refused = batch::submit(Arc::new(TaskState::new()), hash_work(b"x", 11), |_| {
        panic!("refused task ran")
    });
    assert_eq!(refused.map_err(|e| e.code()), Err("ERR_QUEUE_FULL"));
    assert_eq!(pool::cancel(&victim), CancelOutcome::WasQueued);
    for state in &extra {
        assert_eq!(pool::cancel(state), CancelOutcome::WasQueued);
    }
    assert_eq!(pool::queued(), 0);
    for _ in 0..fill.len() {
        let (i, r) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(r, fill[i].run(&TaskState::new()), "task {i}");
    }
    idle();
    assert!(victim_rx.try_recv().is_err(), "the victim never ran");
    assert_eq!(batch::waiting(), 0, "its entry was dropped by a token");
    let after = pool::snapshot();
    assert_eq!(after.completed - before.completed, 8);
    assert_eq!(after.cancelled - before.cancelled, MAX_QUEUE as u64);
    assert_eq!(after.rejected - before.rejected, 1);
}

/// The batch path takes exactly the hashes and verifies the ordinary path would complete; every
/// input the ordinary path refuses stays on it, so errors keep their codes and messages.
#[test]
fn batchable_exactly_when_the_ordinary_path_succeeds() {
    let bcrypt = |cost| HashOptions {
        params: Params::Bcrypt { cost },
        ..HashOptions::default()
    };
    let long = vec![b'a'; 100];
    let hashes: Vec<(&str, Vec<u8>, HashOptions)> = vec![
        ("plain", b"pw".to_vec(), bcrypt(4)),
        ("cost 3", b"pw".to_vec(), bcrypt(3)),
        ("cost 32", b"pw".to_vec(), bcrypt(32)),
        ("NUL byte", b"p\0w".to_vec(), bcrypt(4)),
        ("over 72 bytes", long.clone(), bcrypt(4)),
        (
            "over 72 bytes, truncate",
            long.clone(),
            HashOptions {
                truncate: true,
                ..bcrypt(4)
            },
        ),
        (
            "over maxPasswordLength",
            b"pw".to_vec(),
            HashOptions {
                max_password_length: 1,
                ..bcrypt(4)
            },
        ),
        (
            "a secret",
            b"pw".to_vec(),
            HashOptions {
                secrets: password::Secrets {
                    secret: Some(b"pepper".to_vec()),
                    associated_data: None,
                },
                ..bcrypt(4)
            },
        ),
        ("argon2id", b"pw".to_vec(), HashOptions::default()),
    ];
    for (what, pw, options) in &hashes {
        let ordinary = password::hash(pw, options, &TaskState::new());
        let is_bcrypt = matches!(options.params, Params::Bcrypt { .. });
        assert_eq!(
            Work::hash(pw, options).is_some(),
            ordinary.is_ok() && is_bcrypt,
            "hash, {what}: {ordinary:?}"
        );
    }
    let stored = password::bcrypt::hash(b"pw", 5, false, &[1; 16], &TaskState::new()).unwrap();
    let a_long = password::bcrypt::hash(&long[..72], 4, true, &[1; 16], &TaskState::new())
        .unwrap()
        .replacen("$2b$", "$2a$", 1);
    let strict = VerifyOptions {
        limits: password::Limits {
            max_bcrypt_cost: 4,
            ..password::Limits::DEFAULT
        },
        ..VerifyOptions::default()
    };
    let short = VerifyOptions {
        max_password_length: 1,
        ..VerifyOptions::default()
    };
    let default = VerifyOptions::default();
    let verifies: Vec<(&str, &str, Vec<u8>, &VerifyOptions, bool)> = vec![
        ("right", &stored, b"pw".to_vec(), &default, true),
        ("wrong", &stored, b"px".to_vec(), &default, true),
        ("over maxCost", &stored, b"pw".to_vec(), &strict, false),
        (
            "over maxPasswordLength",
            &stored,
            b"pw".to_vec(),
            &short,
            false,
        ),
        ("malformed", &stored[..59], b"pw".to_vec(), &default, false),
        (
            "$2a$, 255+ bytes: two forms",
            &a_long,
            vec![b'a'; 300],
            &default,
            false,
        ),
        ("$2a$, 100 bytes", &a_long, long.clone(), &default, true),
    ];
    for (what, hash, pw, options, batchable) in verifies {
        let ordinary = password::verify(hash, &pw, options, &TaskState::new());
        let work = Work::verify(hash, &pw, options);
        assert_eq!(work.is_some(), batchable, "verify, {what}: {ordinary:?}");
        if let Some(work) = work {
            assert_eq!(
                work.run(&TaskState::new()),
                ordinary.map(Outcome::Verify),
                "verify, {what}"
            );
        }
    }
}

/// Other work queued behind a stream of bcrypt tasks starts after the bcrypt tasks queued
/// before it, not after the ones submitted later (stale tokens must not let them pass).
#[test]
fn other_work_is_not_overtaken_by_later_bcrypt_tasks() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let _serial = serial();
    const IN_FLIGHT: usize = 16;
    static DONE: AtomicUsize = AtomicUsize::new(0);
    let (tx, rx) = channel::<()>();
    let submit = |tx: std::sync::mpsc::Sender<()>| {
        let work = hash_work(b"stream", 7);
        batch::submit(Arc::new(TaskState::new()), work, move |r| {
            assert!(r.is_ok());
            DONE.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(());
        })
        .expect("admitted");
    };
    let base = DONE.load(Ordering::SeqCst);
    for _ in 0..IN_FLIGHT {
        submit(tx.clone());
    }
    // Let runners take over the stream (their tasks' tokens go stale in the FIFO).
    for _ in 0..4 * IN_FLIGHT {
        rx.recv_timeout(Duration::from_secs(60)).unwrap();
        submit(tx.clone());
    }
    let submitted_at = DONE.load(Ordering::SeqCst) - base;
    let (mtx, mrx) = channel();
    pool::submit(
        Arc::new(TaskState::new()),
        move |_| Ok(DONE.load(Ordering::SeqCst) - base),
        move |r| {
            let _ = mtx.send(r);
        },
    )
    .unwrap();
    let started_at = loop {
        if let Ok(r) = mrx.try_recv() {
            break r.unwrap();
        }
        rx.recv_timeout(Duration::from_secs(60)).unwrap();
        submit(tx.clone());
    };
    for _ in 0..IN_FLIGHT {
        rx.recv_timeout(Duration::from_secs(60)).unwrap();
    }
    idle();
    // At most the tasks in flight when it was queued finish first (plus a batch per thread
    // of slack for the moment the runners notice it).
    let overtaken = started_at - submitted_at;
    assert!(
        overtaken <= IN_FLIGHT + 2 * 4,
        "{overtaken} bcrypt tasks finished between the marker's submission and its start"
    );
}
