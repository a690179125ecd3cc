//! Binding of slots (`offthread_core::pool::slot`): JS tasks run on worker threads hold one pool
//! thread each, so lib/workers.js shares the pool's budget, queue and cancellation.
//!
//! `slotAcquire()` admits a task and answers at once whether it already holds a thread; a task that
//! waits reaches JS later through this environment's start notifier (one threadsafe function, woken
//! only when its queue goes from empty to non-empty). `slotRelease(id, outcome)` ends a task and
//! answers which task of this environment takes its thread over now. Core owns every state.

use crate::channel::{self, Wakeup, Woken};
use napi::{sys, Env, JsValue, Unknown};
use napi_derive::napi;
use offthread_core::pool::slot::{self, Outcome, Starter};
use offthread_core::pool::Admission;
use std::cell::Cell;
use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;

/// Started task ids waiting for this environment's JS thread.
struct Starts(Wakeup<u32>);

impl Woken for Starts {
    type Item = u32;
    fn wakeup(&self) -> &Wakeup<u32> {
        &self.0
    }
}

impl Starter for Starts {
    fn started(&self, id: u32) {
        self.0.send(id);
    }
}

struct EnvSlots {
    env: sys::napi_env,
    starter: slot::Env,
    starts: Arc<Starts>,
    /// Whether the notifier keeps the loop alive (while tasks of this environment wait to start).
    refd: Cell<bool>,
    /// Why the last `slotAcquire` of this thread was refused (an `Admission` code).
    refused: Cell<u32>,
}

thread_local! {
    /// This thread's notifiers, by the handle `slotInit` returned: one per copy of the library loaded
    /// in this environment (each has its own tasks and its own `onStart`).
    static ENVS: RefCell<Vec<Option<Rc<EnvSlots>>>> = const { RefCell::new(Vec::new()) };
}

fn current(handle: u32) -> napi::Result<Rc<EnvSlots>> {
    ENVS.with(|e| e.borrow().get(handle as usize).cloned().flatten())
        .ok_or_else(|| {
            napi::Error::from_reason("offthread: unknown slot handle (slotInit() was not called)")
        })
}

/// Calls `onStart(ids)` with the ids started since the last call.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    let Some((_, ids)) = channel::drained::<Starts>(env, context) else {
        return;
    };
    let mut arr = std::ptr::null_mut();
    sys::napi_create_array_with_length(env, ids.len(), &mut arr);
    for (i, id) in ids.into_iter().enumerate() {
        let mut v = std::ptr::null_mut();
        sys::napi_create_uint32(env, id, &mut v);
        sys::napi_set_element(env, arr, u32::try_from(i).unwrap_or(u32::MAX), v);
    }
    channel::call(env, js_cb, arr);
}

/// Environment teardown: no more notifications; this environment's tasks end (cancelled) and the
/// threads they held go on or back to the pool. `arg` is the hook's own reference to the `Starts`
/// of one `slotInit` (a second copy of the library in the same environment has its own).
unsafe extern "C" fn cleanup(arg: *mut c_void) {
    let starts = Arc::from_raw(arg as *const Starts);
    starts.0.close();
    let starter: slot::Env = starts.clone();
    slot::drop_env(&starter);
    ENVS.with(|e| {
        for entry in e.borrow_mut().iter_mut() {
            if entry
                .as_ref()
                .is_some_and(|here| Arc::ptr_eq(&here.starts, &starts))
            {
                *entry = None;
            }
        }
    });
}

/// Connects this environment to slot starts: `onStart(ids)` receives the ids of started tasks.
/// Returns the handle the other `slot*` functions take.
#[napi(catch_unwind)]
pub fn slot_init(env: Env, on_start: Unknown<'_>) -> napi::Result<u32> {
    let raw = env.raw();
    let starts = Arc::new(Starts(Wakeup::new()));
    // SAFETY: on the JS thread of `env`.
    unsafe {
        channel::open(&starts, raw, on_start.raw(), "offthread:slots", drain)?;
        let hook_arg = Arc::into_raw(starts.clone()) as *mut c_void;
        sys::napi_add_env_cleanup_hook(raw, Some(cleanup), hook_arg);
    }
    let starter: slot::Env = starts.clone();
    let here = Rc::new(EnvSlots {
        env: raw,
        starter,
        starts,
        refd: Cell::new(false),
        refused: Cell::new(Admission::Accepted.code()),
    });
    ENVS.with(|e| {
        let mut envs = e.borrow_mut();
        envs.push(Some(here));
        u32::try_from(envs.len() - 1)
            .map_err(|_| napi::Error::from_reason("offthread: too many slotInit() calls"))
    })
}

/// Admits a JS task (the pool's queue, `maxQueue`, close). Returns its id when it already holds a
/// pool thread (hand it to a worker now), minus its id when it waits (the id reaches `onStart`
/// later), or 0 when refused (`slotRefused()` says why). Cheap: one lock, no thread wake-up when
/// a spare thread is there.
#[napi(catch_unwind)]
pub fn slot_acquire(handle: u32) -> napi::Result<f64> {
    let here = current(handle)?;
    match slot::acquire(&here.starter) {
        Ok(a) if a.started => Ok(f64::from(a.id)),
        Ok(a) => Ok(-f64::from(a.id)),
        Err(e) => {
            let code = match e.kind() {
                offthread_core::ErrorKind::PoolClosed => Admission::PoolClosed,
                _ => Admission::QueueFull,
            };
            here.refused.set(code.code());
            Ok(0.0)
        }
    }
}

/// This thread (a worker of lib/workers.js) runs JS task `id` from now on, or none (0): the work
/// it submits may use that task's pool thread (core's `pool::slot::enter`).
#[napi(catch_unwind)]
pub fn slot_enter(id: u32) {
    slot::enter(id);
}

/// Why the last `slotAcquire()` of this thread answered 0: an `Admission` code.
#[napi(catch_unwind)]
pub fn slot_refused(handle: u32) -> napi::Result<u32> {
    Ok(current(handle)?.refused.get())
}

/// Ends task `id` with `outcome` (policy.workers.outcomes): a waiting task never starts, a running
/// one frees its thread. Returns the id of a task of this thread that takes the thread over now,
/// or 0. Unknown ids are ignored.
#[napi(catch_unwind)]
pub fn slot_release(handle: u32, id: u32, outcome: u32) -> napi::Result<u32> {
    let here = current(handle)?;
    Ok(slot::release(&here.starter, id, Outcome::from_code(outcome)).unwrap_or(0))
}

/// Gives this thread's spare pool threads back (lib/workers.js calls it once per loop turn).
#[napi(catch_unwind)]
pub fn slot_trim(handle: u32) -> napi::Result<()> {
    slot::trim(&current(handle)?.starter);
    Ok(())
}

/// Keeps the event loop alive (true) while tasks of this thread wait to start, or lets it exit.
#[napi(catch_unwind)]
pub fn slot_ref(handle: u32, keep: bool) -> napi::Result<()> {
    let here = current(handle)?;
    if here.refd.replace(keep) != keep {
        // SAFETY: on the JS thread of `here.env`, which owns the notifier.
        unsafe { here.starts.0.set_ref(here.env, keep) };
    }
    Ok(())
}

/// JS tasks and the pool's totals, read at one instant: JS tasks waiting and running, and the pool's
/// queued and running (which include them).
#[napi(object)]
pub struct SlotCounts {
    pub queued: f64,
    pub running: f64,
    pub pool_queued: f64,
    pub pool_running: f64,
}

/// Reads the slot counters. Does not start the pool.
#[napi(catch_unwind)]
pub fn slot_stats() -> SlotCounts {
    let (queued, running, pool_queued, pool_running) = slot::counts();
    SlotCounts {
        queued: queued as f64,
        running: running as f64,
        pool_queued: pool_queued as f64,
        pool_running: pool_running as f64,
    }
}

/// Lowers the calling thread (a worker's JS thread) to the pool's priority, as the pool does for its
/// own threads. Returns the thread's nice value afterwards (Linux), or 0 where not measured.
#[napi(catch_unwind)]
pub fn lower_thread_priority() -> i32 {
    offthread_core::pool::apply_to_current_thread(offthread_core::pool::settings().priority);
    #[cfg(target_os = "linux")]
    return offthread_core::pool::current_nice();
    #[cfg(not(target_os = "linux"))]
    0
}
