//! Base64 (RFC 4648, with padding): `SYS_Base64Encode` / `SYS_Base64Decode` and their
//! bounds.
//!
//! Layer 3 (families), under [`crate::codec`]: imports only [`crate::marshal`] and the
//! codec plumbing.

use std::ffi::c_int;

use crate::codec::{run, src, Out, CODEC_BAD_INPUT};
use crate::marshal::ffi;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a') as u32 + 26),
        b'0'..=b'9' => Some((c - b'0') as u32 + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Standard Base64 with `=` padding, written through `out` (no intermediate buffer).
pub fn base64_encode(s: &[u8], out: &mut Out) {
    for chunk in s.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | ((b as u32) << (16 - 8 * i)));
        let mut q = [b'='; 4];
        for (i, c) in q.iter_mut().enumerate().take(chunk.len() + 1) {
            *c = B64[((n >> (18 - 6 * i)) & 63) as usize];
        }
        out.extend(&q);
    }
}

/// Decodes standard Base64 through `out`; `None` on malformed input. Padding is optional, but
/// when present it ends the input and makes its length a multiple of 4; any other character
/// (whitespace included) is bad input.
pub fn base64_decode(s: &[u8], out: &mut Out) -> Option<()> {
    let pad = s.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    if pad > 0 && (s.len() & 3) != 0 {
        return None;
    }
    let body = &s[..s.len() - pad];
    if body.len() % 4 == 1 {
        return None;
    }
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= b64_value(c)? << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1; // 4 chars → 3 bytes, 3 → 2, 2 → 1
        let q = n.to_be_bytes();
        out.extend(&q[1..1 + bytes]);
    }
    Some(())
}

fn base64_decode_bound(s: &[u8]) -> usize {
    let pad = s.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    (s.len() - pad) * 3 / 4
}

/// Size of the Base64 text for `len` bytes.
#[no_mangle]
pub extern "C" fn SYS_GuessBase64EncodeBound(len: u32) -> u32 {
    (len as u64)
        .div_ceil(3)
        .saturating_mul(4)
        .min(u32::MAX as u64) as u32
}

/// Size of the bytes decoded from a Base64 text (exact for valid input; 0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn SYS_GuessBase64DecodeBound(p: *const u8, len: u32) -> u32 {
    ffi!(0, {
        src(p, len).map_or(0, |s| base64_decode_bound(s) as u32)
    })
}

/// Base64-encodes `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn SYS_Base64Encode(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s, out| {
        base64_encode(s, out);
        Ok(())
    })
}

/// Decodes a Base64 text (-3 if malformed).
#[no_mangle]
pub unsafe extern "C" fn SYS_Base64Decode(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s, out| {
        base64_decode(s, out).ok_or(CODEC_BAD_INPUT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{call, full, noise};
    use crate::codec::CODEC_BUFFER_TOO_SMALL;

    #[test]
    fn base64_known_values_and_round_trip() {
        for (plain, text) in [
            (&b""[..], &b""[..]),
            (b"A", b"QQ=="),
            (b"AB", b"QUI="),
            (b"ABC", b"QUJD"),
            (b"ABCD", b"QUJDRA=="),
            (b"\xff\xfe\xfd", b"//79"),
        ] {
            assert_eq!(full(SYS_Base64Encode, plain), text);
            assert_eq!(full(SYS_Base64Decode, text), plain);
            assert_eq!(
                SYS_GuessBase64EncodeBound(plain.len() as u32),
                text.len() as u32
            );
            let bound = unsafe { SYS_GuessBase64DecodeBound(text.as_ptr(), text.len() as u32) };
            assert_eq!(bound, plain.len() as u32);
        }
        let data = noise(1000, 7);
        let enc = full(SYS_Base64Encode, &data);
        assert_eq!(full(SYS_Base64Decode, &enc), data);
        // Unpadded input decodes too.
        assert_eq!(full(SYS_Base64Decode, b"QUJDRA"), b"ABCD");
    }

    #[test]
    fn base64_bad_input_and_small_buffer() {
        for bad in [
            &b"Q"[..],
            b"Q!==",
            b"QUJD\nRA==",
            b"QQ=",
            b"Q=QQ",
            b"QUJDR===",
        ] {
            assert_eq!(
                call(SYS_Base64Decode, bad, 64).0,
                CODEC_BAD_INPUT,
                "{bad:?}"
            );
        }
        assert_eq!(
            call(SYS_Base64Encode, b"ABCD", 3),
            (CODEC_BUFFER_TOO_SMALL, 8, vec![])
        );
        assert_eq!(
            call(SYS_Base64Decode, b"QUJD", 2),
            (CODEC_BUFFER_TOO_SMALL, 3, vec![])
        );
        // NULL source with a length, NULL length pointer.
        let mut len = 10u32;
        let mut buf = [0u8; 10];
        let r = unsafe { SYS_Base64Encode(std::ptr::null(), 3, buf.as_mut_ptr(), &mut len) };
        assert_eq!(r, CODEC_BAD_INPUT);
        let r =
            unsafe { SYS_Base64Encode(b"A".as_ptr(), 1, buf.as_mut_ptr(), std::ptr::null_mut()) };
        assert_eq!(r, CODEC_BAD_INPUT);
    }
}
