//! The C Base64 and URL codecs (`SYS_Base64Encode` / `Decode`, `SYS_UrlEncode` / `Decode` and
//! their `SYS_Guess*Bound`s) on arbitrary input and destination sizes: the byte-codec contract
//! (see `common`), round trips, the bounds agreeing with the sizes produced, and the encoders'
//! output differentially against a plain reference implementation.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use hpsocket4c::codec::*;
use libfuzzer_sys::fuzz_target;

/// Reference Base64 (RFC 4648 with padding), written independently of the library's.
fn b64(s: &[u8]) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    for c in s.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let idx = [
            b[0] >> 2,
            (b[0] & 3) << 4 | b[1] >> 4,
            (b[1] & 15) << 2 | b[2] >> 6,
            b[2] & 63,
        ];
        for (i, &x) in idx.iter().enumerate() {
            out.push(if i <= c.len() { A[x as usize] } else { b'=' });
        }
    }
    out
}

/// Reference URL encoding: unreserved `A-Za-z0-9-_.*` kept, space as `+`, `%XX` otherwise.
fn url(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &c in s {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(c),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(format!("%{c:02X}").as_bytes()),
        }
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&cap, data)) = input.split_first() else {
        return;
    };
    let cap = cap as usize;
    let n = data.len() as u32;

    // Decoders on arbitrary text.
    if let Some(d) = common::check(SYS_Base64Decode, data, cap) {
        assert_eq!(d.len() as u32, unsafe {
            SYS_GuessBase64DecodeBound(data.as_ptr(), n)
        });
        // Whatever decodes re-encodes to text that decodes to the same bytes.
        let e = common::check(SYS_Base64Encode, &d, cap).unwrap();
        assert_eq!(common::check(SYS_Base64Decode, &e, cap).unwrap(), d);
    }
    if let Some(d) = common::check(SYS_UrlDecode, data, cap) {
        assert_eq!(d.len() as u32, unsafe {
            SYS_GuessUrlDecodeBound(data.as_ptr(), n)
        });
    }

    // Encoders: the reference's bytes, the bound's size, and back.
    let e = common::check(SYS_Base64Encode, data, cap).expect("base64 encode refused");
    assert_eq!(e, b64(data));
    assert_eq!(e.len() as u32, SYS_GuessBase64EncodeBound(n));
    assert_eq!(
        common::check(SYS_Base64Decode, &e, cap).as_deref(),
        Some(data)
    );
    let u = common::check(SYS_UrlEncode, data, cap).expect("url encode refused");
    assert_eq!(u, url(data));
    assert_eq!(u.len() as u32, unsafe {
        SYS_GuessUrlEncodeBound(data.as_ptr(), n)
    });
    assert_eq!(common::check(SYS_UrlDecode, &u, cap).as_deref(), Some(data));
});
