//! Layer 3 (families): HP-Socket 5.8's thread pool in the C API — `Create_HP_ThreadPool`,
//! the `HP_ThreadPool_*` functions, the socket tasks (`Create_HP_SocketTaskObj`,
//! `Destroy_HP_SocketTaskObj`, `HP_ThreadPool_Submit_Task`), the pool listener and its
//! `HP_Set_FN_ThreadPool_On*` setters — over [`hpsocket::ThreadPool`], which has HP-Socket's
//! semantics (see its documentation for the rejection policies, resizing and stopping).
//!
//! What this layer adds:
//! - Handles: pools and pool listeners live in registries of their own, so a call on a
//!   destroyed or never-created one fails with errno `EBADF`, and a component listener is not
//!   taken for a pool listener (`EINVAL`). A pool keeps its listener's callbacks alive: a
//!   listener destroyed first only stops being settable.
//! - Socket tasks are C structs ([`TSocketTask`], HP-Socket's layout) whose buffer is
//!   `malloc`ed in `TBT_COPY` mode and `free`d unless `TBT_REFER`, as HP-Socket does (so
//!   `TBT_ATTACH` buffers come from `SYS_Malloc` / `SYS_Calloc`, which are libc's). Every live
//!   task is recorded with its holder (the caller, or the pool once submitted): a task is freed
//!   exactly once — by the pool after its procedure ran (or when a stop that timed out drops
//!   it), or by `Destroy_HP_SocketTaskObj` while the caller holds it — and a destroy or
//!   submit of a task the pool holds, or of a pointer that is no task, fails instead of
//!   freeing twice.
//! - Events run the C callbacks with the pool's handle; the worker events pass
//!   `pthread_self()` as the `THR_ID` (they run on that worker).
//! - `dwMaxWait` of `Submit`, `Submit_Task` and `Stop`: 0 and `INFINITE` both mean no limit,
//!   as in HP-Socket; `Wait` takes its timeout as the components' `Wait` does (`INFINITE`: no
//!   limit, 0: no wait).
//! - Stack size 0 at `Start` means the pthread default (`ulimit -s`, what HP-Socket's workers
//!   get), not Rust's 2 MiB, so C tasks keep the stack they had.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use std::thread::ThreadId;

use hpsocket::{
    RejectedPolicy, ServiceState, StopOutcome, TaskBufferType, ThreadPool, ThreadPoolListener,
};
use parking_lot::Mutex;

use crate::marshal::{b, ffi, set_errno, BOOL, FALSE, TRUE};
use crate::roles::bridge::LISTENERS;
use crate::roles::{new_handle, Registry};

// ---- C types ----

/// `Fn_TaskProc`: a task of `HP_ThreadPool_Submit`.
pub type FnTaskProc = unsafe extern "C" fn(pv_arg: *mut c_void);
/// `Fn_SocketTaskProc`: the procedure of a socket task.
pub type FnSocketTaskProc = unsafe extern "C" fn(task: *mut TSocketTask);
/// `HP_FN_ThreadPool_OnStartup` / `OnShutdown`.
pub type FnPoolEvent = unsafe extern "C" fn(pool: *mut c_void);
/// `HP_FN_ThreadPool_OnWorkerThreadStart` / `End` (`THR_ID` is a `pthread_t`).
pub type FnPoolThreadEvent = unsafe extern "C" fn(pool: *mut c_void, thread: c_ulong);

/// `TSocketTask` (`HP_TSocketTask`), HP-Socket's layout.
#[repr(C)]
#[derive(Debug)]
pub struct TSocketTask {
    /// `fn`: the procedure.
    pub r#fn: Option<FnSocketTaskProc>,
    /// `sender`: the object that made the task (a component, usually).
    pub sender: *mut c_void,
    /// `connID`.
    pub conn_id: usize,
    /// `buf`: the bytes.
    pub buf: *const u8,
    /// `bufLen`.
    pub buf_len: c_int,
    /// `bufType`: `En_HP_TaskBufferType`.
    pub buf_type: c_int,
    /// `wparam` (`WPARAM`, an `unsigned long`).
    pub wparam: c_ulong,
    /// `lparam` (`LPARAM`, a `long`).
    pub lparam: c_long,
}

/// `TBT_REFER`: the one mode whose buffer the task does not free.
const TBT_REFER: c_int = TaskBufferType::Refer as c_int;

// ---- registries ----

/// A pool listener: the four callbacks, all unset at creation.
#[derive(Default, Debug)]
pub struct PoolListenerObj {
    startup: AtomicUsize,
    shutdown: AtomicUsize,
    worker_start: AtomicUsize,
    worker_end: AtomicUsize,
}

static POOL_LISTENERS: LazyLock<Registry<PoolListenerObj>> = LazyLock::new(Registry::default);
static POOLS: LazyLock<Registry<ThreadPool>> = LazyLock::new(Registry::default);

/// Who holds a live socket task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holder {
    /// The C caller: `Destroy_HP_SocketTaskObj` frees it, `Submit_Task` hands it over.
    Caller,
    /// A pool: it frees the task after running it (or when a timed-out stop drops it).
    Pool,
}

/// Every live socket task by address.
static TASKS: LazyLock<Mutex<HashMap<usize, Holder>>> = LazyLock::new(Default::default);

thread_local! {
    /// The pools this thread serves now (as one of their workers, or running their
    /// `OnShutdown`): `Wait` there would wait for this very thread.
    static SERVING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn serving(pool: usize) -> bool {
    SERVING.with(|s| s.borrow().contains(&pool))
}

/// Runs `f` marked as serving `pool`.
fn as_serving<R>(pool: usize, f: impl FnOnce() -> R) -> R {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            SERVING.with(|s| s.borrow_mut().pop());
        }
    }
    SERVING.with(|s| s.borrow_mut().push(pool));
    let _pop = Pop;
    f()
}

// ---- the listener adapter ----

/// The Rust listener every pool is created with: it calls the C callbacks (if the pool has a
/// listener) with the pool's handle.
struct Events {
    pool: usize,
    listener: Option<Arc<PoolListenerObj>>,
}

impl Events {
    fn slot(&self, pick: fn(&PoolListenerObj) -> &AtomicUsize) -> usize {
        self.listener
            .as_deref()
            .map_or(0, |l| pick(l).load(Ordering::Acquire))
    }

    fn fire(&self, pick: fn(&PoolListenerObj) -> &AtomicUsize) {
        let f = self.slot(pick);
        if f != 0 {
            // SAFETY: the slot holds a `FnPoolEvent` stored by its setter.
            let f: FnPoolEvent = unsafe { std::mem::transmute::<usize, FnPoolEvent>(f) };
            unsafe { f(self.pool as *mut c_void) }
        }
    }

    fn fire_thread(&self, pick: fn(&PoolListenerObj) -> &AtomicUsize) {
        let f = self.slot(pick);
        if f != 0 {
            // SAFETY: the slot holds a `FnPoolThreadEvent` stored by its setter; the event runs
            // on the worker it reports.
            let f: FnPoolThreadEvent =
                unsafe { std::mem::transmute::<usize, FnPoolThreadEvent>(f) };
            unsafe { f(self.pool as *mut c_void, libc::pthread_self()) }
        }
    }
}

impl ThreadPoolListener for Events {
    fn on_startup(&self, _: &ThreadPool) {
        self.fire(|l| &l.startup);
    }

    fn on_shutdown(&self, _: &ThreadPool) {
        as_serving(self.pool, || self.fire(|l| &l.shutdown));
    }

    fn on_worker_thread_start(&self, _: &ThreadPool, _: ThreadId) {
        // Serving from here to the worker's end event.
        SERVING.with(|s| s.borrow_mut().push(self.pool));
        self.fire_thread(|l| &l.worker_start);
    }

    fn on_worker_thread_end(&self, _: &ThreadPool, _: ThreadId) {
        self.fire_thread(|l| &l.worker_end);
        SERVING.with(|s| s.borrow_mut().retain(|&p| p != self.pool));
    }
}

// ---- listeners ----

/// Creates a pool listener (`IHPThreadPoolListener`): four callbacks, all unset.
#[no_mangle]
pub extern "C" fn Create_HP_ThreadPoolListener() -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        let h = new_handle();
        POOL_LISTENERS.insert(h, Arc::new(PoolListenerObj::default()));
        h as *mut c_void
    })
}

/// Destroys a pool listener. A pool created on it keeps its callbacks.
#[no_mangle]
pub extern "C" fn Destroy_HP_ThreadPoolListener(listener: *mut c_void) {
    ffi!((), {
        if POOL_LISTENERS.remove(listener).is_none() {
            set_errno(libc::EBADF);
        }
    })
}

/// errno for a handle that is no pool listener: `EINVAL` for a component listener, else
/// `EBADF` (already set by the failed lookup).
fn not_a_pool_listener(h: *mut c_void) {
    if LISTENERS.get(h).is_some() {
        set_errno(libc::EINVAL);
    } else {
        set_errno(libc::EBADF);
    }
}

macro_rules! pool_setters {
    ($($name:ident: $ty:ty => $slot:ident),* $(,)?) => {$(
        /// Sets (or, with NULL, clears) one callback of a pool listener (errno `EBADF` for an
        /// unknown listener, `EINVAL` for a component listener).
        #[no_mangle]
        pub extern "C" fn $name(listener: *mut c_void, f: Option<$ty>) {
            ffi!((), {
                match POOL_LISTENERS.get(listener) {
                    Some(l) => l.$slot.store(f.map_or(0, |f| f as usize), Ordering::Release),
                    None => not_a_pool_listener(listener),
                }
            })
        }
    )*};
}
pool_setters!(
    HP_Set_FN_ThreadPool_OnStartup: FnPoolEvent => startup,
    HP_Set_FN_ThreadPool_OnShutdown: FnPoolEvent => shutdown,
    HP_Set_FN_ThreadPool_OnWorkerThreadStart: FnPoolThreadEvent => worker_start,
    HP_Set_FN_ThreadPool_OnWorkerThreadEnd: FnPoolThreadEvent => worker_end,
);

// ---- pools ----

/// Creates a stopped pool reporting to `listener` (NULL: no events). NULL with errno `EBADF`
/// for an unknown listener, `EINVAL` for a component listener.
#[no_mangle]
pub extern "C" fn Create_HP_ThreadPool(listener: *mut c_void) -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        let listener = if listener.is_null() {
            None
        } else {
            match POOL_LISTENERS.get(listener) {
                Some(l) => Some(l),
                None => {
                    not_a_pool_listener(listener);
                    return std::ptr::null_mut();
                }
            }
        };
        // The handle first: the events report it.
        let h = new_handle();
        let pool = ThreadPool::new(Events { pool: h, listener });
        POOLS.insert(h, Arc::new(pool));
        h as *mut c_void
    })
}

/// Destroys a pool: the handle is invalid at once; a running pool is stopped, waiting without
/// limit for its queued tasks (on one of its own workers the stop is deferred instead).
#[no_mangle]
pub extern "C" fn Destroy_HP_ThreadPool(pool: *mut c_void) {
    ffi!((), {
        match POOLS.remove(pool) {
            Some(p) => {
                if p.state() != ServiceState::Stopped {
                    let _ = p.stop(None);
                }
            }
            None => set_errno(libc::EBADF),
        }
    })
}

/// The stack size of a thread created with default attributes (what HP-Socket's workers get
/// with a stack size of 0): glibc's default, from `ulimit -s`.
fn pthread_default_stack() -> u32 {
    static SIZE: OnceLock<u32> = OnceLock::new();
    *SIZE.get_or_init(|| {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        let mut size: libc::size_t = 0;
        // SAFETY: the attribute object is initialised before use and destroyed after.
        unsafe {
            if libc::pthread_attr_init(attr.as_mut_ptr()) != 0 {
                return 0;
            }
            let r = libc::pthread_attr_getstacksize(attr.as_ptr(), &mut size);
            libc::pthread_attr_destroy(attr.as_mut_ptr());
            if r != 0 {
                return 0;
            }
        }
        u32::try_from(size).unwrap_or(u32::MAX)
    })
}

/// `dwMaxWait` of Submit and Stop: 0 and `INFINITE` both mean no limit (HP-Socket's rule).
fn max_wait(ms: u32) -> Option<Duration> {
    (ms != 0 && ms != u32::MAX).then(|| Duration::from_millis(ms.into()))
}

/// Starts the pool. `dwThreadCount` is read as signed (> 0: that many, 0: 2 × CPUs + 2, < 0:
/// CPUs × −n); `dwMaxQueueSize` 0: no bound; `dwStackSize` 0: the pthread default. FALSE with
/// errno `EINVAL` for a policy out of range, `EPERM` unless stopped, the OS error when a
/// thread cannot be created.
#[no_mangle]
pub extern "C" fn HP_ThreadPool_Start(
    pool: *mut c_void,
    thread_count: u32,
    max_queue_size: u32,
    rejected_policy: c_int,
    stack_size: u32,
) -> BOOL {
    ffi!(FALSE, {
        let Some(p) = POOLS.get(pool) else {
            return FALSE;
        };
        let Some(policy) = RejectedPolicy::from_raw(rejected_policy) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let stack = if stack_size == 0 {
            pthread_default_stack()
        } else {
            stack_size
        };
        b(p.start(thread_count as i32, max_queue_size, policy, stack))
    })
}

/// Stops the pool: new tasks are refused, the queued ones run, then the workers end. TRUE when
/// stopped (or, on one of the pool's workers, when the stop is under way); TRUE with errno
/// `ECANCELED` when `dwMaxWait` passed first (the queued tasks were dropped, socket tasks
/// freed, and the workers still busy finish on their own); FALSE with `EPERM` when not
/// started or already stopping.
#[no_mangle]
pub extern "C" fn HP_ThreadPool_Stop(pool: *mut c_void, ms: u32) -> BOOL {
    ffi!(FALSE, {
        let Some(p) = POOLS.get(pool) else {
            return FALSE;
        };
        match p.stop(max_wait(ms)) {
            Ok(StopOutcome::Complete | StopOutcome::Deferred) => TRUE,
            Ok(StopOutcome::TimedOut { .. }) => {
                set_errno(libc::ECANCELED);
                TRUE
            }
            Err(_) => {
                set_errno(libc::EPERM);
                FALSE
            }
        }
    })
}

/// A task of `HP_ThreadPool_Submit`: the function and its argument, run on another thread.
struct Job(FnTaskProc, *mut c_void);

// SAFETY: HP-Socket's contract: the argument is handed to the task's thread.
unsafe impl Send for Job {}

/// Submits `fnTaskProc(pvArg)`. FALSE with errno `EXFULL` (queue full, `TRP_CALL_FAIL`),
/// `ETIMEDOUT` (`TRP_WAIT_FOR` past `dwMaxWait`), `EPERM` (not started), `EINVAL` (NULL
/// function).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_Submit(
    pool: *mut c_void,
    f: Option<FnTaskProc>,
    arg: *mut c_void,
    ms: u32,
) -> BOOL {
    ffi!(FALSE, {
        let Some(p) = POOLS.get(pool) else {
            return FALSE;
        };
        let Some(f) = f else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let job = Job(f, arg);
        let run = move || {
            // The whole Job, not its fields (a closure captures only the fields it uses).
            let job = job;
            // SAFETY: the caller's function and argument, as HP-Socket runs them.
            unsafe { (job.0)(job.1) }
        };
        match p.submit(run, max_wait(ms)) {
            Ok(()) => TRUE,
            Err(e) => {
                set_errno(e.errno());
                FALSE
            }
        }
    })
}

/// A socket task handed to a pool: dropping it frees the task (after its procedure ran, or
/// unrun when a timed-out stop drops the queue).
struct Submitted(*mut TSocketTask);

// SAFETY: the task is the pool's alone from submission on.
unsafe impl Send for Submitted {}

impl Drop for Submitted {
    fn drop(&mut self) {
        TASKS.lock().remove(&(self.0 as usize));
        // SAFETY: unregistered just now, so freed once.
        unsafe { free_task(self.0) }
    }
}

/// Frees a task no longer registered: its buffer unless `TBT_REFER`, then the struct.
unsafe fn free_task(t: *mut TSocketTask) {
    let task = Box::from_raw(t);
    if task.buf_type != TBT_REFER && !task.buf.is_null() {
        libc::free(task.buf as *mut c_void);
    }
}

/// Submits a socket task: on success the pool owns it and frees it after its procedure ran;
/// on failure the caller still owns it (destroy it with `Destroy_HP_SocketTaskObj`). Errors as
/// `HP_ThreadPool_Submit`, and `EINVAL` for NULL, `EBADF` for a pointer that is no live task,
/// `EBUSY` for a task already submitted. With `TRP_CALLER_RUN` and a full queue the task runs
/// (and is freed) before this returns.
#[no_mangle]
pub unsafe extern "C" fn HP_ThreadPool_Submit_Task(
    pool: *mut c_void,
    task: *mut TSocketTask,
    ms: u32,
) -> BOOL {
    ffi!(FALSE, {
        let Some(p) = POOLS.get(pool) else {
            return FALSE;
        };
        if task.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        {
            let mut tasks = TASKS.lock();
            match tasks.get_mut(&(task as usize)) {
                None => {
                    set_errno(libc::EBADF);
                    return FALSE;
                }
                Some(Holder::Pool) => {
                    set_errno(libc::EBUSY);
                    return FALSE;
                }
                Some(h) => {
                    // SAFETY: a live task, held by the caller.
                    if (*task).r#fn.is_none() {
                        set_errno(libc::EINVAL);
                        return FALSE;
                    }
                    *h = Holder::Pool;
                }
            }
        }
        // SAFETY: checked above; the procedure is read at submission, as HP-Socket does.
        let Some(f) = (*task).r#fn else {
            unreachable!("checked under the lock")
        };
        let owned = Submitted(task);
        let run = move || {
            // The whole guard, so that it frees the task.
            let owned = owned;
            // SAFETY: the task is alive until `owned` drops.
            unsafe { f(owned.0) };
        };
        match p.submit(run, max_wait(ms)) {
            Ok(()) => TRUE,
            Err(e) => {
                let errno = e.errno();
                // The task goes back to the caller unrun and unfreed.
                std::mem::forget(e.into_task());
                if let Some(h) = TASKS.lock().get_mut(&(task as usize)) {
                    *h = Holder::Caller;
                }
                set_errno(errno);
                FALSE
            }
        }
    })
}

/// Sets the number of workers while started (`dwNewThreadCount` as in Start). FALSE with errno
/// `EPERM` unless started, or the OS error when a thread cannot be created.
#[no_mangle]
pub extern "C" fn HP_ThreadPool_AdjustThreadCount(pool: *mut c_void, count: u32) -> BOOL {
    ffi!(FALSE, {
        let Some(p) = POOLS.get(pool) else {
            return FALSE;
        };
        b(p.adjust_thread_count(count as i32))
    })
}

/// Waits until the pool is stopped (`INFINITE`: no limit); TRUE when stopped. FALSE with errno
/// `ETIMEDOUT` when the time passed, `EDEADLK` at once on one of the pool's workers or in its
/// `OnShutdown` (the stop cannot complete while that thread waits).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_Wait(pool: *mut c_void, ms: u32) -> BOOL {
    ffi!(FALSE, {
        let Some(p) = POOLS.get(pool) else {
            return FALSE;
        };
        let t = (ms != u32::MAX).then(|| Duration::from_millis(ms.into()));
        if p.wait(t) {
            TRUE
        } else {
            set_errno(if serving(pool as usize) {
                libc::EDEADLK
            } else {
                libc::ETIMEDOUT
            });
            FALSE
        }
    })
}

/// TRUE when starting or started.
#[no_mangle]
pub extern "C" fn HP_ThreadPool_HasStarted(pool: *mut c_void) -> BOOL {
    ffi!(FALSE, {
        POOLS.get(pool).map_or(FALSE, |p| p.has_started() as BOOL)
    })
}

/// `En_HP_ServiceState` (`SS_STOPPED` for an unknown handle).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_GetState(pool: *mut c_void) -> c_int {
    const STOPPED: c_int = ServiceState::Stopped as c_int;
    ffi!(STOPPED, {
        POOLS.get(pool).map_or(STOPPED, |p| p.state() as c_int)
    })
}

/// Tasks waiting in the queue.
#[no_mangle]
pub extern "C" fn HP_ThreadPool_GetQueueSize(pool: *mut c_void) -> u32 {
    ffi!(0, { POOLS.get(pool).map_or(0, |p| p.queue_size()) })
}

/// Tasks running now (on workers, or on callers by `TRP_CALLER_RUN`).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_GetTaskCount(pool: *mut c_void) -> u32 {
    ffi!(0, { POOLS.get(pool).map_or(0, |p| p.task_count()) })
}

/// The number of workers asked for (0 when stopped).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_GetThreadCount(pool: *mut c_void) -> u32 {
    ffi!(0, { POOLS.get(pool).map_or(0, |p| p.thread_count()) })
}

/// The queue bound given to Start (0: none, and when stopped).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_GetMaxQueueSize(pool: *mut c_void) -> u32 {
    ffi!(0, { POOLS.get(pool).map_or(0, |p| p.max_queue_size()) })
}

/// `En_HP_RejectedPolicy` given to Start (`TRP_CALL_FAIL` when stopped or unknown).
#[no_mangle]
pub extern "C" fn HP_ThreadPool_GetRejectedPolicy(pool: *mut c_void) -> c_int {
    ffi!(0, {
        POOLS.get(pool).map_or(0, |p| p.rejected_policy() as c_int)
    })
}

// ---- socket tasks ----

/// The number of socket tasks alive now (created and not yet freed, by the caller or a pool):
/// a diagnostic for tests and leak hunts, not part of the C API.
pub fn live_socket_tasks() -> usize {
    TASKS.lock().len()
}

/// Creates a socket task, held by the caller until submitted. `TBT_COPY` copies `iBuffLen`
/// bytes into a `malloc`ed buffer (a NULL buffer stays NULL); `TBT_REFER` and `TBT_ATTACH`
/// keep the pointer (`TBT_ATTACH`: freed with `free` with the task, so it must come from
/// `SYS_Malloc` / `SYS_Calloc`). NULL with errno `EINVAL` for a NULL procedure, a negative
/// length or an unknown buffer type; `ENOMEM` when the copy cannot be allocated.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // HP-Socket's signature
pub unsafe extern "C" fn Create_HP_SocketTaskObj(
    f: Option<FnSocketTaskProc>,
    sender: *mut c_void,
    conn_id: usize,
    buf: *const u8,
    len: c_int,
    buf_type: c_int,
    wparam: c_ulong,
    lparam: c_long,
) -> *mut TSocketTask {
    ffi!(std::ptr::null_mut(), {
        let mode = TaskBufferType::from_raw(buf_type);
        if f.is_none() || len < 0 || mode.is_none() {
            set_errno(libc::EINVAL);
            return std::ptr::null_mut();
        }
        let data = if mode == Some(TaskBufferType::Copy) && !buf.is_null() {
            let n = len as usize;
            let copy = libc::malloc(n) as *mut u8;
            if copy.is_null() && n > 0 {
                set_errno(libc::ENOMEM);
                return std::ptr::null_mut();
            }
            if n > 0 {
                std::ptr::copy_nonoverlapping(buf, copy, n);
            }
            copy as *const u8
        } else {
            buf
        };
        let task = Box::into_raw(Box::new(TSocketTask {
            r#fn: f,
            sender,
            conn_id,
            buf: data,
            buf_len: len,
            buf_type,
            wparam,
            lparam,
        }));
        TASKS.lock().insert(task as usize, Holder::Caller);
        task
    })
}

/// Destroys a socket task the caller holds: frees its buffer unless `TBT_REFER`, then the
/// task. NULL does nothing. A task submitted to a pool is the pool's (errno `EBUSY`, nothing
/// freed); a pointer that is no live task gives `EBADF`.
#[no_mangle]
pub unsafe extern "C" fn Destroy_HP_SocketTaskObj(task: *mut TSocketTask) {
    ffi!((), {
        if task.is_null() {
            return;
        }
        let mine = {
            let mut tasks = TASKS.lock();
            match tasks.get(&(task as usize)) {
                Some(Holder::Caller) => {
                    tasks.remove(&(task as usize));
                    true
                }
                Some(Holder::Pool) => {
                    set_errno(libc::EBUSY);
                    false
                }
                None => {
                    set_errno(libc::EBADF);
                    false
                }
            }
        };
        if mine {
            free_task(task);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits() {
        assert_eq!(max_wait(0), None);
        assert_eq!(max_wait(u32::MAX), None);
        assert_eq!(max_wait(5), Some(Duration::from_millis(5)));
    }

    #[test]
    fn default_stack_is_the_pthread_default() {
        // At least PTHREAD_STACK_MIN, and what a thread made with default attributes gets.
        let s = pthread_default_stack();
        assert!(s as usize >= libc::PTHREAD_STACK_MIN, "{s}");
    }
}
