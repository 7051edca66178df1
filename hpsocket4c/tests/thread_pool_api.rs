//! HP-Socket 5.8.6's thread pool through the C API, called from Rust (the `extern "C"`
//! functions of the rlib):
//!
//! - every rejection policy under a full queue (`TRP_CALL_FAIL`: `EXFULL`; `TRP_WAIT_FOR`:
//!   `ETIMEDOUT` after the limit, success once a worker makes room, `EPERM` when a stop wakes
//!   it; `TRP_CALLER_RUN`: the task runs on the submitting thread), for plain and socket tasks;
//! - thousands of tasks from many threads, each run exactly once;
//! - resizing while busy, stopping while busy (the queue runs first) and with a timeout (the
//!   queue is dropped, socket tasks freed, `ECANCELED`), a restart after it;
//! - socket tasks in each buffer mode: fields and bytes seen by the procedure, the copy taken
//!   at creation, every task freed exactly once (the live count, and the heap in use for
//!   large `TBT_COPY` / `TBT_ATTACH` buffers), `TBT_REFER` buffers left to their owner;
//!   refusals (`EBUSY` for a task the pool holds, `EBADF` for no task, `EINVAL`);
//! - the events: the pool's handle, `pthread_self()` of each worker, the order;
//! - calls from inside tasks (`Wait`: `EDEADLK`; `Stop` deferred; `Destroy`), destroyed and
//!   unknown handles (`EBADF`), the stack size 0 = the pthread default, the `SYS_*` memory
//!   functions.
//!
//! Tests that create socket tasks or measure the heap run one at a time (`serial()`), so the
//! live count and the heap figures are theirs. Every wait is bounded.
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hpsocket4c::listener::{Create_HP_TcpServerListener, Destroy_HP_TcpServerListener};
use hpsocket4c::sys::*;
use hpsocket4c::thread_pool::*;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const INFINITE: u32 = u32::MAX;

const TRP_CALL_FAIL: c_int = 0;
const TRP_WAIT_FOR: c_int = 1;
const TRP_CALLER_RUN: c_int = 2;
const TBT_COPY: c_int = 0;
const TBT_REFER: c_int = 1;
const TBT_ATTACH: c_int = 2;
const SS_STARTED: c_int = 1;
const SS_STOPPED: c_int = 3;

const EPERM: u32 = libc::EPERM as u32;
const EBADF: u32 = libc::EBADF as u32;
const EBUSY: u32 = libc::EBUSY as u32;
const EINVAL: u32 = libc::EINVAL as u32;
const EXFULL: u32 = libc::EXFULL as u32;
const ETIMEDOUT: u32 = libc::ETIMEDOUT as u32;
const ECANCELED: u32 = libc::ECANCELED as u32;
const EDEADLK: u32 = libc::EDEADLK as u32;

const LIMIT: Duration = Duration::from_secs(20);

/// A handle value that was never returned by a Create function.
const BOGUS: H = 0xdead_0000 as H;

fn errno() -> u32 {
    SYS_GetLastError()
}

fn set_errno(v: c_int) {
    // SAFETY: this thread's errno slot.
    unsafe { *libc::__errno_location() = v }
}

/// One test at a time for the tests that count live socket tasks or measure the heap.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn eventually(f: impl FnMut() -> bool) -> bool {
    testkit::eventually(LIMIT, f)
}

// ---- plain tasks as Rust closures ----

type Job = Box<dyn FnOnce() + Send>;

unsafe extern "C" fn run_job(arg: *mut c_void) {
    let job = Box::from_raw(arg as *mut Job);
    job()
}

/// `HP_ThreadPool_Submit` of a closure; the errno on failure (the closure is dropped then).
fn submit(pool: H, ms: u32, f: impl FnOnce() + Send + 'static) -> Result<(), u32> {
    let arg = Box::into_raw(Box::new(Box::new(f) as Job)) as *mut c_void;
    if HP_ThreadPool_Submit(pool, Some(run_job), arg, ms) == TRUE {
        return Ok(());
    }
    let e = errno();
    // SAFETY: refused, so still ours.
    drop(unsafe { Box::from_raw(arg as *mut Job) });
    Err(e)
}

fn start(pool: H, threads: i32, queue: u32, policy: c_int) {
    assert_eq!(
        HP_ThreadPool_Start(pool, threads as u32, queue, policy, 0),
        TRUE,
        "Start: errno {}",
        errno()
    );
}

fn stop(pool: H) {
    assert_eq!(
        HP_ThreadPool_Stop(pool, INFINITE),
        TRUE,
        "errno {}",
        errno()
    );
    assert_eq!(HP_ThreadPool_GetState(pool), SS_STOPPED);
}

/// Tasks that block until the gate opens.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    waiting: AtomicUsize,
}

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::default()
    }

    fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let deadline = Instant::now() + LIMIT;
        let mut open = self.open.lock().unwrap();
        while !*open && Instant::now() < deadline {
            open = self.cv.wait_timeout(open, LIMIT).unwrap().0;
        }
        drop(open);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// A task that blocks at the gate.
    fn task(self: &Arc<Self>) -> impl FnOnce() + Send + 'static {
        let g = self.clone();
        move || g.pass()
    }

    /// Submits a gate task and waits until a worker is inside it.
    fn hold(self: &Arc<Self>, pool: H) {
        let before = self.waiting.load(Ordering::SeqCst);
        submit(pool, 0, self.task()).expect("gate task");
        assert!(eventually(|| self.waiting.load(Ordering::SeqCst) > before));
    }

    fn set(&self, v: bool) {
        *self.open.lock().unwrap() = v;
        self.cv.notify_all();
    }
}

fn counter_task(n: &Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    let n = n.clone();
    move || {
        n.fetch_add(1, Ordering::SeqCst);
    }
}

// ---- socket tasks ----

/// What socket task procedures record, reached through the task's `sender`.
struct Record {
    /// Runs per task index (`connID`).
    ran: Vec<AtomicU8>,
    /// Tasks whose fields or bytes were not what their index says.
    bad: AtomicUsize,
    /// The bytes are checked against [`pattern`] (else only the length).
    check_bytes: bool,
}

impl Record {
    fn new(n: usize, check_bytes: bool) -> Arc<Record> {
        Arc::new(Record {
            ran: (0..n).map(|_| AtomicU8::new(0)).collect(),
            bad: AtomicUsize::new(0),
            check_bytes,
        })
    }

    fn sender(self: &Arc<Self>) -> *mut c_void {
        Arc::as_ptr(self) as *mut c_void
    }

    fn runs(&self) -> Vec<u8> {
        self.ran.iter().map(|r| r.load(Ordering::SeqCst)).collect()
    }
}

/// The bytes of socket task `i`.
fn pattern(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|k| (i * 31 + k) as u8).collect()
}

unsafe extern "C" fn record_task(t: *mut TSocketTask) {
    let t = &*t;
    let r = &*(t.sender as *const Record);
    let i = t.conn_id;
    let mut ok = t.wparam == i as c_ulong && t.lparam == -(i as c_long);
    if r.check_bytes && !t.buf.is_null() {
        let got = std::slice::from_raw_parts(t.buf, t.buf_len as usize);
        ok &= got == pattern(i, t.buf_len as usize).as_slice();
    }
    if !ok {
        r.bad.fetch_add(1, Ordering::SeqCst);
    }
    r.ran[i].fetch_add(1, Ordering::SeqCst);
}

/// `Create_HP_SocketTaskObj` for task `i` of `r` (the record must outlive the task).
fn socket_task(
    r: &Arc<Record>,
    i: usize,
    buf: *const u8,
    len: c_int,
    mode: c_int,
) -> *mut TSocketTask {
    // SAFETY: the buffer is the caller's, `len` bytes.
    let t = unsafe {
        Create_HP_SocketTaskObj(
            Some(record_task),
            r.sender(),
            i,
            buf,
            len,
            mode,
            i as c_ulong,
            -(i as c_long),
        )
    };
    assert!(!t.is_null(), "Create_HP_SocketTaskObj: errno {}", errno());
    t
}

/// A `TBT_ATTACH` socket task carrying `pattern(i, len)` in a `SYS_Malloc` buffer.
fn attached_task(r: &Arc<Record>, i: usize, len: usize) -> *mut TSocketTask {
    let p = SYS_Malloc(len as c_int);
    assert!(!p.is_null());
    // SAFETY: `len` bytes just allocated.
    unsafe { std::ptr::copy_nonoverlapping(pattern(i, len).as_ptr(), p, len) };
    socket_task(r, i, p, len as c_int, TBT_ATTACH)
}

fn submit_task(pool: H, t: *mut TSocketTask, ms: u32) -> Result<(), u32> {
    // SAFETY: a task of Create_HP_SocketTaskObj (or a bad pointer the function refuses).
    if unsafe { HP_ThreadPool_Submit_Task(pool, t, ms) } == TRUE {
        Ok(())
    } else {
        Err(errno())
    }
}

fn destroy_task(t: *mut TSocketTask) {
    // SAFETY: as above.
    unsafe { Destroy_HP_SocketTaskObj(t) }
}

/// Bytes of heap in use (arenas and mmapped chunks).
fn heap_in_use() -> usize {
    // SAFETY: glibc's statistics call.
    let m = unsafe { libc::mallinfo2() };
    m.uordblks + m.hblkhd
}

// ---- the tests ----

#[test]
fn every_rejection_policy_under_a_full_queue() {
    let _serial = serial();
    let live = live_socket_tasks();
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    assert!(!pool.is_null());
    let gate = Gate::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let rec = Record::new(4, true);

    // TRP_CALL_FAIL: one worker held at the gate, a queue of 2 filled, then refusals.
    start(pool, 1, 2, TRP_CALL_FAIL);
    assert_eq!(HP_ThreadPool_GetMaxQueueSize(pool), 2);
    assert_eq!(HP_ThreadPool_GetRejectedPolicy(pool), TRP_CALL_FAIL);
    gate.hold(pool);
    submit(pool, 0, counter_task(&ran)).unwrap();
    submit(pool, 0, counter_task(&ran)).unwrap();
    assert_eq!(HP_ThreadPool_GetQueueSize(pool), 2);
    assert_eq!(HP_ThreadPool_GetTaskCount(pool), 1);
    assert_eq!(submit(pool, 0, counter_task(&ran)), Err(EXFULL));
    assert_eq!(submit(pool, 1000, counter_task(&ran)), Err(EXFULL));
    let t = attached_task(&rec, 0, 100);
    assert_eq!(submit_task(pool, t, 0), Err(EXFULL));
    // Refused: still ours, and can be submitted later.
    assert_eq!(live_socket_tasks(), live + 1);
    gate.set(true);
    stop(pool);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        2,
        "the queued ran, the refused did not"
    );
    assert_eq!(rec.runs()[0], 0);
    destroy_task(t);
    assert_eq!(live_socket_tasks(), live);

    // TRP_WAIT_FOR: a limit passes (ETIMEDOUT); without one, a submit waits for room.
    gate.set(false);
    start(pool, 1, 1, TRP_WAIT_FOR);
    gate.hold(pool);
    submit(pool, 0, counter_task(&ran)).unwrap();
    let t0 = Instant::now();
    assert_eq!(submit(pool, 100, counter_task(&ran)), Err(ETIMEDOUT));
    assert!(
        t0.elapsed() >= Duration::from_millis(90),
        "{:?}",
        t0.elapsed()
    );
    let t = attached_task(&rec, 1, 10);
    assert_eq!(submit_task(pool, t, 50), Err(ETIMEDOUT));
    let p = pool as usize;
    let done = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (ran, done) = (ran.clone(), done.clone());
        std::thread::spawn(move || {
            let r = submit(p as H, INFINITE, counter_task(&ran));
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !done.load(Ordering::SeqCst),
        "dwMaxWait INFINITE must wait for room"
    );
    // The socket task waits too, with 0 (no limit) as dwMaxWait.
    let tu = t as usize;
    let task_waiter = std::thread::spawn(move || submit_task(p as H, tu as *mut _, 0));
    gate.set(true);
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(task_waiter.join().unwrap(), Ok(()));
    stop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 4);
    assert_eq!(rec.runs()[1], 1);

    // A stop wakes a waiting submit with EPERM.
    gate.set(false);
    start(pool, 1, 1, TRP_WAIT_FOR);
    gate.hold(pool);
    submit(pool, 0, counter_task(&ran)).unwrap();
    let waiter = std::thread::spawn(move || submit(p as H, INFINITE, || {}));
    std::thread::sleep(Duration::from_millis(50));
    let stopper = std::thread::spawn(move || HP_ThreadPool_Stop(p as H, INFINITE));
    assert_eq!(waiter.join().unwrap(), Err(EPERM));
    gate.set(true);
    assert_eq!(stopper.join().unwrap(), TRUE);

    // TRP_CALLER_RUN: the task runs on the submitting thread, counted as running.
    gate.set(false);
    start(pool, 1, 1, TRP_CALLER_RUN);
    gate.hold(pool);
    submit(pool, 0, counter_task(&ran)).unwrap();
    let me = std::thread::current().id();
    let seen = Arc::new(Mutex::new(None));
    {
        let seen = seen.clone();
        submit(pool, 0, move || {
            *seen.lock().unwrap() = Some((
                std::thread::current().id(),
                HP_ThreadPool_GetTaskCount(p as H),
            ));
        })
        .unwrap();
    }
    assert_eq!(
        *seen.lock().unwrap(),
        Some((me, 2)),
        "ran here, beside the gate task"
    );
    // A socket task runs here and is freed before Submit_Task returns.
    let t = attached_task(&rec, 2, 64);
    assert_eq!(submit_task(pool, t, 0), Ok(()));
    assert_eq!(rec.runs()[2], 1);
    assert_eq!(live_socket_tasks(), live);
    gate.set(true);
    stop(pool);
    assert_eq!(rec.bad.load(Ordering::SeqCst), 0);
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn thousands_of_tasks_from_many_threads_each_run_once() {
    let _serial = serial();
    let live = live_socket_tasks();
    const THREADS: usize = 8;
    const PER_THREAD: usize = 1500;
    const N: usize = THREADS * PER_THREAD;
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    // A small bounded queue: submitters keep waiting for room.
    start(pool, 4, 32, TRP_WAIT_FOR);
    let plain: Arc<Vec<AtomicU8>> = Arc::new((0..N).map(|_| AtomicU8::new(0)).collect());
    let rec = Record::new(N, true);
    let p = pool as usize;
    let submitters: Vec<_> = (0..THREADS)
        .map(|k| {
            let (plain, rec) = (plain.clone(), rec.clone());
            std::thread::spawn(move || {
                for i in (k..N).step_by(THREADS) {
                    let plain = plain.clone();
                    submit(p as H, INFINITE, move || {
                        plain[i].fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                    let bytes = pattern(i, i % 50);
                    let mode = [TBT_COPY, TBT_ATTACH][i % 2];
                    let t = if mode == TBT_COPY {
                        socket_task(&rec, i, bytes.as_ptr(), bytes.len() as c_int, TBT_COPY)
                    } else {
                        attached_task(&rec, i, bytes.len())
                    };
                    drop(bytes); // the copy is the task's own
                    submit_task(p as H, t, 0).unwrap();
                }
            })
        })
        .collect();
    for s in submitters {
        s.join().unwrap();
    }
    stop(pool);
    let plain_runs: Vec<u8> = plain.iter().map(|r| r.load(Ordering::SeqCst)).collect();
    assert!(plain_runs.iter().all(|&n| n == 1), "plain runs not all 1");
    assert!(
        rec.runs().iter().all(|&n| n == 1),
        "socket task runs not all 1"
    );
    assert_eq!(rec.bad.load(Ordering::SeqCst), 0);
    assert_eq!(live_socket_tasks(), live, "every socket task freed");
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn resize_while_busy() {
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 2, 0, TRP_CALL_FAIL);
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), 2);
    let ran = Arc::new(AtomicUsize::new(0));
    let workers = Arc::new(Mutex::new(HashSet::new()));
    let busy = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let task = || {
        let (ran, workers, busy, peak) = (ran.clone(), workers.clone(), busy.clone(), peak.clone());
        move || {
            let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            workers.lock().unwrap().insert(std::thread::current().id());
            std::thread::sleep(Duration::from_millis(2));
            busy.fetch_sub(1, Ordering::SeqCst);
            ran.fetch_add(1, Ordering::SeqCst);
        }
    };
    for _ in 0..400 {
        submit(pool, 0, task()).unwrap();
    }
    // Grow while the queue is long.
    assert_eq!(HP_ThreadPool_AdjustThreadCount(pool, 8), TRUE);
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), 8);
    assert!(
        eventually(|| peak.load(Ordering::SeqCst) > 2),
        "no more than 2 ran at once"
    );
    // Shrink while still busy: the count changes at once, the surplus ends after its task.
    assert!(HP_ThreadPool_GetQueueSize(pool) > 0, "no longer busy");
    assert_eq!(HP_ThreadPool_AdjustThreadCount(pool, 1), TRUE);
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), 1);
    assert!(eventually(|| ran.load(Ordering::SeqCst) == 400));
    // From now on one worker: no two tasks at once.
    peak.store(0, Ordering::SeqCst);
    for _ in 0..50 {
        submit(pool, 0, task()).unwrap();
    }
    assert!(eventually(|| ran.load(Ordering::SeqCst) == 450));
    assert!(
        peak.load(Ordering::SeqCst) <= 1,
        "shrunk pool ran tasks in parallel"
    );
    assert!(workers.lock().unwrap().len() >= 3);
    // 0: the default count; negative: CPUs × n.
    assert_eq!(HP_ThreadPool_AdjustThreadCount(pool, 0), TRUE);
    let cpus = std::thread::available_parallelism().unwrap().get() as u32;
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), (cpus * 2 + 2).min(512));
    assert_eq!(HP_ThreadPool_AdjustThreadCount(pool, (-1i32) as u32), TRUE);
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), cpus);
    stop(pool);
    // Not started: refused.
    set_errno(0);
    assert_eq!(HP_ThreadPool_AdjustThreadCount(pool, 4), FALSE);
    assert_eq!(errno(), EPERM);
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn stop_while_busy_runs_the_queue_first() {
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 2, 0, TRP_CALL_FAIL);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..60 {
        let ran = ran.clone();
        submit(pool, 0, move || {
            std::thread::sleep(Duration::from_millis(2));
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    assert!(HP_ThreadPool_GetQueueSize(pool) > 0);
    // 0 is "no limit" for Stop, as INFINITE.
    assert_eq!(HP_ThreadPool_Stop(pool, 0), TRUE);
    assert_eq!(ran.load(Ordering::SeqCst), 60);
    assert_eq!(HP_ThreadPool_GetState(pool), SS_STOPPED);
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), 0);
    assert_eq!(HP_ThreadPool_GetMaxQueueSize(pool), 0);
    // A second stop: refused.
    set_errno(0);
    assert_eq!(HP_ThreadPool_Stop(pool, INFINITE), FALSE);
    assert_eq!(errno(), EPERM);
    // Stopped: submits refused.
    assert_eq!(submit(pool, 0, || {}), Err(EPERM));
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn stop_with_a_timeout_drops_the_queue_and_frees_socket_tasks() {
    let _serial = serial();
    let live = live_socket_tasks();
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 1, 0, TRP_CALL_FAIL);
    let gate = Gate::new();
    gate.hold(pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let rec = Record::new(10, true);
    for i in 0..10 {
        submit(pool, 0, counter_task(&ran)).unwrap();
        submit_task(pool, attached_task(&rec, i, 256), 0).unwrap();
    }
    assert_eq!(HP_ThreadPool_GetQueueSize(pool), 20);
    assert_eq!(live_socket_tasks(), live + 10);
    set_errno(0);
    let t0 = Instant::now();
    assert_eq!(HP_ThreadPool_Stop(pool, 100), TRUE);
    assert_eq!(errno(), ECANCELED, "a stop that timed out");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(HP_ThreadPool_GetState(pool), SS_STOPPED);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "queued tasks dropped unrun");
    assert_eq!(rec.runs(), vec![0; 10]);
    assert_eq!(live_socket_tasks(), live, "dropped socket tasks freed");
    // The abandoned worker finishes its task on its own.
    gate.set(true);
    assert!(eventually(|| gate.waiting.load(Ordering::SeqCst) == 0));
    // The pool starts again.
    start(pool, 2, 0, TRP_CALL_FAIL);
    submit(pool, 0, counter_task(&ran)).unwrap();
    stop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn socket_tasks_in_each_buffer_mode_are_freed_once() {
    let _serial = serial();
    let live = live_socket_tasks();
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 2, 0, TRP_CALL_FAIL);

    // Fields, and the copy taken at creation.
    let rec = Record::new(8, true);
    let mut src = pattern(0, 40);
    let copy = socket_task(&rec, 0, src.as_ptr(), 40, TBT_COPY);
    src.fill(0xEE); // the task has its own copy
                    // SAFETY: a live task held by us.
    unsafe {
        let t = &*copy;
        assert_ne!(t.buf, src.as_ptr());
        assert_eq!((t.conn_id, t.buf_len, t.buf_type), (0, 40, TBT_COPY));
        assert_eq!((t.wparam, t.lparam), (0, 0));
        assert_eq!(t.sender, rec.sender());
    }
    let refer_buf = pattern(1, 30);
    let refer = socket_task(&rec, 1, refer_buf.as_ptr(), 30, TBT_REFER);
    // SAFETY: as above.
    assert_eq!(
        unsafe { (*refer).buf },
        refer_buf.as_ptr(),
        "TBT_REFER: no copy"
    );
    let attach = attached_task(&rec, 2, 20);
    let null_copy = socket_task(&rec, 3, std::ptr::null(), 0, TBT_COPY);
    // SAFETY: as above.
    assert!(
        unsafe { (*null_copy).buf }.is_null(),
        "a NULL buffer stays NULL"
    );
    for t in [copy, refer, attach, null_copy] {
        submit_task(pool, t, 0).unwrap();
    }
    assert!(eventually(|| rec.runs()[..4] == [1, 1, 1, 1]));
    assert!(eventually(|| live_socket_tasks() == live));
    assert_eq!(rec.bad.load(Ordering::SeqCst), 0);
    // TBT_REFER left the buffer to us: still ours, intact.
    assert_eq!(refer_buf, pattern(1, 30));
    drop(refer_buf);

    // Destroyed without being submitted, in each mode.
    let b = pattern(5, 10);
    destroy_task(socket_task(&rec, 5, b.as_ptr(), 10, TBT_COPY));
    destroy_task(socket_task(&rec, 5, b.as_ptr(), 10, TBT_REFER));
    destroy_task(attached_task(&rec, 5, 10));
    assert_eq!(b, pattern(5, 10));
    assert_eq!(live_socket_tasks(), live);
    assert_eq!(rec.runs()[5], 0);

    // Large buffers: the heap in use comes back, so every buffer was freed (a double free
    // would abort the process).
    const BIG: usize = 1 << 20;
    const COUNT: usize = 48;
    let rec = Record::new(COUNT, false);
    let src = vec![7u8; BIG];
    let before = heap_in_use();
    let gate = Gate::new();
    gate.hold(pool);
    gate.hold(pool);
    let tasks: Vec<_> = (0..COUNT)
        .map(|i| {
            if i % 2 == 0 {
                socket_task(&rec, i, src.as_ptr(), BIG as c_int, TBT_COPY)
            } else {
                let p = SYS_Malloc(BIG as c_int);
                assert!(!p.is_null());
                socket_task(&rec, i, p, BIG as c_int, TBT_ATTACH)
            }
        })
        .collect();
    for &t in &tasks {
        submit_task(pool, t, 0).unwrap();
    }
    let held = heap_in_use().saturating_sub(before);
    assert!(
        held >= COUNT * BIG * 9 / 10,
        "only {held} bytes held by {COUNT} tasks"
    );
    gate.set(true);
    assert!(eventually(|| rec.runs().iter().all(|&n| n == 1)));
    assert!(eventually(|| live_socket_tasks() == live));
    let after = heap_in_use();
    assert!(
        after < before + COUNT * BIG / 4,
        "heap in use {before} -> {after}: buffers not freed"
    );
    stop(pool);
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn socket_task_ownership_refusals() {
    let _serial = serial();
    let live = live_socket_tasks();
    let rec = Record::new(4, true);
    // Bad arguments: nothing created.
    let b = [1u8; 4];
    for (f, len, mode) in [
        (None, 4, TBT_COPY),
        (Some(record_task as FnSocketTaskProc), -1, TBT_COPY),
        (Some(record_task as FnSocketTaskProc), 4, 3),
        (Some(record_task as FnSocketTaskProc), 4, -1),
    ] {
        set_errno(0);
        // SAFETY: a valid 4-byte buffer.
        let t = unsafe { Create_HP_SocketTaskObj(f, rec.sender(), 0, b.as_ptr(), len, mode, 0, 0) };
        assert!(t.is_null());
        assert_eq!(errno(), EINVAL);
    }
    assert_eq!(live_socket_tasks(), live);

    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 1, 0, TRP_CALL_FAIL);
    let gate = Gate::new();
    gate.hold(pool);
    let t = attached_task(&rec, 0, 8);
    submit_task(pool, t, 0).unwrap();
    // The pool holds it now: a second submit and a destroy are refused, nothing freed.
    assert_eq!(submit_task(pool, t, 0), Err(EBUSY));
    set_errno(0);
    destroy_task(t);
    assert_eq!(errno(), EBUSY);
    assert_eq!(live_socket_tasks(), live + 1);
    // No task at all.
    assert_eq!(submit_task(pool, std::ptr::null_mut(), 0), Err(EINVAL));
    assert_eq!(submit_task(pool, BOGUS as *mut TSocketTask, 0), Err(EBADF));
    set_errno(0);
    destroy_task(BOGUS as *mut TSocketTask);
    assert_eq!(errno(), EBADF);
    destroy_task(std::ptr::null_mut()); // nothing
                                        // A task whose procedure was cleared: refused, still ours.
    let u = attached_task(&rec, 1, 8);
    // SAFETY: a live task held by us.
    unsafe { (*u).r#fn = None };
    assert_eq!(submit_task(pool, u, 0), Err(EINVAL));
    destroy_task(u);
    // An unknown pool: the task stays ours.
    let v = attached_task(&rec, 2, 8);
    assert_eq!(submit_task(BOGUS, v, 0), Err(EBADF));
    destroy_task(v);
    gate.set(true);
    stop(pool);
    assert_eq!(rec.runs(), vec![1, 0, 0, 0]);
    // Freed by the pool: a destroy now finds no task.
    assert_eq!(live_socket_tasks(), live);
    Destroy_HP_ThreadPool(pool);
}

// ---- events ----

#[derive(Default)]
struct Events {
    /// (event, pool, thread): 'S' startup, 's' worker start, 'e' worker end, 'D' shutdown.
    log: Mutex<Vec<(char, usize, c_ulong)>>,
}

/// The events of the pools under test, by pool handle (callbacks get only the handle).
fn events_for(pool: usize) -> Arc<Events> {
    static ALL: Mutex<Vec<(usize, Arc<Events>)>> = Mutex::new(Vec::new());
    let mut all = ALL.lock().unwrap();
    if let Some((_, e)) = all.iter().find(|(p, _)| *p == pool) {
        return e.clone();
    }
    let e = Arc::new(Events::default());
    all.push((pool, e.clone()));
    e
}

fn log_event(kind: char, pool: *mut c_void, thread: c_ulong) {
    events_for(pool as usize)
        .log
        .lock()
        .unwrap()
        .push((kind, pool as usize, thread));
}

unsafe extern "C" fn ev_startup(p: *mut c_void) {
    log_event('S', p, libc::pthread_self());
}
unsafe extern "C" fn ev_shutdown(p: *mut c_void) {
    log_event('D', p, libc::pthread_self());
}
// The worker events log 'x' when THR_ID is not the calling thread (no panics across C).
unsafe extern "C" fn ev_start(p: *mut c_void, t: c_ulong) {
    log_event(if t == libc::pthread_self() { 's' } else { 'x' }, p, t);
}
unsafe extern "C" fn ev_end(p: *mut c_void, t: c_ulong) {
    log_event(if t == libc::pthread_self() { 'e' } else { 'x' }, p, t);
}

fn listener_with_all_events() -> H {
    let l = Create_HP_ThreadPoolListener();
    assert!(!l.is_null());
    HP_Set_FN_ThreadPool_OnStartup(l, Some(ev_startup));
    HP_Set_FN_ThreadPool_OnShutdown(l, Some(ev_shutdown));
    HP_Set_FN_ThreadPool_OnWorkerThreadStart(l, Some(ev_start));
    HP_Set_FN_ThreadPool_OnWorkerThreadEnd(l, Some(ev_end));
    l
}

#[test]
fn events_fire_with_the_pool_handle_and_worker_ids() {
    let l = listener_with_all_events();
    let pool = Create_HP_ThreadPool(l);
    assert!(!pool.is_null());
    let ev = events_for(pool as usize);
    start(pool, 3, 0, TRP_CALL_FAIL);
    // Tasks run on the workers the start events named.
    let seen = Arc::new(Mutex::new(HashSet::new()));
    for _ in 0..30 {
        let seen = seen.clone();
        submit(pool, 0, move || {
            // SAFETY: plain pthread call.
            seen.lock().unwrap().insert(unsafe { libc::pthread_self() });
            std::thread::sleep(Duration::from_millis(1));
        })
        .unwrap();
    }
    assert!(eventually(|| ev.log.lock().unwrap().len() >= 4));
    stop(pool);
    let log = ev.log.lock().unwrap().clone();
    assert!(log.iter().all(|&(_, p, _)| p == pool as usize), "{log:?}");
    let kinds: String = log.iter().map(|e| e.0).collect();
    assert_eq!(kinds.len(), 8, "{kinds}");
    assert!(kinds.starts_with('S') && kinds.ends_with('D'), "{kinds}");
    // SAFETY: plain pthread call.
    let me = unsafe { libc::pthread_self() };
    assert_eq!(log[0].2, me, "OnStartup runs on the thread calling Start");
    assert_eq!(log[7].2, me, "OnShutdown runs on the thread calling Stop");
    let starts: HashSet<c_ulong> = log.iter().filter(|e| e.0 == 's').map(|e| e.2).collect();
    let ends: HashSet<c_ulong> = log.iter().filter(|e| e.0 == 'e').map(|e| e.2).collect();
    assert_eq!(starts.len(), 3, "{log:?}");
    assert_eq!(starts, ends);
    assert!(seen.lock().unwrap().is_subset(&starts));
    assert!(!starts.contains(&me));

    // The listener destroyed before the pool: the pool keeps its callbacks.
    Destroy_HP_ThreadPoolListener(l);
    start(pool, 1, 0, TRP_CALL_FAIL);
    stop(pool);
    assert_eq!(ev.log.lock().unwrap().len(), 12);
    // A cleared callback is not called.
    Destroy_HP_ThreadPool(pool);

    let l = listener_with_all_events();
    HP_Set_FN_ThreadPool_OnWorkerThreadStart(l, None);
    let pool = Create_HP_ThreadPool(l);
    let ev = events_for(pool as usize);
    start(pool, 2, 0, TRP_CALL_FAIL);
    stop(pool);
    let kinds: String = ev.log.lock().unwrap().iter().map(|e| e.0).collect();
    assert_eq!(kinds, "SeeD");
    Destroy_HP_ThreadPool(pool);
    Destroy_HP_ThreadPoolListener(l);

    // NULL: no events.
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 2, 0, TRP_CALL_FAIL);
    stop(pool);
    assert!(events_for(pool as usize).log.lock().unwrap().is_empty());
    Destroy_HP_ThreadPool(pool);
}

#[test]
fn listeners_of_another_kind_are_refused() {
    let tcp = Create_HP_TcpServerListener();
    set_errno(0);
    assert!(Create_HP_ThreadPool(tcp).is_null());
    assert_eq!(errno(), EINVAL);
    set_errno(0);
    HP_Set_FN_ThreadPool_OnStartup(tcp, Some(ev_startup));
    assert_eq!(errno(), EINVAL);
    Destroy_HP_TcpServerListener(tcp);
    set_errno(0);
    assert!(Create_HP_ThreadPool(BOGUS).is_null());
    assert_eq!(errno(), EBADF);
    // A pool listener is not destroyed by the component listeners' Destroy, nor the reverse.
    let l = Create_HP_ThreadPoolListener();
    Destroy_HP_TcpServerListener(l);
    let pool = Create_HP_ThreadPool(l);
    assert!(!pool.is_null());
    Destroy_HP_ThreadPool(pool);
    Destroy_HP_ThreadPoolListener(l);
    set_errno(0);
    Destroy_HP_ThreadPoolListener(l);
    assert_eq!(errno(), EBADF);
    set_errno(0);
    HP_Set_FN_ThreadPool_OnShutdown(l, Some(ev_shutdown));
    assert_eq!(errno(), EBADF);
}

#[test]
fn destroyed_and_unknown_handles_fail_with_ebadf() {
    let gone = Create_HP_ThreadPool(std::ptr::null_mut());
    Destroy_HP_ThreadPool(gone);
    for h in [gone, BOGUS, std::ptr::null_mut()] {
        let check = |what: &str, failed: bool| {
            assert!(failed, "{what} did not fail");
            assert_eq!(errno(), EBADF, "{what}");
            set_errno(0);
        };
        set_errno(0);
        check(
            "Start",
            HP_ThreadPool_Start(h, 1, 0, TRP_CALL_FAIL, 0) == FALSE,
        );
        check("Stop", HP_ThreadPool_Stop(h, 0) == FALSE);
        check(
            "Submit",
            HP_ThreadPool_Submit(h, Some(run_job), std::ptr::null_mut(), 0) == FALSE,
        );
        check(
            "AdjustThreadCount",
            HP_ThreadPool_AdjustThreadCount(h, 1) == FALSE,
        );
        check("Wait", HP_ThreadPool_Wait(h, 0) == FALSE);
        check("HasStarted", HP_ThreadPool_HasStarted(h) == FALSE);
        check("GetState", HP_ThreadPool_GetState(h) == SS_STOPPED);
        check("GetQueueSize", HP_ThreadPool_GetQueueSize(h) == 0);
        check("GetTaskCount", HP_ThreadPool_GetTaskCount(h) == 0);
        check("GetThreadCount", HP_ThreadPool_GetThreadCount(h) == 0);
        check("GetMaxQueueSize", HP_ThreadPool_GetMaxQueueSize(h) == 0);
        check(
            "GetRejectedPolicy",
            HP_ThreadPool_GetRejectedPolicy(h) == TRP_CALL_FAIL,
        );
        Destroy_HP_ThreadPool(h);
        check("Destroy", true);
    }
}

#[test]
fn start_arguments_and_state() {
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    assert_eq!(HP_ThreadPool_GetState(pool), SS_STOPPED);
    assert_eq!(HP_ThreadPool_HasStarted(pool), FALSE);
    // A stopped pool: Wait returns at once.
    assert_eq!(HP_ThreadPool_Wait(pool, 0), TRUE);
    // A policy out of range.
    for bad in [-1, 3, 100] {
        set_errno(0);
        assert_eq!(HP_ThreadPool_Start(pool, 1, 0, bad, 0), FALSE);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HP_ThreadPool_GetState(pool), SS_STOPPED);
    }
    // NULL task function.
    start(pool, 2, 5, TRP_CALLER_RUN);
    set_errno(0);
    assert_eq!(
        HP_ThreadPool_Submit(pool, None, std::ptr::null_mut(), 0),
        FALSE
    );
    assert_eq!(errno(), EINVAL);
    assert_eq!(HP_ThreadPool_GetState(pool), SS_STARTED);
    assert_eq!(HP_ThreadPool_HasStarted(pool), TRUE);
    assert_eq!(
        (
            HP_ThreadPool_GetThreadCount(pool),
            HP_ThreadPool_GetMaxQueueSize(pool),
            HP_ThreadPool_GetRejectedPolicy(pool)
        ),
        (2, 5, TRP_CALLER_RUN)
    );
    // Started twice: refused.
    set_errno(0);
    assert_eq!(HP_ThreadPool_Start(pool, 1, 0, TRP_CALL_FAIL, 0), FALSE);
    assert_eq!(errno(), EPERM);
    // Wait on a running pool: the time passes.
    set_errno(0);
    assert_eq!(HP_ThreadPool_Wait(pool, 30), FALSE);
    assert_eq!(errno(), ETIMEDOUT);
    // Wait from another thread ends with the stop.
    let p = pool as usize;
    let waiter = std::thread::spawn(move || HP_ThreadPool_Wait(p as H, INFINITE));
    std::thread::sleep(Duration::from_millis(30));
    stop(pool);
    assert_eq!(waiter.join().unwrap(), TRUE);
    // Thread count 0: the default.
    start(pool, 0, 0, TRP_CALL_FAIL);
    let cpus = std::thread::available_parallelism().unwrap().get() as u32;
    assert_eq!(HP_ThreadPool_GetThreadCount(pool), (cpus * 2 + 2).min(512));
    stop(pool);
    // Destroy stops a running pool and waits for its queue.
    start(pool, 1, 0, TRP_CALL_FAIL);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..20 {
        let ran = ran.clone();
        submit(pool, 0, move || {
            std::thread::sleep(Duration::from_millis(2));
            ran.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    Destroy_HP_ThreadPool(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 20);
}

#[test]
fn calls_from_inside_tasks() {
    let pool = Create_HP_ThreadPool(std::ptr::null_mut());
    start(pool, 2, 0, TRP_CALL_FAIL);
    let p = pool as usize;
    let (tx, rx) = std::sync::mpsc::channel();
    // Wait on one of the pool's own workers: EDEADLK at once.
    {
        let tx = tx.clone();
        submit(pool, 0, move || {
            set_errno(0);
            let t0 = Instant::now();
            let r = HP_ThreadPool_Wait(p as H, INFINITE);
            tx.send(("wait", r, errno(), t0.elapsed())).unwrap();
        })
        .unwrap();
    }
    let (_, r, e, took) = rx.recv_timeout(LIMIT).unwrap();
    assert_eq!((r, e), (FALSE, EDEADLK));
    assert!(took < Duration::from_secs(1));
    // Stop inside a task: TRUE at once; the stop completes when the workers end.
    {
        let tx = tx.clone();
        submit(pool, 0, move || {
            let r = HP_ThreadPool_Stop(p as H, INFINITE);
            tx.send(("stop", r, errno(), Duration::ZERO)).unwrap();
        })
        .unwrap();
    }
    let (_, r, _, _) = rx.recv_timeout(LIMIT).unwrap();
    assert_eq!(r, TRUE);
    assert_eq!(HP_ThreadPool_Wait(pool, LIMIT.as_millis() as u32), TRUE);
    assert_eq!(HP_ThreadPool_GetState(pool), SS_STOPPED);
    // Destroy inside a task: the handle goes at once, the pool stops by itself.
    start(pool, 2, 0, TRP_CALL_FAIL);
    let ran = Arc::new(AtomicUsize::new(0));
    submit(pool, 0, move || Destroy_HP_ThreadPool(p as H)).unwrap();
    assert!(eventually(
        || HP_ThreadPool_HasStarted(pool) == FALSE && errno() == EBADF
    ));
    assert_eq!(submit(pool, 0, counter_task(&ran)), Err(EBADF));
}

#[test]
fn stack_size_zero_is_the_pthread_default() {
    static STACKS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    unsafe extern "C" fn record_stack(_: *mut c_void, _: c_ulong) {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        let mut size = 0;
        // SAFETY: attributes of the calling thread, destroyed after use.
        unsafe {
            if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) == 0 {
                libc::pthread_attr_getstacksize(attr.as_ptr(), &mut size);
                libc::pthread_attr_destroy(attr.as_mut_ptr());
            }
        }
        STACKS.lock().unwrap().push(size);
    }
    let default = {
        let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        let mut size = 0;
        // SAFETY: a default attribute object, destroyed after use.
        unsafe {
            libc::pthread_attr_init(attr.as_mut_ptr());
            libc::pthread_attr_getstacksize(attr.as_ptr(), &mut size);
            libc::pthread_attr_destroy(attr.as_mut_ptr());
        }
        size
    };
    let l = Create_HP_ThreadPoolListener();
    HP_Set_FN_ThreadPool_OnWorkerThreadStart(l, Some(record_stack));
    let pool = Create_HP_ThreadPool(l);
    // At least what was asked (less a guard page or so); glibc may hand a worker a cached
    // stack up to 4 times larger than asked.
    let near = |got: usize, want: usize| got + 256 * 1024 >= want && got <= 4 * want;
    for (asked, want) in [(0u32, default), (1 << 20, 1 << 20), (3 << 20, 3 << 20)] {
        STACKS.lock().unwrap().clear();
        assert_eq!(HP_ThreadPool_Start(pool, 2, 0, TRP_CALL_FAIL, asked), TRUE);
        assert!(eventually(|| STACKS.lock().unwrap().len() == 2));
        stop(pool);
        let got = STACKS.lock().unwrap().clone();
        assert!(
            got.iter().all(|&s| near(s, want)),
            "stack size {asked}: workers have {got:?}, want about {want}"
        );
    }
    Destroy_HP_ThreadPool(pool);
    Destroy_HP_ThreadPoolListener(l);
}

#[test]
fn sys_memory_functions() {
    let p = SYS_Malloc(16);
    assert!(!p.is_null());
    // SAFETY: 16 bytes just allocated; realloc keeps them.
    unsafe {
        std::ptr::write_bytes(p, 0x5A, 16);
        let q = SYS_Realloc(p, 4096);
        assert!(!q.is_null());
        assert_eq!(std::slice::from_raw_parts(q, 16), &[0x5A; 16]);
        SYS_Free(q);
    }
    let z = SYS_Calloc(64, 8) as *mut u8;
    assert!(!z.is_null());
    // SAFETY: 512 zeroed bytes.
    unsafe {
        assert!(std::slice::from_raw_parts(z, 512).iter().all(|&b| b == 0));
        SYS_Free(z);
    }
    // SYS_Alloca: heap memory, valid after the call, released with SYS_Free.
    let a = SYS_Alloca(100);
    assert!(!a.is_null());
    // SAFETY: 100 bytes.
    unsafe {
        std::ptr::write_bytes(a, 1, 100);
        SYS_Free(a);
        SYS_Free(std::ptr::null_mut()); // as free(NULL)
    }
    for f in [SYS_Malloc, SYS_Alloca] {
        set_errno(0);
        assert!(f(-1).is_null());
        assert_eq!(errno(), EINVAL);
    }
    set_errno(0);
    assert!(SYS_Calloc(-1, 4).is_null());
    assert_eq!(errno(), EINVAL);
    let p = SYS_Malloc(8);
    set_errno(0);
    // SAFETY: refused without touching p, which is freed after.
    unsafe {
        assert!(SYS_Realloc(p, -5).is_null());
        assert_eq!(errno(), EINVAL);
        SYS_Free(p);
    }
}
