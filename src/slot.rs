//! Binding of slots (`offthread_core::pool::slot`): JS tasks run on worker threads hold one pool
//! thread each, so lib/workers.js shares the pool's budget, queue and cancellation.
//!
//! A slot is submitted like any native task (`schedule::submit`, so the same admission codes and the
//! same `cancel`); when it starts on a pool thread, its id reaches JS through this environment's
//! start notifier (one threadsafe function, woken only when its queue goes from empty to non-empty),
//! and the pool thread blocks until JS calls `slotRelease`.

use crate::channel;
use crate::schedule::{self, Job, Ticket};
use crate::values::Output;
use napi::{sys, Env, JsValue, Unknown};
use napi_derive::napi;
use offthread_core::pool::{self, slot::Slot, Admission};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, RwLock};

/// Shared with pool threads: started slot ids waiting for the JS thread.
struct Starts {
    queue: Mutex<Vec<u32>>,
    /// The raw threadsafe function, or 0 once the environment is going away.
    tsfn: RwLock<usize>,
}

impl Starts {
    fn send(&self, id: u32) {
        let was_empty = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let empty = q.is_empty();
            q.push(id);
            empty
        };
        if was_empty {
            let tsfn = self.tsfn.read().unwrap_or_else(|e| e.into_inner());
            if *tsfn != 0 {
                // SAFETY: non-zero means alive; teardown zeroes it under the write lock.
                unsafe {
                    sys::napi_call_threadsafe_function(
                        *tsfn as sys::napi_threadsafe_function,
                        ptr::null_mut(),
                        sys::ThreadsafeFunctionCallMode::nonblocking,
                    );
                }
            }
        }
    }
}

struct EnvSlots {
    starts: Arc<Starts>,
    slots: RefCell<HashMap<u32, Arc<Slot>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<EnvSlots>>> = const { RefCell::new(None) };
}

fn current() -> napi::Result<Rc<EnvSlots>> {
    CURRENT
        .with(|c| c.borrow().clone())
        .ok_or_else(|| napi::Error::from_reason("offthread: slotInit() was not called"))
}

unsafe extern "C" fn drain(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || context.is_null() {
        return;
    }
    let starts = &*(context as *const Starts);
    let ids = std::mem::take(&mut *starts.queue.lock().unwrap_or_else(|e| e.into_inner()));
    if ids.is_empty() {
        return;
    }
    let mut arr = ptr::null_mut();
    sys::napi_create_array_with_length(env, ids.len(), &mut arr);
    for (i, id) in ids.into_iter().enumerate() {
        let mut v = ptr::null_mut();
        sys::napi_create_uint32(env, id, &mut v);
        sys::napi_set_element(env, arr, u32::try_from(i).unwrap_or(u32::MAX), v);
    }
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    let mut result = ptr::null_mut();
    sys::napi_call_function(env, undefined, js_cb, 1, &arr, &mut result);
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let starts = Arc::from_raw(data as *const Starts);
    *starts.tsfn.write().unwrap_or_else(|e| e.into_inner()) = 0;
}

/// Environment teardown: no more notifications, and every slot of this environment is released
/// (its pool thread is free at once).
unsafe extern "C" fn cleanup(arg: *mut c_void) {
    let starts = Arc::from_raw(arg as *const Starts);
    *starts.tsfn.write().unwrap_or_else(|e| e.into_inner()) = 0;
    if let Some(env_slots) = CURRENT.with(|c| c.borrow_mut().take()) {
        for (_, slot) in env_slots.slots.borrow_mut().drain() {
            slot.release();
        }
    }
}

/// Connects this environment to slot starts: `onStart(ids)` receives the ids of started slots.
#[napi(catch_unwind)]
pub fn slot_init(env: Env, on_start: Unknown<'_>) -> napi::Result<()> {
    let raw = env.raw();
    let starts = Arc::new(Starts {
        queue: Mutex::new(Vec::new()),
        tsfn: RwLock::new(0),
    });
    // SAFETY: on the JS thread of `env`; the tsfn owns one Arc (freed in `finalize`), the cleanup
    // hook another.
    unsafe {
        let mut name = ptr::null_mut();
        let label = "offthread:slots";
        sys::napi_create_string_utf8(raw, label.as_ptr().cast(), label.len() as isize, &mut name);
        let context = Arc::into_raw(starts.clone()) as *mut c_void;
        let mut tsfn = ptr::null_mut();
        let status = sys::napi_create_threadsafe_function(
            raw,
            on_start.raw(),
            ptr::null_mut(),
            name,
            0,
            1,
            context,
            Some(finalize),
            context,
            Some(drain),
            &mut tsfn,
        );
        if status != sys::Status::napi_ok {
            drop(Arc::from_raw(context as *const Starts));
            return Err(napi::Error::from_reason(
                "offthread: napi_create_threadsafe_function failed",
            ));
        }
        // Never keeps the loop alive: the slot's own task does (the completion channel), while in flight.
        sys::napi_unref_threadsafe_function(raw, tsfn);
        *starts.tsfn.write().unwrap_or_else(|e| e.into_inner()) = tsfn as usize;
        let hook_arg = Arc::into_raw(starts.clone()) as *mut c_void;
        sys::napi_add_env_cleanup_hook(raw, Some(cleanup), hook_arg);
    }
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Rc::new(EnvSlots {
            starts,
            slots: RefCell::new(HashMap::new()),
        }))
    });
    Ok(())
}

/// Releases a slot whose job was dropped without running.
struct Abandon(Arc<Slot>);

impl Drop for Abandon {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// Queues a slot for the ticket's task, through the same admission as native tasks. Returns an
/// `Admission` code. Once it starts, its id is sent to `onStart` and a pool thread is held until
/// `slotRelease(id)`.
#[napi(catch_unwind)]
pub fn slot_submit(env: Env, ticket: Ticket) -> napi::Result<u32> {
    let here = current()?;
    let gone = channel::with(|ch| ch.group())?;
    let id = ticket.id;
    let slot = Slot::admitted();
    let starts = here.starts.clone();
    let guard = Abandon(slot.clone());
    let job: Job = Box::new(move |_task| {
        let slot = &guard.0;
        slot.hold(&gone, || starts.send(id));
        Ok(Output::Undefined)
    });
    here.slots.borrow_mut().insert(id, slot.clone());
    let admission = schedule::submit(&env, ticket, job);
    if !matches!(admission, Ok(code) if code == Admission::Accepted.code()) {
        here.slots.borrow_mut().remove(&id);
        slot.release();
    }
    admission
}

/// Releases slot `id`: its pool thread is free again (or, if it had not started, it never will).
/// Unknown ids are ignored.
#[napi(catch_unwind)]
pub fn slot_release(id: u32) -> napi::Result<()> {
    let here = current()?;
    let slot = here.slots.borrow_mut().remove(&id);
    if let Some(slot) = slot {
        slot.release();
    }
    Ok(())
}

/// JS tasks' slots, process-wide: queued and running (each running one holds a pool thread).
#[napi(object)]
pub struct SlotCounts {
    pub queued: f64,
    pub running: f64,
}

/// Reads the slot counters. Does not start the pool.
#[napi(catch_unwind)]
pub fn slot_stats() -> SlotCounts {
    let (queued, running) = pool::slot::counts();
    SlotCounts {
        queued: queued as f64,
        running: running as f64,
    }
}

/// Native tasks waiting in the pool's queue now (queued tasks that are not slots). Cheap: lib/workers.js
/// asks it after every JS task, to hand its slot straight to the pool's next JS task only when no
/// native task waits.
#[napi(catch_unwind)]
pub fn slot_native_waiting() -> f64 {
    let (slots, _) = pool::slot::counts();
    pool::queued().saturating_sub(slots) as f64
}

/// True when a pool thread is idle and nothing waits: a slot submitted now starts at once, so
/// lib/workers.js hands the task to an idle worker without waiting for the start notification.
#[napi(catch_unwind)]
pub fn slot_thread_idle() -> bool {
    pool::has_idle_threads()
}

/// Lowers the calling thread (a worker's JS thread) to the pool's priority, as the pool does for its
/// own threads. Returns the thread's nice value afterwards (Linux), or 0 where not measured.
#[napi(catch_unwind)]
pub fn lower_thread_priority() -> i32 {
    pool::apply_to_current_thread(pool::settings().priority);
    #[cfg(target_os = "linux")]
    return pool::current_nice();
    #[cfg(not(target_os = "linux"))]
    0
}
