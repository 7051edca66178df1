//! The system calls that std, mio and socket2 do not wrap: the crate's only unsafe code,
//! each call audited here so nothing above this module is unsafe (mio's `sys` fence).
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Asks the allocator to give its free pages back to the system (glibc: the free chunks
/// inside every arena and the top of the main heap; a thread arena's free top goes back only
/// past glibc's own trim threshold — see the fault suite's soak for what that means). Called
/// after a memory peak and when a component's run ends.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns pages the allocator holds free; it takes its own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Copies up to `len` bytes of `file`, from `offset`, to the socket `out` inside the kernel
/// (Linux `sendfile`; the file's own position is not used or moved). Returns the bytes
/// sent: fewer when the socket is full (`WouldBlock` when it takes none), 0 at the file's
/// end.
#[cfg(target_os = "linux")]
pub(crate) fn sendfile(
    out: BorrowedFd<'_>,
    file: &File,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    let mut off =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
    // SAFETY: both descriptors are open for the call's duration (borrowed), `off` is a valid
    // off_t the kernel writes back, and no memory of ours is read or written besides it.
    let n = unsafe { libc::sendfile(out.as_raw_fd(), file.as_raw_fd(), &mut off, len) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Elsewhere: not available (the caller copies instead).
#[cfg(not(target_os = "linux"))]
pub(crate) fn sendfile(_: BorrowedFd<'_>, _: &File, _: u64, _: usize) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Waits up to `timeout` (at least 1 ms) for `fd` to become writable or fail (`poll`):
/// true when it did, false on timeout. `EINTR` counts as a timeout (the caller loops).
pub(crate) fn wait_writable(fd: BorrowedFd<'_>, timeout: std::time::Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd, owned by this frame, for the duration of the call; the
    // descriptor is borrowed, so open throughout.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(n > 0)
}
