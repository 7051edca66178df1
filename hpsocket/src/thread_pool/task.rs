//! HP-Socket's socket task (`TSocketTask`): a task about one connection that carries a buffer,
//! with the buffer-ownership modes of `En_HP_TaskBufferType`.
//!
//! In HP-Socket the task is a C struct (`fn`, `sender`, `connID`, `buf`, `bufLen`, `bufType`,
//! `wparam`, `lparam`) made by `Create_HP_SocketTaskObj` and freed by
//! `Destroy_HP_SocketTaskObj`, which frees `buf` unless the mode is `TBT_REFER`. Here the
//! modes are Rust ownership: the buffer is freed when the [`SocketTask`] is dropped, which
//! happens exactly once — after its procedure ran, or unrun when a stop that timed out drops
//! the queue — and never while the task is handed back by a refused submit.

use std::fmt;
use std::sync::Arc;

use crate::types::ConnId;

/// How a socket task holds its buffer (`En_HP_TaskBufferType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum TaskBufferType {
    /// `TBT_COPY`: the task holds its own copy of the bytes and frees it.
    #[default]
    Copy = 0,
    /// `TBT_REFER`: the task refers to bytes its creator keeps alive; it frees nothing.
    Refer = 1,
    /// `TBT_ATTACH`: the task takes over the creator's allocation and frees it.
    Attach = 2,
}

impl TaskBufferType {
    /// The mode with HP-Socket's numeric value, `None` for any other value.
    ///
    /// ```
    /// use hpsocket::TaskBufferType;
    /// assert_eq!(TaskBufferType::from_raw(2), Some(TaskBufferType::Attach));
    /// assert_eq!(TaskBufferType::from_raw(3), None);
    /// ```
    pub fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(TaskBufferType::Copy),
            1 => Some(TaskBufferType::Refer),
            2 => Some(TaskBufferType::Attach),
            _ => None,
        }
    }
}

/// The bytes a [`SocketTask`] carries, in one of HP-Socket's three ownership modes.
///
/// ```
/// use std::sync::Arc;
/// use hpsocket::{TaskBuffer, TaskBufferType};
///
/// let mut data = vec![1u8, 2, 3];
/// let copied = TaskBuffer::copy(&data); // an independent copy
/// data[0] = 9;
/// assert_eq!(copied.as_slice(), &[1, 2, 3]);
///
/// let attached = TaskBuffer::attach(data); // no copy: the task owns the Vec now
/// assert_eq!(attached.buffer_type(), TaskBufferType::Attach);
///
/// let shared: Arc<[u8]> = Arc::from(&b"shared"[..]);
/// let referred = TaskBuffer::refer(shared.clone()); // one more reference, no copy
/// assert_eq!(Arc::strong_count(&shared), 2);
/// drop(referred);
/// assert_eq!(Arc::strong_count(&shared), 1);
/// ```
pub enum TaskBuffer {
    /// `TBT_COPY`: a copy made when the task was created.
    Copied(Box<[u8]>),
    /// `TBT_ATTACH`: an allocation handed over by the creator (a `Vec<u8>`, a pooled buffer, a
    /// foreign allocation with its own release), dropped with the task.
    Attached(Box<dyn AsRef<[u8]> + Send>),
    /// `TBT_REFER`: bytes shared with the creator; the task holds one reference and releases
    /// only that.
    Referred(Arc<[u8]>),
}

impl TaskBuffer {
    /// Copies `data` (`TBT_COPY`).
    pub fn copy(data: &[u8]) -> Self {
        TaskBuffer::Copied(data.into())
    }

    /// Takes over `owner` without copying (`TBT_ATTACH`); it is dropped with the task.
    pub fn attach(owner: impl AsRef<[u8]> + Send + 'static) -> Self {
        TaskBuffer::Attached(Box::new(owner))
    }

    /// Refers to shared bytes without copying (`TBT_REFER`).
    pub fn refer(shared: Arc<[u8]>) -> Self {
        TaskBuffer::Referred(shared)
    }

    /// The ownership mode.
    pub fn buffer_type(&self) -> TaskBufferType {
        match self {
            TaskBuffer::Copied(_) => TaskBufferType::Copy,
            TaskBuffer::Attached(_) => TaskBufferType::Attach,
            TaskBuffer::Referred(_) => TaskBufferType::Refer,
        }
    }

    /// The bytes (`buf`, `bufLen`).
    pub fn as_slice(&self) -> &[u8] {
        match self {
            TaskBuffer::Copied(b) => b,
            TaskBuffer::Attached(b) => (**b).as_ref(),
            TaskBuffer::Referred(b) => b,
        }
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when there are no bytes (HP-Socket allows a null buffer).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for TaskBuffer {
    /// No bytes.
    fn default() -> Self {
        TaskBuffer::Copied(Box::default())
    }
}

impl AsRef<[u8]> for TaskBuffer {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for TaskBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskBuffer")
            .field("type", &self.buffer_type())
            .field("len", &self.len())
            .finish()
    }
}

type Proc = Box<dyn FnOnce(&mut SocketTask) + Send>;

/// A task about one connection, with a buffer (`TSocketTask`), run by
/// [`ThreadPool::submit_task`](crate::ThreadPool::submit_task).
///
/// The procedure gets the task itself, as HP-Socket's `Fn_SocketTaskProc` does; the pool
/// drops the task (freeing the buffer by its mode) when the procedure returns. What
/// HP-Socket passes as `sender` a Rust procedure captures instead (for example an
/// `Arc<TcpServer>` to send a reply).
///
/// ```
/// use hpsocket::{ConnId, RejectedPolicy, SocketTask, TaskBuffer, ThreadPool};
///
/// let pool = ThreadPool::new(());
/// pool.start(2, 0, RejectedPolicy::CallFail, 0)?;
/// let (tx, rx) = std::sync::mpsc::channel();
/// let task = SocketTask::new(ConnId::new(7), TaskBuffer::copy(b"ping"), move |t| {
///     tx.send((t.conn_id, t.buffer.as_slice().to_vec(), t.wparam)).unwrap();
/// })
/// .with_params(42, 0);
/// pool.submit_task(task, None).map_err(|e| e.kind())?;
/// assert_eq!(rx.recv().unwrap(), (ConnId::new(7), b"ping".to_vec(), 42));
/// pool.stop(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SocketTask {
    /// The connection the task is about (`connID`); `None` where HP-Socket would pass 0.
    pub conn_id: Option<ConnId>,
    /// The bytes (`buf`, `bufLen`, `bufType`).
    pub buffer: TaskBuffer,
    /// A user value (`wparam`).
    pub wparam: usize,
    /// A user value (`lparam`).
    pub lparam: isize,
    proc: Option<Proc>,
}

impl SocketTask {
    /// A task whose procedure is `proc` (`Create_HP_SocketTaskObj`; `wparam` and `lparam` 0).
    pub fn new(
        conn_id: Option<ConnId>,
        buffer: TaskBuffer,
        proc: impl FnOnce(&mut SocketTask) + Send + 'static,
    ) -> Self {
        SocketTask {
            conn_id,
            buffer,
            wparam: 0,
            lparam: 0,
            proc: Some(Box::new(proc)),
        }
    }

    /// Sets the two user values.
    pub fn with_params(mut self, wparam: usize, lparam: isize) -> Self {
        self.wparam = wparam;
        self.lparam = lparam;
        self
    }

    /// Runs the procedure, then drops the task and with it the buffer.
    pub(crate) fn run(mut self) {
        if let Some(proc) = self.proc.take() {
            proc(&mut self);
        }
    }
}

impl fmt::Debug for SocketTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketTask")
            .field("conn_id", &self.conn_id)
            .field("buffer", &self.buffer)
            .field("wparam", &self.wparam)
            .field("lparam", &self.lparam)
            .finish_non_exhaustive()
    }
}
