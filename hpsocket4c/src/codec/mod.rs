//! The `SYS_*` codec helpers: Base64, URL encoding, zlib / gzip (through `flate2`) and the
//! charset conversions (GBK through `encoding_rs`).
//!
//! Conventions (HP-Socket's):
//! - The byte codecs return an `int`: `0` success, `-3` bad input (NULL source with a non-zero
//!   length, malformed data), `-5` output buffer too small (or NULL): `*pdwDestLen` is then set
//!   to the size needed, so a second call with a buffer that large succeeds. `-2` means a bad
//!   parameter of the `Ex` functions (zlib's `Z_STREAM_ERROR`). On success `*pdwDestLen` is the
//!   number of bytes written. The `SYS_Guess*Bound` functions size the output buffer.
//! - The charset conversions take a NUL-terminated source and return a BOOL; `*piDestLength`
//!   is the buffer size in (in characters: bytes, or `WCHAR`s) and the length written out,
//!   **including** the terminating NUL. A buffer too small (or NULL) gives FALSE with
//!   `*piDestLength` set to the length needed (errno `ENOBUFS`); malformed or unmappable input
//!   gives FALSE with `*piDestLength` = 0 (errno `EILSEQ`).
//! - `WCHAR` is the platform's `wchar_t`: 4 bytes (UTF-32) on Linux.
//!
//! Code pages: 0 (the system's, UTF-8 on Linux) and 65001 are UTF-8, 936 is GBK; a few other
//! common ones are recognised (54936 GB18030, 950 Big5, 932 Shift_JIS, 949 EUC-KR,
//! 1250..1258 windows-125x); any other fails with errno `EINVAL`.
//!
//! Layer 3 (families): one codec per file (`base64`, `url`, `zlib` with gzip, `brotli`,
//! `charset`) and HP-Socket 5.8's streaming compressor / decompressor objects (`stream`);
//! this module holds the conventions' constants and the plumbing the byte codecs share. It
//! imports only [`crate::marshal`] (and `stream` the handle registry of [`crate::roles`]).

use std::ffi::c_int;

use crate::marshal::{ffi, set_errno};

mod base64;
mod brotli;
mod charset;
mod stream;
mod url;
mod zlib;

pub use self::base64::*;
pub use self::brotli::*;
pub use self::charset::*;
pub use self::stream::*;
pub use self::url::*;
pub use self::zlib::*;

/// Success.
pub const CODEC_OK: c_int = 0;
/// Bad parameter (zlib `Z_STREAM_ERROR`).
pub const CODEC_BAD_PARAM: c_int = -2;
/// Bad input (zlib `Z_DATA_ERROR`).
pub const CODEC_BAD_INPUT: c_int = -3;
/// Output buffer too small (zlib `Z_BUF_ERROR`).
pub const CODEC_BUFFER_TOO_SMALL: c_int = -5;

// ---- plumbing shared by the byte codecs ----

/// Borrows the source of a codec call; NULL is only fine with length 0.
unsafe fn src<'a>(p: *const u8, len: u32) -> Option<&'a [u8]> {
    if len == 0 {
        Some(&[])
    } else if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p, len as usize))
    }
}

/// The caller's destination of a byte codec, written straight through: bytes go into the
/// buffer while it has room and are only counted after that, so the size needed is known
/// without holding the output anywhere (O(1) memory whatever the input says it expands to).
/// Every codec writes its output through one, in order.
pub struct Out<'a> {
    buf: &'a mut [u8],
    /// Bytes produced so far, written or only counted.
    total: u64,
}

impl<'a> Out<'a> {
    /// A destination of `buf.len()` bytes.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Out { buf, total: 0 }
    }

    /// The destination's size.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes produced so far (written into the buffer or, past its end, only counted).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// True once output has been produced past the end of the buffer.
    pub fn overflowed(&self) -> bool {
        self.total > self.buf.len() as u64
    }

    /// The part of the buffer not written yet (empty once full).
    pub fn spare(&mut self) -> &mut [u8] {
        let at = (self.total as usize).min(self.buf.len());
        &mut self.buf[at..]
    }

    /// Counts `n` bytes produced: written into [`spare`](Self::spare) by the caller, or (past
    /// the end of the buffer) produced elsewhere and dropped.
    pub fn advance(&mut self, n: usize) {
        self.total += n as u64;
    }

    /// Appends `b`: writes what fits, counts the rest.
    pub fn extend(&mut self, b: &[u8]) {
        let spare = self.spare();
        let k = spare.len().min(b.len());
        spare[..k].copy_from_slice(&b[..k]);
        self.total += b.len() as u64;
    }

    /// Appends one byte.
    pub fn push(&mut self, b: u8) {
        self.extend(&[b]);
    }
}

/// Reports a finished codec run through `*dest_len`: 0 with the bytes written when the output
/// fitted, -5 with the size needed when it did not, -3 (errno E2BIG) when the size does not fit
/// a `DWORD`.
unsafe fn finish(total: u64, cap: usize, dest_len: *mut u32) -> c_int {
    let Ok(need) = u32::try_from(total) else {
        set_errno(libc::E2BIG);
        return CODEC_BAD_INPUT;
    };
    *dest_len = need;
    if total > cap as u64 {
        set_errno(libc::ENOBUFS);
        return CODEC_BUFFER_TOO_SMALL;
    }
    CODEC_OK
}

/// Runs a byte codec: reads the source, and lets `f` write its output straight into the
/// caller's buffer (`*dest_len` bytes at `dest`; NULL counts as no room) through an [`Out`].
/// No intermediate copy of the output is made, so neither the memory used nor an allocation
/// failure depends on how large the output is. Part of the buffer may be written when the
/// result is not 0 (as zlib's own functions do). Source and destination must not overlap.
unsafe fn run(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
    f: impl FnOnce(&[u8], &mut Out) -> Result<(), c_int>,
) -> c_int {
    ffi!(CODEC_BAD_INPUT, {
        let Some(s) = src(p, len) else {
            set_errno(libc::EINVAL);
            return CODEC_BAD_INPUT;
        };
        if dest_len.is_null() {
            set_errno(libc::EINVAL);
            return CODEC_BAD_INPUT;
        }
        let buf: &mut [u8] = if dest.is_null() || *dest_len == 0 {
            &mut []
        } else {
            // SAFETY: the caller provides `*dest_len` writable bytes at `dest`.
            std::slice::from_raw_parts_mut(dest, *dest_len as usize)
        };
        let mut out = Out::new(buf);
        match f(s, &mut out) {
            Ok(()) => finish(out.total(), out.capacity(), dest_len),
            // Counting stopped early: -5 with the bytes counted, a lower bound of the size
            // needed (errno E2BIG says it is not exact), or -3 if even that is no `DWORD`.
            Err(COUNT_STOPPED) => match u32::try_from(out.total()) {
                Ok(n) => {
                    *dest_len = n;
                    set_errno(libc::E2BIG);
                    CODEC_BUFFER_TOO_SMALL
                }
                Err(_) => {
                    set_errno(libc::E2BIG);
                    CODEC_BAD_INPUT
                }
            },
            Err(code) => {
                set_errno(if code == CODEC_BAD_PARAM {
                    libc::EINVAL
                } else {
                    libc::EBADMSG
                });
                code
            }
        }
    })
}

/// Internal result of a codec that stopped counting its output past the destination (the
/// zlib module's decompression-bomb limit); `run` turns it into -5 with a lower bound.
pub(crate) const COUNT_STOPPED: c_int = c_int::MIN;

#[cfg(test)]
mod test_util {
    //! Calling the byte codecs from tests.

    use super::*;

    /// Calls a byte codec with a destination of `cap` bytes.
    pub(super) fn call(
        f: unsafe extern "C" fn(*const u8, u32, *mut u8, *mut u32) -> c_int,
        s: &[u8],
        cap: u32,
    ) -> (c_int, u32, Vec<u8>) {
        let mut buf = vec![0u8; cap as usize];
        let mut len = cap;
        let r = unsafe { f(s.as_ptr(), s.len() as u32, buf.as_mut_ptr(), &mut len) };
        buf.truncate(if r == 0 { len as usize } else { 0 });
        (r, len, buf)
    }

    /// Calls a codec with a buffer of exactly the size it reports needing.
    pub(super) fn full(
        f: unsafe extern "C" fn(*const u8, u32, *mut u8, *mut u32) -> c_int,
        s: &[u8],
    ) -> Vec<u8> {
        let mut len = 0u32;
        let r = unsafe { f(s.as_ptr(), s.len() as u32, std::ptr::null_mut(), &mut len) };
        if r == 0 {
            return Vec::new();
        }
        assert_eq!(r, CODEC_BUFFER_TOO_SMALL);
        let (r, l, out) = call(f, s, len);
        assert_eq!((r, l), (0, len));
        out
    }

    /// Pseudo-random bytes (xorshift), incompressible.
    pub(super) fn noise(n: usize, mut x: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }
}
