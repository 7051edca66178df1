//! URL encoding (`application/x-www-form-urlencoded`): `SYS_UrlEncode` / `SYS_UrlDecode`
//! and their bounds.
//!
//! Layer 3 (families), under [`crate::codec`]: imports only [`crate::marshal`] and the
//! codec plumbing.

use std::ffi::c_int;

use crate::codec::{run, src, Out, CODEC_BAD_INPUT};
use crate::marshal::ffi;

fn url_safe(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'*')
}

/// Letters, digits and `-_.*` stay, space becomes `+`, every other byte `%XX` (upper case);
/// written through `out`.
pub fn url_encode(s: &[u8], out: &mut Out) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in s {
        if url_safe(c) {
            out.push(c);
        } else if c == b' ' {
            out.push(b'+');
        } else {
            out.extend(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
    }
}

fn url_encode_bound(s: &[u8]) -> usize {
    s.iter()
        .map(|&c| if url_safe(c) || c == b' ' { 1 } else { 3 })
        .sum()
}

/// `+` becomes space, `%XX` (either case) the byte; a truncated or non-hex escape is bad input
/// (`None`). Written through `out`.
pub fn url_decode(s: &[u8], out: &mut Out) -> Option<()> {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let (h, l) = (s.get(i + 1).copied()?, s.get(i + 2).copied()?);
                out.push((hex(h)? << 4) | hex(l)?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(())
}

fn url_decode_bound(s: &[u8]) -> usize {
    let escapes = s.iter().filter(|&&c| c == b'%').count();
    s.len().saturating_sub(2 * escapes)
}

/// Exact size of the URL encoding of a source.
#[no_mangle]
pub unsafe extern "C" fn SYS_GuessUrlEncodeBound(p: *const u8, len: u32) -> u32 {
    ffi!(0, {
        src(p, len).map_or(0, |s| url_encode_bound(s).min(u32::MAX as usize) as u32)
    })
}

/// Size of the URL decoding of a source (exact for valid input).
#[no_mangle]
pub unsafe extern "C" fn SYS_GuessUrlDecodeBound(p: *const u8, len: u32) -> u32 {
    ffi!(0, { src(p, len).map_or(0, |s| url_decode_bound(s) as u32) })
}

/// URL-encodes `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn SYS_UrlEncode(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s, out| {
        url_encode(s, out);
        Ok(())
    })
}

/// URL-decodes `len` bytes (-3 on a bad escape).
#[no_mangle]
pub unsafe extern "C" fn SYS_UrlDecode(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s, out| {
        url_decode(s, out).ok_or(CODEC_BAD_INPUT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{call, full};
    use crate::codec::CODEC_BUFFER_TOO_SMALL;

    #[test]
    fn url_encoding() {
        let s = b"a b+c/d?e=f&g%h~i-j_k.l*m\xe4\xb8\xad";
        let enc = b"a+b%2Bc%2Fd%3Fe%3Df%26g%25h%7Ei-j_k.l*m%E4%B8%AD";
        assert_eq!(full(SYS_UrlEncode, s), enc);
        assert_eq!(
            unsafe { SYS_GuessUrlEncodeBound(s.as_ptr(), s.len() as u32) },
            enc.len() as u32
        );
        assert_eq!(
            unsafe { SYS_GuessUrlDecodeBound(enc.as_ptr(), enc.len() as u32) },
            s.len() as u32
        );
        assert_eq!(full(SYS_UrlDecode, enc), s);
        assert_eq!(full(SYS_UrlDecode, b"%e4%b8%ad+x"), b"\xe4\xb8\xad x");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(full(SYS_UrlDecode, &full(SYS_UrlEncode, &all)), all);
        for bad in [&b"%"[..], b"%4", b"abc%zz", b"%g0"] {
            assert_eq!(call(SYS_UrlDecode, bad, 64).0, CODEC_BAD_INPUT, "{bad:?}");
        }
        assert_eq!(
            call(SYS_UrlEncode, b"a b/", 4),
            (CODEC_BUFFER_TOO_SMALL, 6, vec![])
        );
        assert_eq!(
            call(SYS_UrlDecode, b"a+b%20c", 4),
            (CODEC_BUFFER_TOO_SMALL, 5, vec![])
        );
        assert_eq!(call(SYS_UrlEncode, b"", 0), (0, 0, vec![]));
    }
}
