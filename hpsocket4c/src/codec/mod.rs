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
//! Layer 3 (families): one codec per file (`base64`, `url`, `zlib` with gzip, `charset`);
//! this module holds the conventions' constants and the plumbing the byte codecs share. It
//! imports only [`crate::marshal`].

use std::ffi::c_int;

use crate::marshal::{ffi, set_errno};

mod base64;
mod charset;
mod url;
mod zlib;

pub use self::base64::*;
pub use self::charset::*;
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

/// Copies `out` into the caller's buffer (`*dest_len` bytes), or reports the size needed.
unsafe fn put(out: &[u8], dest: *mut u8, dest_len: *mut u32) -> c_int {
    if dest_len.is_null() {
        set_errno(libc::EINVAL);
        return CODEC_BAD_INPUT;
    }
    let Ok(need) = u32::try_from(out.len()) else {
        set_errno(libc::E2BIG);
        return CODEC_BAD_INPUT;
    };
    if (*dest_len as usize) < out.len() || (dest.is_null() && !out.is_empty()) {
        *dest_len = need;
        set_errno(libc::ENOBUFS);
        return CODEC_BUFFER_TOO_SMALL;
    }
    if !out.is_empty() {
        std::ptr::copy_nonoverlapping(out.as_ptr(), dest, out.len());
    }
    *dest_len = need;
    CODEC_OK
}

/// Runs a byte codec: reads the source, encodes with `f`, writes the result.
unsafe fn run(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
    f: impl FnOnce(&[u8]) -> Result<Vec<u8>, c_int>,
) -> c_int {
    ffi!(CODEC_BAD_INPUT, {
        let Some(s) = src(p, len) else {
            set_errno(libc::EINVAL);
            return CODEC_BAD_INPUT;
        };
        match f(s) {
            Ok(out) => put(&out, dest, dest_len),
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
