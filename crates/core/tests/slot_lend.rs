//! Lending (core's `pool::slot`): a JS task that awaits offthread's own work while it holds the only
//! pool thread. Its own process, so the pool has exactly one thread and nothing else runs on it.

use offthread_core::pool::slot::{self, Acquired, Outcome, Starter};
use offthread_core::pool::{self, Config, TaskState};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Chan(Mutex<mpsc::Sender<u32>>);

impl Starter for Chan {
    fn started(&self, id: u32) {
        let _ = self.0.lock().map(|s| s.send(id));
    }
}

const LONG: Duration = Duration::from_secs(10);

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

/// Submits a native task from this thread; returns the name of the thread that ran it.
fn native_task() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    pool::submit(
        Arc::new(TaskState::new()),
        |_| Ok(thread_name()),
        move |r| {
            let _ = tx.send(r.expect("the task ran"));
        },
    )
    .expect("admitted");
    rx
}

#[test]
fn the_only_thread_runs_the_work_its_js_task_awaits() {
    pool::configure(Config {
        threads: Some(1),
        ..Config::default()
    })
    .expect("configured");
    let (tx, rx) = mpsc::channel();
    let env: slot::Env = Arc::new(Chan(Mutex::new(tx)));
    let start = |a: Acquired| {
        if !a.started {
            assert_eq!(rx.recv_timeout(LONG).expect("started"), a.id);
        }
        a.id
    };
    let outer = start(slot::acquire(&env).expect("admitted"));
    assert_eq!(pool::running(), 1, "the one thread is lent to the JS task");

    // Work this thread submits while it runs no task waits for a free thread (there is none).
    slot::enter(0);
    let stranded = native_task();
    assert!(stranded.recv_timeout(Duration::from_millis(100)).is_err());

    // Work submitted on behalf of `outer` runs on the thread `outer` holds.
    slot::enter(outer);
    let ran_on = native_task().recv_timeout(LONG).expect("lent work ran");
    assert!(ran_on.starts_with("offthread-"), "ran on {ran_on}");

    // A nested pool's task starts on the same thread; a second one waits for it to end.
    // (It may wait an instant: the thread that ran the lent work above may not have let go of it yet.)
    let inner = start(slot::acquire(&env).expect("admitted"));
    let second = slot::acquire(&env).expect("admitted");
    assert!(!second.started, "one borrower at a time");
    assert_eq!(slot::counts().0, 1);
    // While `inner` holds the thread, work `outer` lends waits for it.
    let lent_meanwhile = native_task();
    assert!(lent_meanwhile
        .recv_timeout(Duration::from_millis(100))
        .is_err());
    assert_eq!(slot::release(&env, inner, Outcome::Completed), None);
    // Then the outer task's lent work and its waiting nested task are served, one after the other.
    assert!(lent_meanwhile.recv_timeout(LONG).is_ok());
    assert_eq!(rx.recv_timeout(LONG).expect("second started"), second.id);
    slot::release(&env, second.id, Outcome::Completed);

    // The outer task ends: its thread goes on to the work that waited in the pool's queue.
    slot::enter(0);
    slot::release(&env, outer, Outcome::Completed);
    assert!(stranded.recv_timeout(LONG).is_ok());
    slot::trim(&env);
    let (queued, running, pool_queued, _) = slot::counts();
    assert_eq!((queued, running, pool_queued), (0, 0, 0));
    slot::drop_env(&env);
}
