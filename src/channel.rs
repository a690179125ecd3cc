//! One completion channel per Node environment (main thread or worker).
//!
//! Pool threads push results into a shared queue and wake the environment's JS thread through
//! one threadsafe function, only when the queue goes from empty to non-empty. The JS thread
//! drains the whole batch and hands it to a JS `settle(batch)` callback in a single call. The
//! threadsafe function is ref'd only while tasks are in flight, so an idle process can exit
//! but never exits with a promise pending. When the environment is torn down (a worker is
//! terminated), the channel is closed first, and late results are dropped.

use crate::values::{self, TaskResult};
use napi::sys;
use offthread_core::pool::TaskState;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// One finished task: its JS-side id and its result.
pub struct Completion {
    pub id: u32,
    pub result: TaskResult,
}

/// Items that pool threads queue for one environment's JS thread, and the threadsafe function that
/// wakes it, only when the queue goes from empty to non-empty. Shared by the completion channel and
/// the slots' start notifier (src/slot.rs).
pub struct Wakeup<T> {
    queue: Mutex<Vec<T>>,
    /// The raw threadsafe function, or 0 once the environment is going away.
    tsfn: RwLock<usize>,
}

impl<T> Default for Wakeup<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wakeup<T> {
    /// An empty queue, not yet connected to a threadsafe function (see [`open`]).
    pub fn new() -> Self {
        Wakeup {
            queue: Mutex::new(Vec::new()),
            tsfn: RwLock::new(0),
        }
    }

    /// Queues `item` and wakes the JS thread if it was not already due to drain.
    pub fn send(&self, item: T) {
        let was_empty = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let empty = q.is_empty();
            q.push(item);
            empty
        };
        if was_empty {
            let tsfn = self.tsfn.read().unwrap_or_else(|e| e.into_inner());
            if *tsfn != 0 {
                // SAFETY: non-zero means the tsfn is alive; teardown zeroes it under the write lock.
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

    /// No more wake-ups (the environment is going away).
    pub fn close(&self) {
        *self.tsfn.write().unwrap_or_else(|e| e.into_inner()) = 0;
    }

    /// Lets the threadsafe function keep the event loop alive (`keep`) or not.
    ///
    /// # Safety
    /// On the JS thread of `env`, which created the threadsafe function.
    pub unsafe fn set_ref(&self, env: sys::napi_env, keep: bool) {
        let tsfn = *self.tsfn.read().unwrap_or_else(|e| e.into_inner());
        if tsfn == 0 {
            return;
        }
        let tsfn = tsfn as sys::napi_threadsafe_function;
        if keep {
            sys::napi_ref_threadsafe_function(env, tsfn);
        } else {
            sys::napi_unref_threadsafe_function(env, tsfn);
        }
    }
}

/// Owners of a [`Wakeup`]: the context of its threadsafe function.
pub trait Woken: Send + Sync + 'static {
    type Item;
    fn wakeup(&self) -> &Wakeup<Self::Item>;
}

/// Finalizer of a threadsafe function made by [`open`]: no more calls into it, then drop the owner.
unsafe extern "C" fn finalize<C: Woken>(
    _env: sys::napi_env,
    data: *mut c_void,
    _hint: *mut c_void,
) {
    let owner = Arc::from_raw(data as *const C);
    owner.wakeup().close();
}

/// Creates `owner`'s threadsafe function (unref'd: it does not keep the loop alive), calling `drain`
/// on the JS thread of `env` with `cb` and `owner` as context. The function holds one reference to
/// `owner`, dropped by its finalizer.
///
/// # Safety
/// On the JS thread of `env`, from a napi call.
pub unsafe fn open<C: Woken>(
    owner: &Arc<C>,
    env: sys::napi_env,
    cb: sys::napi_value,
    label: &str,
    drain: unsafe extern "C" fn(sys::napi_env, sys::napi_value, *mut c_void, *mut c_void),
) -> napi::Result<sys::napi_threadsafe_function> {
    let mut name = ptr::null_mut();
    sys::napi_create_string_utf8(env, label.as_ptr().cast(), label.len() as isize, &mut name);
    let context = Arc::into_raw(owner.clone()) as *mut c_void;
    let mut tsfn = ptr::null_mut();
    let status = sys::napi_create_threadsafe_function(
        env,
        cb,
        ptr::null_mut(),
        name,
        0,
        1,
        context,
        Some(finalize::<C>),
        context,
        Some(drain),
        &mut tsfn,
    );
    if status != sys::Status::napi_ok {
        drop(Arc::from_raw(context as *const C));
        return Err(napi::Error::from_reason(
            "offthread: napi_create_threadsafe_function failed",
        ));
    }
    sys::napi_unref_threadsafe_function(env, tsfn);
    *owner
        .wakeup()
        .tsfn
        .write()
        .unwrap_or_else(|e| e.into_inner()) = tsfn as usize;
    Ok(tsfn)
}

/// The head of a [`open`]ed function's `drain`: its owner and everything queued so far, or `None`
/// when there is nothing to do (no environment, or an empty queue).
///
/// # Safety
/// `context` is the context [`open`] gave the threadsafe function of owner type `C`.
pub unsafe fn drained<'a, C: Woken>(
    env: sys::napi_env,
    context: *mut c_void,
) -> Option<(&'a C, Vec<C::Item>)> {
    if env.is_null() || context.is_null() {
        return None;
    }
    let owner = &*(context as *const C);
    let items = std::mem::take(
        &mut *owner
            .wakeup()
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    if items.is_empty() {
        return None;
    }
    Some((owner, items))
}

/// Calls `f(arg)` with `this` undefined.
///
/// # Safety
/// On the JS thread of `env`, inside a handle scope.
pub unsafe fn call(env: sys::napi_env, f: sys::napi_value, arg: sys::napi_value) {
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    let mut result = ptr::null_mut();
    sys::napi_call_function(env, undefined, f, 1, &arg, &mut result);
}

/// The part shared with pool threads.
struct Shared {
    wake: Wakeup<Completion>,
    /// Set at environment teardown: every task of this environment counts as cancelled, so
    /// queued ones never run and running ones stop at their next checkpoint.
    gone: Arc<AtomicBool>,
    /// Tasks now reading borrowed JS memory; teardown waits for this to reach zero.
    reading: AtomicUsize,
}

impl Woken for Shared {
    type Item = Completion;
    fn wakeup(&self) -> &Wakeup<Completion> {
        &self.wake
    }
}

/// Marks a task as reading borrowed JS memory, for as long as it lives.
pub struct Reading(Arc<Shared>);

impl Reading {
    /// Enters; `None` when the environment is already going away (the memory may be gone).
    pub fn enter(borrowing: &Borrowing) -> Option<Reading> {
        let shared = &borrowing.0;
        shared.reading.fetch_add(1, Ordering::SeqCst);
        if shared.gone.load(Ordering::SeqCst) {
            shared.reading.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Reading(shared.clone()))
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.reading.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A handle a task carries to enter `Reading`.
#[derive(Clone)]
pub struct Borrowing(Arc<Shared>);

/// The sending end a pool task carries. `Send`, cheap to clone.
#[derive(Clone)]
pub struct Sender(Arc<Shared>);

impl Sender {
    /// Queues `c` and wakes the JS thread if it was not already due to drain.
    pub fn send(&self, c: Completion) {
        self.0.wake.send(c);
    }
}

/// A cancellable task's state, and whether it runs on the pool (whose counters cancel updates).
pub struct Cancellable {
    pub state: Arc<TaskState>,
    pub on_pool: bool,
}

/// The JS-thread side of the channel.
pub struct EnvChannel {
    env: sys::napi_env,
    shared: Arc<Shared>,
    tsfn: sys::napi_threadsafe_function,
    settle: sys::napi_ref,
    inflight: Cell<u32>,
    pub cancellable: RefCell<HashMap<u32, Cancellable>>,
    /// References keeping borrowed inputs alive, per task id; released once the task settles.
    borrows: RefCell<HashMap<u32, Vec<usize>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<EnvChannel>>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's channel; an error if `init` was not called here.
pub fn with<R>(f: impl FnOnce(&EnvChannel) -> R) -> napi::Result<R> {
    let ch = CURRENT.with(|c| c.borrow().clone());
    match ch {
        Some(ch) => Ok(f(&ch)),
        None => Err(napi::Error::from_reason(
            "offthread: the binding was used before init()",
        )),
    }
}

impl EnvChannel {
    /// The cancellation group of this environment's tasks.
    pub fn group(&self) -> Arc<AtomicBool> {
        self.shared.gone.clone()
    }

    /// The handle a task reading borrowed memory enters `Reading` with.
    pub fn borrowing(&self) -> Borrowing {
        Borrowing(self.shared.clone())
    }

    /// Keeps `refs` (napi references) until task `id` settles.
    pub fn hold(&self, id: u32, refs: Vec<usize>) {
        if !refs.is_empty() {
            self.borrows.borrow_mut().insert(id, refs);
        }
    }

    /// Releases the references held for task `id` (on the JS thread).
    pub fn release(&self, id: u32) {
        let refs = self.borrows.borrow_mut().remove(&id);
        for r in refs.into_iter().flatten() {
            // SAFETY: on the JS thread of `env`, which created the reference.
            unsafe { sys::napi_delete_reference(self.env, r as sys::napi_ref) };
        }
    }

    /// A sender for a pool task.
    pub fn sender(&self) -> Sender {
        Sender(self.shared.clone())
    }

    /// One more task in flight: keep the event loop alive.
    pub fn begin(&self) {
        let n = self.inflight.get();
        if n == 0 {
            // SAFETY: on the JS thread of `env`, which owns the tsfn.
            unsafe { sys::napi_ref_threadsafe_function(self.env, self.tsfn) };
        }
        self.inflight.set(n + 1);
    }

    /// `n` tasks settled: let the loop exit when none is left.
    pub fn end(&self, n: u32) {
        let left = self.inflight.get().saturating_sub(n);
        self.inflight.set(left);
        if left == 0 && n > 0 {
            // SAFETY: as in `begin`.
            unsafe { sys::napi_unref_threadsafe_function(self.env, self.tsfn) };
        }
    }

    /// Delivers completions to JS at once (used by the libuv executor, already on the JS thread).
    ///
    /// # Safety
    /// On the JS thread of this channel's environment, inside a handle scope.
    pub unsafe fn settle_now(&self, env: sys::napi_env, batch: Vec<Completion>) {
        let mut settle = ptr::null_mut();
        if sys::napi_get_reference_value(env, self.settle, &mut settle) == sys::Status::napi_ok
            && !settle.is_null()
        {
            deliver(env, settle, batch);
        }
    }
}

/// Entries per completion in a settle batch: id, code (or undefined), value (or message).
pub const BATCH_STRIDE: usize = 3;

/// Calls `settle([id, code | undefined, value | message, ...])` once for the whole batch.
unsafe fn deliver(env: sys::napi_env, settle: sys::napi_value, batch: Vec<Completion>) {
    if batch.is_empty() {
        return;
    }
    let mut arr = ptr::null_mut();
    sys::napi_create_array_with_length(env, batch.len() * BATCH_STRIDE, &mut arr);
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    for (i, c) in batch.into_iter().enumerate() {
        let base = u32::try_from(i * BATCH_STRIDE).unwrap_or(u32::MAX - 2);
        let mut id = ptr::null_mut();
        sys::napi_create_uint32(env, c.id, &mut id);
        sys::napi_set_element(env, arr, base, id);
        let (code, payload) = match c.result {
            Ok(out) => (undefined, values::to_js(env, out)),
            Err(e) => {
                let mut code = ptr::null_mut();
                let mut msg = ptr::null_mut();
                sys::napi_create_string_utf8(
                    env,
                    e.code().as_ptr().cast(),
                    e.code().len() as isize,
                    &mut code,
                );
                sys::napi_create_string_utf8(
                    env,
                    e.message().as_ptr().cast(),
                    e.message().len() as isize,
                    &mut msg,
                );
                (code, msg)
            }
        };
        sys::napi_set_element(env, arr, base + 1, code);
        sys::napi_set_element(env, arr, base + 2, payload);
    }
    call(env, settle, arr);
}

/// The threadsafe function's JS-thread callback: drain everything queued so far.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    let Some((_, batch)) = drained::<Shared>(env, context) else {
        return;
    };
    let n = u32::try_from(batch.len()).unwrap_or(u32::MAX);
    let _ = with(|ch| {
        let mut map = ch.cancellable.borrow_mut();
        if !map.is_empty() {
            for c in &batch {
                map.remove(&c.id);
            }
        }
        drop(map);
        if !ch.borrows.borrow().is_empty() {
            for c in &batch {
                ch.release(c.id);
            }
        }
        ch.end(n);
    });
    deliver(env, js_cb, batch);
}

/// Environment teardown: close the channel before Node frees the threadsafe function.
unsafe extern "C" fn cleanup(arg: *mut c_void) {
    let shared = Arc::from_raw(arg as *const Shared);
    shared.gone.store(true, Ordering::SeqCst);
    shared.wake.close();
    // Tasks reading this environment's memory stop at their next checkpoint (they are
    // cancelled); the memory must outlive them.
    while shared.reading.load(Ordering::SeqCst) > 0 {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    CURRENT.with(|c| c.borrow_mut().take());
}

/// Creates this environment's channel, delivering to `settle`. Replaces an earlier one.
pub fn init(env: sys::napi_env, settle: sys::napi_value) -> napi::Result<()> {
    let shared = Arc::new(Shared {
        wake: Wakeup::new(),
        gone: Arc::new(AtomicBool::new(false)),
        reading: AtomicUsize::new(0),
    });
    // SAFETY: called from a #[napi] function on the JS thread of `env`.
    unsafe {
        let tsfn = open(&shared, env, settle, "offthread", drain)?;
        let mut settle_ref = ptr::null_mut();
        sys::napi_create_reference(env, settle, 1, &mut settle_ref);
        let hook_arg = Arc::into_raw(shared.clone()) as *mut c_void;
        sys::napi_add_env_cleanup_hook(env, Some(cleanup), hook_arg);
        let ch = EnvChannel {
            env,
            shared,
            tsfn,
            settle: settle_ref,
            inflight: Cell::new(0),
            cancellable: RefCell::new(HashMap::new()),
            borrows: RefCell::new(HashMap::new()),
        };
        CURRENT.with(|c| *c.borrow_mut() = Some(Rc::new(ch)));
    }
    Ok(())
}
