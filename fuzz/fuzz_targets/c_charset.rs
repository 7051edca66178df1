//! The C charset conversions (`SYS_CodePageToUnicode`, `SYS_UnicodeToCodePage` and the GBK /
//! UTF-8 / `wchar_t` shortcuts) on arbitrary NUL-terminated strings and destination sizes: no
//! write past the destination (a guard region follows it), a FALSE "too small" that reports a
//! length with which a second call succeeds, a NUL-terminated output of the reported length,
//! and round trips (UTF-8 → `wchar_t` → UTF-8 and UTF-8 → GBK → UTF-8 are the identity).
#![no_main]

use std::ffi::{c_char, c_int};

use hpsocket4c::codec::*;
use libfuzzer_sys::fuzz_target;

const GUARD: usize = 16;
const EINVAL: u32 = 22;

/// One conversion into `cap` units followed by a guard region; `Some(output)` (NUL included)
/// on success, after retrying with the reported size when `cap` was too small.
fn conv<S, D: Copy + PartialEq + Default + std::fmt::Debug>(
    f: &dyn Fn(*const S, *mut D, *mut c_int) -> c_int,
    s: &[S],
    cap: usize,
    guard: D,
) -> Option<Vec<D>> {
    let mut buf = vec![guard; cap + GUARD];
    let mut len = cap as c_int;
    let r = f(s.as_ptr(), buf.as_mut_ptr(), &mut len);
    assert!(
        buf[cap..].iter().all(|&u| u == guard),
        "wrote past the destination"
    );
    if r != 0 {
        assert!(len >= 1 && len as usize <= cap);
        assert_eq!(buf[len as usize - 1], D::default(), "not NUL-terminated");
        buf.truncate(len as usize);
        return Some(buf);
    }
    if len == 0 || hpsocket4c::sys::SYS_GetLastError() == EINVAL {
        return None; // malformed or unmappable; an unknown code page
    }
    assert!(len as usize > cap, "FALSE with a length that fits");
    let need = len as usize;
    let full = conv(f, s, need, guard).expect("the length reported is not enough");
    assert_eq!(full.len(), need);
    Some(full)
}

fuzz_target!(|input: &[u8]| {
    let Some((&sel, rest)) = input.split_first() else {
        return;
    };
    let Some((&cap, data)) = rest.split_first() else {
        return;
    };
    let cap = cap as usize % 64;
    let mut mb: Vec<c_char> = data
        .iter()
        .filter(|&&b| b != 0)
        .map(|&b| b as c_char)
        .collect();
    mb.push(0);
    let cp = [0, 65001, 936, 54936, 950, 932, 949, 1252, 1251, 437][sel as usize % 10];

    // Multibyte sources.
    let w = conv(
        &|s, d, l| unsafe { SYS_CodePageToUnicode(cp, s, d, l) },
        &mb,
        cap,
        0x5a5a,
    );
    if let Some(w) = &w {
        // Back to the same code page: the same bytes, for code pages that round-trip.
        let back = conv(
            &|s, d, l| unsafe { SYS_UnicodeToCodePage(cp, s, d, l) },
            w,
            cap,
            0x5a,
        );
        if matches!(cp, 0 | 65001) {
            assert_eq!(back.as_deref(), Some(&mb[..]));
        }
    }
    let u = conv(
        &|s, d, l| unsafe { SYS_Utf8ToUnicode(s, d, l) },
        &mb,
        cap,
        0x5a5a,
    );
    if let Some(u) = &u {
        let back = conv(
            &|s, d, l| unsafe { SYS_UnicodeToUtf8(s, d, l) },
            u,
            cap,
            0x5a,
        );
        assert_eq!(back.as_deref(), Some(&mb[..]), "UTF-8 → wchar_t → UTF-8");
        conv(
            &|s, d, l| unsafe { SYS_UnicodeToGbk(s, d, l) },
            u,
            cap,
            0x5a,
        );
    }
    // Text GBK can hold comes back unchanged (GBK → UTF-8 need not: GB18030's four-byte
    // sequences decode but are not what the GBK encoder writes).
    if let Some(g) = conv(&|s, d, l| unsafe { SYS_Utf8ToGbk(s, d, l) }, &mb, cap, 0x5a) {
        let back = conv(&|s, d, l| unsafe { SYS_GbkToUtf8(s, d, l) }, &g, cap, 0x5a);
        assert_eq!(back.as_deref(), Some(&mb[..]), "UTF-8 → GBK → UTF-8");
    }
    conv(
        &|s, d, l| unsafe { SYS_GbkToUnicode(s, d, l) },
        &mb,
        cap,
        0x5a5a,
    );
    conv(&|s, d, l| unsafe { SYS_GbkToUtf8(s, d, l) }, &mb, cap, 0x5a);

    // Arbitrary wide strings (surrogates and out-of-range values included).
    let mut wide: Vec<WCHAR> = data
        .chunks(3)
        .map(|c| c.iter().fold(0i32, |v, &b| v << 8 | b as i32))
        .filter(|&v| v != 0)
        .collect();
    wide.push(0);
    conv(
        &|s, d, l| unsafe { SYS_UnicodeToUtf8(s, d, l) },
        &wide,
        cap,
        0x5a,
    );
    conv(
        &|s, d, l| unsafe { SYS_UnicodeToGbk(s, d, l) },
        &wide,
        cap,
        0x5a,
    );
});
