//! bcrypt tasks on the pool, hashed several at a time on one thread by the interleaved kernel
//! ([`super::lanes`]).
//!
//! [`submit`] admits a task to the pool's queue (same counters and `ERR_QUEUE_FULL` as any
//! task), puts it in a queue per cost here, and spawns one *token* job for it. A token that
//! runs becomes a *runner*: it takes the oldest waiting task's cost and claims tasks of that
//! cost submitted no later than its own task, up to its fair share, as lanes. Between two
//! rounds (~50 µs at any cost) the runner lets cancelled lanes leave with `ABORT_ERR`, delivers
//! finished lanes, and takes more waiting tasks of its cost into free lanes. It ends when it
//! has no lane left. A token that finds nothing for it returns at once. A lone task starts at
//! once, alone (the one-lane kernel is the scalar one): nobody waits for company.
//!
//! No task is ever stranded: waiting tasks never outnumber the tokens yet to run. Each token
//! that runs takes at least one task while any waits beyond the tokens left, even one submitted
//! after its own. Tokens may run out of order (two threads take consecutive tokens, or, under
//! the machine budget, whichever waiting thread gets a slot first), and then a later token can
//! take an earlier token's task and leave its own: the earlier token takes that one.
//!
//! Fairness: a runner holds at most `ceil(bcrypt tasks / threads free for them)` lanes (at most
//! [`MAX_LANES`]), so with two idle threads and eight tasks each thread takes four instead of
//! one taking all. A runner stops taking new lanes while other tasks (another cost, another
//! algorithm) wait in the pool's queue, so it drains and hands the thread back; and since a
//! token only takes tasks as old as its own, the tokens of tasks runners already took (still in
//! the pool's FIFO) cannot let newer bcrypt tasks pass work queued before them.

use super::lanes::{Lane, Lanes, MAX_LANES};
use super::{key_for, parse, Prefix, MAX_COST, MAX_PASSWORD, MIN_COST};
use crate::password::{ct_eq, random_salt, HashOptions, Params, VerifyOptions};
use crate::pool::{self, Claimed, TaskState};
use crate::{Error, Result};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a batched task produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new `$2b$` hash.
    Hash(String),
    /// Whether the password matched.
    Verify(bool),
}

#[derive(Clone, Debug)]
enum Finish {
    Hash,
    Verify { expected: [u8; 23] },
}

/// One bcrypt computation whose inputs were already checked: it cannot fail, only be aborted.
#[derive(Clone, Debug)]
pub struct Work {
    cost: u32,
    lane: Lane,
    finish: Finish,
}

impl Work {
    /// The batchable form of `password::hash(password, options)`: `Some` only for a bcrypt hash
    /// that will succeed. Everything else (another algorithm, a bad option, a password that is
    /// refused) is `None`, for the ordinary path, which reports the error. Draws the salt now.
    pub fn hash(password: &[u8], options: &HashOptions) -> Option<Work> {
        let Params::Bcrypt { cost } = options.params else {
            return None;
        };
        let has_secrets =
            options.secrets.secret.is_some() || options.secrets.associated_data.is_some();
        if has_secrets
            || password.len() > options.max_password_length
            || !(MIN_COST..=MAX_COST).contains(&cost)
            || password.contains(&0)
            || (password.len() > MAX_PASSWORD && !options.truncate)
        {
            return None;
        }
        let salt: [u8; 16] = random_salt(16).ok()?.try_into().ok()?;
        Some(Work {
            cost,
            lane: Lane {
                key: super::key_words(&key_for(Prefix::B, password)),
                salt,
            },
            finish: Finish::Hash,
        })
    }

    /// The batchable form of `password::verify(hash, password, options)`: `Some` only for a
    /// well-formed `$2a$`/`$2b$`/`$2x$`/`$2y$` hash within the cost limit (and not a `$2a$` one
    /// with a password of 255 bytes or more, which is checked in two forms). Else `None`.
    pub fn verify(hash: &str, password: &[u8], options: &VerifyOptions) -> Option<Work> {
        if password.len() > options.max_password_length || !hash.starts_with("$2") {
            return None;
        }
        let parsed = parse(hash).ok()?;
        if parsed.cost > options.limits.max_bcrypt_cost
            || (parsed.prefix == Prefix::A && password.len() >= 255)
        {
            return None;
        }
        let key = key_for(parsed.prefix, password);
        let key = match parsed.prefix {
            Prefix::X => super::key_words_sign_extended(&key),
            Prefix::A | Prefix::B | Prefix::Y => super::key_words(&key),
        };
        Some(Work {
            cost: parsed.cost,
            lane: Lane {
                key,
                salt: parsed.salt,
            },
            finish: Finish::Verify {
                expected: parsed.hash,
            },
        })
    }

    /// The bcrypt cost (2^cost rounds).
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// The kernel input: key words and salt.
    pub fn lane(&self) -> &Lane {
        &self.lane
    }

    /// Whether the raw 24-byte output `raw` of [`Work::lane`] gives the expected answer: the
    /// hash string for a hash, the comparison for a verify.
    pub fn outcome(&self, raw: &[u8; 24]) -> Outcome {
        match &self.finish {
            Finish::Hash => {
                Outcome::Hash(super::format_hash(self.cost, &self.lane.salt, &raw[..23]))
            }
            Finish::Verify { expected } => Outcome::Verify(ct_eq(&raw[..23], expected)),
        }
    }

    /// Runs it here, alone, on the scalar kernel.
    pub fn run(&self, task: &TaskState) -> Result<Outcome> {
        let raw = super::eks::bcrypt(self.cost, &self.lane.salt, &self.lane.key, task)?;
        Ok(self.outcome(&raw))
    }
}

type Done = Box<dyn FnOnce(Result<Outcome>) + Send>;

struct Pending {
    state: Arc<TaskState>,
    work: Work,
    done: Done,
    seq: u64,
}

/// Waiting tasks, FIFO per cost, and the tokens spawned for them that have not run yet
/// (`len <= tokens` after every change: see the module doc).
struct Queue {
    by_cost: [VecDeque<Pending>; MAX_COST as usize + 1],
    len: usize,
    tokens: usize,
    next_seq: u64,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    by_cost: [const { VecDeque::new() }; MAX_COST as usize + 1],
    len: 0,
    tokens: 0,
    next_seq: 0,
});

/// Batched tasks claimed and not yet delivered, over all runners.
static LANES_RUNNING: AtomicU64 = AtomicU64::new(0);
/// Kernel rounds run, and lanes summed over them: their ratio is the mean batch width.
static ROUNDS: AtomicU64 = AtomicU64::new(0);
static LANE_ROUNDS: AtomicU64 = AtomicU64::new(0);

/// Kernel rounds run by all runners since the process started, and the lanes summed over
/// them (`lane_rounds / rounds` is the mean batch width). Two atomic loads.
pub fn rounds() -> (u64, u64) {
    (
        ROUNDS.load(Ordering::Relaxed),
        LANE_ROUNDS.load(Ordering::Relaxed),
    )
}

fn queue() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

impl Queue {
    /// The cost of the oldest waiting task, if it was submitted no later than task `seq`.
    fn oldest_cost(&self, seq: u64) -> Option<u32> {
        (MIN_COST..=MAX_COST)
            .filter_map(|c| self.by_cost[c as usize].front().map(|p| (p.seq, c)))
            .min()
            .filter(|(oldest, _)| *oldest <= seq)
            .map(|(_, c)| c)
    }

    /// The oldest waiting task of `cost`, if it was submitted no later than task `seq`.
    fn pop(&mut self, cost: u32, seq: u64) -> Option<Pending> {
        let queue = &mut self.by_cost[cost as usize];
        if queue.front()?.seq > seq {
            return None;
        }
        let p = queue.pop_front()?;
        self.len -= 1;
        Some(p)
    }
}

/// Queues `work` on the pool to run batched with other bcrypt tasks of its cost; `done`
/// receives its result on a pool thread. The pool's rules apply as for `pool::submit`:
/// `ERR_POOL_CLOSED` / `ERR_QUEUE_FULL` at once, a task cancelled while queued never runs and
/// `done` is not called, one cancelled while running ends with `ABORT_ERR` at its next round.
pub fn submit(
    state: Arc<TaskState>,
    work: Work,
    done: impl FnOnce(Result<Outcome>) + Send + 'static,
) -> Result<()> {
    let seq = enqueue(state, work, Box::new(done))?;
    pool::spawn_uncounted(move || run_token(seq));
    Ok(())
}

/// Admits a task and queues it here, counting the token its caller must spawn. Its `seq`.
fn enqueue(state: Arc<TaskState>, work: Work, done: Done) -> Result<u64> {
    pool::admit()?;
    let mut q = queue();
    let seq = q.next_seq;
    q.next_seq += 1;
    q.len += 1;
    q.tokens += 1;
    q.by_cost[work.cost as usize].push_back(Pending {
        state,
        work,
        done,
        seq,
    });
    Ok(seq)
}

/// A lane of a runner: the task it belongs to and how many rounds it still needs.
struct Slot {
    state: Arc<TaskState>,
    claimed: Claimed,
    work: Work,
    done: Done,
    rounds_left: u64,
}

impl Slot {
    fn deliver(self, result: Result<Outcome>) {
        let result = self.claimed.finish(&self.state, result);
        LANES_RUNNING.fetch_sub(1, Ordering::AcqRel);
        let done = self.done;
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| done(result)));
    }
}

/// How many more lanes a runner holding `have` may take now (see the module doc).
fn share(q: &Queue, cost: u32, have: usize) -> usize {
    let threads = pool::settings().threads as u64;
    let lanes = LANES_RUNNING.load(Ordering::Acquire);
    let others = pool::running().saturating_sub(lanes);
    let free = threads.saturating_sub(others).max(1);
    let tasks = lanes + q.len as u64;
    let target = usize::try_from(tasks.div_ceil(free)).unwrap_or(MAX_LANES);
    let target = target.clamp(1, MAX_LANES);
    target
        .saturating_sub(have)
        .min(q.by_cost[cost as usize].len())
}

struct Runner {
    cost: u32,
    lanes: Lanes,
    slots: Vec<Slot>,
}

impl Runner {
    /// Claims up to `n` waiting tasks of the runner's cost, submitted no later than task `seq`,
    /// as new lanes. A task cancelled while queued is skipped (its canceller settled it); one
    /// cancelled with its group ends at once.
    fn take(&mut self, q: &mut Queue, n: usize, seq: u64, leaving: &mut Vec<Slot>) {
        let mut taken = 0;
        while taken < n {
            let Some(p) = q.pop(self.cost, seq) else {
                break;
            };
            let Some(claimed) = pool::claim(&p.state) else {
                continue;
            };
            LANES_RUNNING.fetch_add(1, Ordering::AcqRel);
            let slot = Slot {
                state: p.state,
                claimed,
                rounds_left: 1u64 << p.work.cost,
                work: p.work,
                done: p.done,
            };
            if slot.state.is_cancelled() {
                leaving.push(slot);
                continue;
            }
            self.lanes.push(&slot.work.lane);
            self.slots.push(slot);
            taken += 1;
        }
    }

    /// Takes new lanes between rounds, unless other work waits in the pool.
    fn refill(&mut self) {
        let mut leaving = Vec::new();
        {
            let mut q = queue();
            let mine = q.by_cost[self.cost as usize].len() as u64;
            if mine > 0 && pool::queued() <= mine {
                let n = share(&q, self.cost, self.slots.len());
                self.take(&mut q, n, u64::MAX, &mut leaving);
            }
        }
        for slot in leaving {
            slot.deliver(Err(Error::aborted()));
        }
    }

    /// Removes lane `k` from the kernel and returns its slot.
    fn remove(&mut self, k: usize) -> Slot {
        self.lanes.swap_remove(k);
        self.slots.swap_remove(k)
    }

    fn run(&mut self) {
        loop {
            let mut k = 0;
            while k < self.slots.len() {
                if self.slots[k].state.is_cancelled() {
                    self.remove(k).deliver(Err(Error::aborted()));
                } else {
                    k += 1;
                }
            }
            if self.slots.len() < MAX_LANES {
                self.refill();
            }
            if self.slots.is_empty() {
                return;
            }
            ROUNDS.fetch_add(1, Ordering::Relaxed);
            LANE_ROUNDS.fetch_add(self.slots.len() as u64, Ordering::Relaxed);
            if let Err(e) = pool::guarded(|| {
                self.lanes.round();
                Ok(())
            }) {
                while let Some(slot) = self.slots.pop() {
                    slot.deliver(Err(e.clone()));
                }
                self.lanes = Lanes::new();
                return;
            }
            let mut k = 0;
            while k < self.slots.len() {
                self.slots[k].rounds_left -= 1;
                if self.slots[k].rounds_left == 0 {
                    let outcome = self.slots[k].work.outcome(&self.lanes.output(k));
                    self.remove(k).deliver(Ok(outcome));
                } else {
                    k += 1;
                }
            }
        }
    }
}

/// The token job of task `seq`: becomes a runner for the oldest waiting cost, or returns at
/// once. It takes only tasks submitted no later than its own: a token stays in the pool's FIFO
/// after a runner took its task, and must not let later bcrypt tasks pass work queued before
/// them (its own task, if still waiting, is always among those it may take). Finding none,
/// it still takes the oldest task when more wait than tokens are left: tokens ran out of order
/// and a later one left its own task (see the module doc).
fn run_token(seq: u64) {
    let mut leaving = Vec::new();
    let mut runner = {
        let mut q = queue();
        q.tokens = q.tokens.saturating_sub(1);
        let (cost, bound, n) = match q.oldest_cost(seq) {
            Some(cost) => (cost, seq, share(&q, cost, 0).max(1)),
            // Out of order: the one task its own token no longer covers.
            None if q.len > q.tokens => match q.oldest_cost(u64::MAX) {
                Some(cost) => (cost, u64::MAX, 1),
                None => return,
            },
            None => return,
        };
        let mut runner = Runner {
            cost,
            lanes: Lanes::new(),
            slots: Vec::with_capacity(MAX_LANES),
        };
        runner.take(&mut q, n, bound, &mut leaving);
        runner
    };
    for slot in leaving {
        slot.deliver(Err(Error::aborted()));
    }
    runner.run();
}

/// Tasks waiting in the batch queue (including ones cancelled but not yet popped): for tests.
pub fn waiting() -> usize {
    queue().len
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// Tokens run out of order: the later one takes the earlier task (the oldest, of another
    /// cost, so never its own in the same batch) and leaves its own; the earlier token, finding
    /// nothing as old as itself, must still take it. This stranded a hash under the machine
    /// budget, where threads waiting for a slot take their tokens in any order.
    #[test]
    fn tokens_run_out_of_order_strand_no_task() {
        let (tx, rx) = channel();
        let seqs: Vec<u64> = (0..2u32)
            .map(|i| {
                let options = HashOptions {
                    params: Params::Bcrypt { cost: 4 + i },
                    ..HashOptions::default()
                };
                let work = Work::hash(b"password", &options).expect("batchable");
                let tx = tx.clone();
                let done: Done = Box::new(move |r| {
                    let _ = tx.send((i, r));
                });
                enqueue(Arc::new(TaskState::new()), work, done).expect("admitted")
            })
            .collect();
        run_token(seqs[1]);
        run_token(seqs[0]);
        let mut settled: Vec<u32> = rx
            .try_iter()
            .filter_map(|(i, r)| r.is_ok().then_some(i))
            .collect();
        settled.sort_unstable();
        assert_eq!(
            settled,
            [0, 1],
            "both tasks settle once their tokens have run"
        );
        assert_eq!(waiting(), 0);
    }
}
