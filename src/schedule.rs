//! Running a job: on offthread's pool, on libuv's threadpool (napi async work), or here.

use crate::channel::{self, Cancellable, Completion};
use crate::values::{self, Output, TaskResult};
use napi::{sys, Env};
use napi_derive::napi;
use offthread_core::pool::{self, Admission, CancelOutcome, Executor, TaskState};
use offthread_core::ErrorKind;
use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

/// The work of one task. It gets the task state to poll for cancellation.
pub type Job = Box<dyn FnOnce(&TaskState) -> TaskResult + Send>;

/// Who a submission is for: lib/scheduler.js's task id, the executor's code (see
/// `offthread_core::pool::Executor`) and whether an AbortSignal may cancel it.
#[napi(object)]
pub struct Ticket {
    pub id: u32,
    pub executor: u32,
    pub cancellable: bool,
}

/// Queues `job` for the ticket's task; its result reaches JS through the channel. Returns an
/// `Admission` code: accepted, or why it was refused at once.
pub fn submit(env: &Env, ticket: Ticket, job: Job) -> napi::Result<u32> {
    submit_reading(env, ticket, Vec::new(), job)
}

/// Like `submit`, for a job reading borrowed JS memory kept alive by `refs` (napi references):
/// they are released once the task settles, and the job runs inside `channel::Reading`.
pub fn submit_reading(env: &Env, ticket: Ticket, refs: Vec<usize>, job: Job) -> napi::Result<u32> {
    submit_inner(env, ticket, refs, job, None)
}

/// Delivers a pool task's result to JS (through the channel).
pub type Deliver = Box<dyn FnOnce(TaskResult) + Send>;
/// Queues a task on the pool some other way than `pool::submit` (bcrypt's batch queue): gets
/// the task's state and its `Deliver`, and answers with the pool's admission.
pub type Enqueue = Box<dyn FnOnce(Arc<TaskState>, Deliver) -> offthread_core::Result<()> + 'static>;

/// Like `submit`, but a task for offthread's pool is queued by `enqueue` (which may run it
/// batched with others); the executor 'libuv' still runs `job`.
pub fn submit_via(env: &Env, ticket: Ticket, job: Job, enqueue: Enqueue) -> napi::Result<u32> {
    submit_inner(env, ticket, Vec::new(), job, Some(enqueue))
}

fn submit_inner(
    env: &Env,
    ticket: Ticket,
    refs: Vec<usize>,
    job: Job,
    enqueue: Option<Enqueue>,
) -> napi::Result<u32> {
    let Ticket {
        id,
        executor,
        cancellable,
    } = ticket;
    channel::with(|ch| {
        let job: Job = if refs.is_empty() {
            job
        } else {
            let borrowing = ch.borrowing();
            Box::new(move |task| match channel::Reading::enter(&borrowing) {
                Some(_reading) => job(task),
                None => Err(offthread_core::Error::aborted()),
            })
        };
        ch.hold(id, refs);
        let state = Arc::new(TaskState::in_group(ch.group()));
        let on_pool = Executor::from_code(executor) == Executor::Pool;
        if cancellable {
            ch.cancellable.borrow_mut().insert(
                id,
                Cancellable {
                    state: state.clone(),
                    on_pool,
                },
            );
        }
        let refused = |admission: Admission| {
            if cancellable {
                ch.cancellable.borrow_mut().remove(&id);
            }
            ch.release(id);
            Ok(admission.code())
        };
        if !on_pool {
            return match pool::admit_elsewhere() {
                Ok(()) => queue_libuv(env, id, state, job)
                    .inspect_err(|_| pool::left_queue_elsewhere())
                    .map(|()| Admission::Accepted.code()),
                Err(e) if e.kind() == ErrorKind::QueueFull => refused(Admission::QueueFull),
                Err(_) => refused(Admission::PoolClosed),
            };
        }
        let sender = ch.sender();
        ch.begin();
        let deliver = move |result| sender.send(Completion { id, result });
        // Work a worker's JS task submits is lent to its thread (core's pool::slot): not batched.
        let enqueue = enqueue.filter(|_| pool::slot::current() == 0);
        let queued = match enqueue {
            Some(enqueue) => enqueue(state, Box::new(deliver)),
            None => pool::submit(state, job, deliver),
        };
        match queued {
            Ok(()) => Ok(Admission::Accepted.code()),
            Err(e) => {
                ch.end(1);
                refused(if e.kind() == ErrorKind::QueueFull {
                    Admission::QueueFull
                } else {
                    Admission::PoolClosed
                })
            }
        }
    })?
}

/// Cancels task `id`; returns the `CancelOutcome` code: queued (the caller rejects it now),
/// running (it will reject with ABORT_ERR), or too late (also for an unknown id).
pub fn cancel(id: u32) -> napi::Result<u32> {
    channel::with(|ch| {
        let Some(c) = ch.cancellable.borrow_mut().remove(&id) else {
            return CancelOutcome::TooLate.code();
        };
        let outcome = if c.on_pool {
            pool::cancel(&c.state)
        } else {
            c.state.cancel()
        };
        match outcome {
            CancelOutcome::WasQueued if c.on_pool => {
                ch.end(1); // its completion will never come
                ch.release(id); // and the job will never read its input
            }
            CancelOutcome::WasRunning => {
                // Keep it registered so a late cancel is harmless; the completion removes it.
                ch.cancellable.borrow_mut().insert(id, c);
            }
            _ => {}
        }
        outcome.code()
    })
}

/// Runs `job` on the calling (JS) thread, throwing its error with the right code and class: the
/// `*Sync` twin of `submit`, built by the same job builder. It never starts the pool, so
/// `configure()` still works afterwards (no algorithm uses rayon before the pool has started:
/// see `pool::has_idle_threads`).
pub fn run_sync(env: &Env, job: Job) -> napi::Result<Output> {
    pool::run_here(&TaskState::new(), job).map_err(|e| values::to_napi(env, &e))
}

struct UvTask {
    id: u32,
    state: Arc<TaskState>,
    job: Option<Job>,
    result: Option<TaskResult>,
    work: sys::napi_async_work,
}

unsafe extern "C" fn uv_execute(_env: sys::napi_env, data: *mut c_void) {
    pool::left_queue_elsewhere();
    let task = &mut *data.cast::<UvTask>();
    if let Some(job) = task.job.take() {
        task.result = Some(pool::run_here(&task.state, job));
    }
}

unsafe extern "C" fn uv_complete(env: sys::napi_env, _status: sys::napi_status, data: *mut c_void) {
    let task = Box::from_raw(data.cast::<UvTask>());
    sys::napi_delete_async_work(env, task.work);
    let result = task
        .result
        .unwrap_or_else(|| Err(offthread_core::Error::aborted()));
    let _ = channel::with(|ch| {
        ch.cancellable.borrow_mut().remove(&task.id);
        ch.release(task.id);
        ch.settle_now(
            env,
            vec![Completion {
                id: task.id,
                result,
            }],
        );
    });
}

fn queue_libuv(env: &Env, id: u32, state: Arc<TaskState>, job: Job) -> napi::Result<()> {
    let raw = env.raw();
    let task = Box::into_raw(Box::new(UvTask {
        id,
        state,
        job: Some(job),
        result: None,
        work: ptr::null_mut(),
    }));
    // SAFETY: on the JS thread; `task` is owned by the async work until uv_complete frees it.
    unsafe {
        let mut name = ptr::null_mut();
        let label = "offthread:libuv";
        sys::napi_create_string_utf8(raw, label.as_ptr().cast(), label.len() as isize, &mut name);
        let mut work = ptr::null_mut();
        let status = sys::napi_create_async_work(
            raw,
            ptr::null_mut(),
            name,
            Some(uv_execute),
            Some(uv_complete),
            task.cast(),
            &mut work,
        );
        if status != sys::Status::napi_ok {
            drop(Box::from_raw(task));
            return Err(napi::Error::from_reason(
                "offthread: napi_create_async_work failed",
            ));
        }
        (*task).work = work;
        if sys::napi_queue_async_work(raw, work) != sys::Status::napi_ok {
            sys::napi_delete_async_work(raw, work);
            drop(Box::from_raw(task));
            return Err(napi::Error::from_reason(
                "offthread: napi_queue_async_work failed",
            ));
        }
    }
    Ok(())
}
