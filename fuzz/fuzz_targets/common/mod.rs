//! Shared by the C ABI fuzz targets (not a target itself: `.ci/run` runs `fuzz_targets/*.rs`).
//! Calls a `SYS_*` byte codec the way C does and checks the contract every one of them has,
//! whatever the input: no write past the destination (a guard region follows it), a result of
//! 0, -3 or -5 only, and a -5 that reports a size with which a second call succeeds and
//! produces the bytes the first call already wrote.
#![allow(dead_code)] // each target uses a part

use std::ffi::c_int;

/// A byte codec's C signature.
pub type Codec = unsafe extern "C" fn(*const u8, u32, *mut u8, *mut u32) -> c_int;

const GUARD: usize = 32;
const ENOBUFS: u32 = 105;

/// One call with a destination of `cap` bytes followed by a guard region: (result,
/// `*pdwDestLen`, the destination's bytes, errno).
pub fn call(f: Codec, s: &[u8], cap: usize) -> (c_int, u32, Vec<u8>, u32) {
    let mut buf = vec![0xA5u8; cap + GUARD];
    let mut len = cap as u32;
    let r = unsafe { f(s.as_ptr(), s.len() as u32, buf.as_mut_ptr(), &mut len) };
    let e = hpsocket4c::sys::SYS_GetLastError();
    assert!(
        buf[cap..].iter().all(|&b| b == 0xA5),
        "wrote past the destination"
    );
    buf.truncate(cap);
    (r, len, buf, e)
}

/// Runs `f` on `s` with a destination of `cap` bytes and checks the contract; the output when
/// the codec accepted the input (`None` for -3).
pub fn check(f: Codec, s: &[u8], cap: usize) -> Option<Vec<u8>> {
    let (r, len, buf, e) = call(f, s, cap);
    match r {
        0 => {
            assert!(len as usize <= cap);
            Some(buf[..len as usize].to_vec())
        }
        // Bad input, or a bad `Ex` parameter.
        -3 | -2 => None,
        -5 => {
            assert!(len as usize > cap, "-5 with {len} <= {cap}");
            if e != ENOBUFS {
                // A lower bound only (the decompression counting limit): nothing to retry here.
                return None;
            }
            let (r2, len2, full, _) = call(f, s, len as usize);
            assert_eq!((r2, len2), (0, len), "the size reported is not enough");
            // Written straight into the caller's buffer: the first call's bytes are a prefix.
            assert_eq!(
                &buf[..],
                &full[..cap],
                "partial output differs from the full one"
            );
            Some(full)
        }
        other => panic!("unexpected result {other}"),
    }
}
