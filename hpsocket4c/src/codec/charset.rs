//! Charset conversions (GBK and other code pages through `encoding_rs`, UTF-8, `WCHAR`
//! strings): `SYS_CodePageToUnicode`, `SYS_UnicodeToCodePage` and the GBK / UTF-8 shortcuts.
//!
//! Layer 3 (families), under [`crate::codec`]: imports only [`crate::marshal`] and the
//! codec plumbing.

use std::ffi::{c_char, c_int};

use encoding_rs::Encoding;

use crate::marshal::{ffi, set_errno, BOOL, FALSE, TRUE};

/// `wchar_t` on Linux.
pub type WCHAR = i32;

/// A known code page: `None` for UTF-8 (handled natively).
fn code_page(cp: c_int) -> Result<Option<&'static Encoding>, ()> {
    use encoding_rs::*;
    Ok(Some(match cp {
        0 | 65001 => return Ok(None),
        936 => GBK,
        54936 => GB18030,
        950 => BIG5,
        932 => SHIFT_JIS,
        949 => EUC_KR,
        1250 => WINDOWS_1250,
        1251 => WINDOWS_1251,
        1252 => WINDOWS_1252,
        1253 => WINDOWS_1253,
        1254 => WINDOWS_1254,
        1255 => WINDOWS_1255,
        1256 => WINDOWS_1256,
        1257 => WINDOWS_1257,
        1258 => WINDOWS_1258,
        _ => return Err(()),
    }))
}

/// Decodes bytes in `enc` (`None`: UTF-8); `None` if malformed.
pub fn decode(enc: Option<&'static Encoding>, s: &[u8]) -> Option<String> {
    match enc {
        None => std::str::from_utf8(s).ok().map(str::to_owned),
        Some(e) => e
            .decode_without_bom_handling_and_without_replacement(s)
            .map(|c| c.into_owned()),
    }
}

/// Encodes text in `enc` (`None`: UTF-8); `None` if a character has no mapping.
pub fn encode(enc: Option<&'static Encoding>, s: &str) -> Option<Vec<u8>> {
    let Some(e) = enc else {
        return Some(s.as_bytes().to_vec());
    };
    let mut enc = e.new_encoder();
    let cap = enc.max_buffer_length_from_utf8_without_replacement(s.len())?;
    let mut out = Vec::with_capacity(cap);
    let (r, _) = enc.encode_from_utf8_to_vec_without_replacement(s, &mut out, true);
    match r {
        encoding_rs::EncoderResult::InputEmpty => Some(out),
        _ => None,
    }
}

/// The bytes of a NUL-terminated C string.
unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
    std::ffi::CStr::from_ptr(p).to_bytes()
}

/// The text of a NUL-terminated `wchar_t` string (`None` if an element is not a Unicode
/// scalar value).
unsafe fn wide_str(mut p: *const WCHAR) -> Option<String> {
    let mut s = String::new();
    while *p != 0 {
        s.push(char::from_u32(*p as u32)?);
        p = p.add(1);
    }
    Some(s)
}

/// Writes `out` plus a NUL into a buffer of `*len` elements (see the module conventions).
unsafe fn put_units<T: Copy + Default>(out: &[T], dest: *mut T, len: *mut c_int) -> BOOL {
    let need = out.len() + 1;
    let Ok(need_c) = c_int::try_from(need) else {
        *len = 0;
        set_errno(libc::E2BIG);
        return FALSE;
    };
    if dest.is_null() || *len < need_c {
        *len = need_c;
        set_errno(libc::ENOBUFS);
        return FALSE;
    }
    std::ptr::copy_nonoverlapping(out.as_ptr(), dest, out.len());
    *dest.add(out.len()) = T::default();
    *len = need_c;
    TRUE
}

/// Shared body of the charset conversions: `read` yields the text (or an errno), `write`
/// the destination units.
unsafe fn convert<T: Copy + Default>(
    len: *mut c_int,
    dest: *mut T,
    read: impl FnOnce() -> Result<String, c_int>,
    write: impl FnOnce(&str) -> Option<Vec<T>>,
) -> BOOL {
    ffi!(FALSE, {
        if len.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        let out = match read() {
            Ok(text) => write(&text).ok_or(libc::EILSEQ),
            Err(e) => Err(e),
        };
        match out {
            Ok(units) => put_units(&units, dest, len),
            Err(e) => {
                if e == libc::EILSEQ {
                    *len = 0;
                }
                set_errno(e);
                FALSE
            }
        }
    })
}

/// Reads a NUL-terminated multibyte string in code page `cp`.
unsafe fn read_mb(cp: c_int, p: *const c_char) -> Result<String, c_int> {
    let enc = code_page(cp).map_err(|()| libc::EINVAL)?;
    if p.is_null() {
        return Err(libc::EINVAL);
    }
    decode(enc, c_bytes(p)).ok_or(libc::EILSEQ)
}

/// Reads a NUL-terminated `wchar_t` string.
unsafe fn read_wide(p: *const WCHAR) -> Result<String, c_int> {
    if p.is_null() {
        return Err(libc::EINVAL);
    }
    wide_str(p).ok_or(libc::EILSEQ)
}

fn to_wide(s: &str) -> Option<Vec<WCHAR>> {
    Some(s.chars().map(|c| c as WCHAR).collect())
}

/// Multibyte (code page `cp`) to `wchar_t`.
#[no_mangle]
pub unsafe extern "C" fn SYS_CodePageToUnicode(
    cp: c_int,
    s: *const c_char,
    dest: *mut WCHAR,
    len: *mut c_int,
) -> BOOL {
    convert(len, dest, || read_mb(cp, s), to_wide)
}

/// `wchar_t` to multibyte (code page `cp`).
#[no_mangle]
pub unsafe extern "C" fn SYS_UnicodeToCodePage(
    cp: c_int,
    s: *const WCHAR,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    ffi!(FALSE, {
        match code_page(cp) {
            Ok(enc) => convert(len, dest as *mut u8, || read_wide(s), |t| encode(enc, t)),
            Err(()) => {
                set_errno(libc::EINVAL);
                FALSE
            }
        }
    })
}

/// GBK to `wchar_t`.
#[no_mangle]
pub unsafe extern "C" fn SYS_GbkToUnicode(
    s: *const c_char,
    dest: *mut WCHAR,
    len: *mut c_int,
) -> BOOL {
    SYS_CodePageToUnicode(936, s, dest, len)
}

/// `wchar_t` to GBK.
#[no_mangle]
pub unsafe extern "C" fn SYS_UnicodeToGbk(
    s: *const WCHAR,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    SYS_UnicodeToCodePage(936, s, dest, len)
}

/// UTF-8 to `wchar_t`.
#[no_mangle]
pub unsafe extern "C" fn SYS_Utf8ToUnicode(
    s: *const c_char,
    dest: *mut WCHAR,
    len: *mut c_int,
) -> BOOL {
    SYS_CodePageToUnicode(65001, s, dest, len)
}

/// `wchar_t` to UTF-8.
#[no_mangle]
pub unsafe extern "C" fn SYS_UnicodeToUtf8(
    s: *const WCHAR,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    SYS_UnicodeToCodePage(65001, s, dest, len)
}

/// GBK to UTF-8.
#[no_mangle]
pub unsafe extern "C" fn SYS_GbkToUtf8(
    s: *const c_char,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    convert(
        len,
        dest as *mut u8,
        || read_mb(936, s),
        |t| encode(None, t),
    )
}

/// UTF-8 to GBK.
#[no_mangle]
pub unsafe extern "C" fn SYS_Utf8ToGbk(
    s: *const c_char,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    convert(
        len,
        dest as *mut u8,
        || read_mb(65001, s),
        |t| encode(Some(encoding_rs::GBK), t),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marshal::errno;

    /// Converts a C string with a multibyte → multibyte / wide function and buffer size `cap`.
    fn mb<T: Copy + Default>(
        f: unsafe extern "C" fn(*const c_char, *mut T, *mut c_int) -> BOOL,
        s: &[u8],
        cap: c_int,
    ) -> (BOOL, c_int, Vec<T>) {
        let c = std::ffi::CString::new(s).unwrap();
        let mut buf = vec![T::default(); cap.max(0) as usize];
        let mut len = cap;
        let p = if cap < 0 {
            std::ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        let r = unsafe { f(c.as_ptr(), p, &mut len) };
        if r != 0 {
            buf.truncate(len as usize);
        }
        (r, len, buf)
    }

    fn wide(s: &str) -> Vec<WCHAR> {
        s.chars().map(|c| c as WCHAR).chain([0]).collect()
    }

    fn from_wide(
        f: unsafe extern "C" fn(*const WCHAR, *mut c_char, *mut c_int) -> BOOL,
        s: &[WCHAR],
        cap: c_int,
    ) -> (BOOL, c_int, Vec<u8>) {
        let mut buf = vec![0u8; cap as usize];
        let mut len = cap;
        let r = unsafe { f(s.as_ptr(), buf.as_mut_ptr() as *mut c_char, &mut len) };
        if r != 0 {
            buf.truncate(len as usize);
        }
        (r, len, buf)
    }

    #[test]
    fn charsets_round_trip() {
        let text = "中文abc";
        let gbk = b"\xd6\xd0\xce\xc4abc";
        let utf8 = text.as_bytes();
        let w = wide(text);
        // To wide: length in WCHARs including the NUL.
        assert_eq!(mb(SYS_GbkToUnicode, gbk, 10), (TRUE, 6, w.clone()));
        assert_eq!(mb(SYS_Utf8ToUnicode, utf8, 6), (TRUE, 6, w.clone()));
        // From wide.
        let z = |b: &[u8]| [b, b"\0"].concat();
        assert_eq!(from_wide(SYS_UnicodeToGbk, &w, 20), (TRUE, 8, z(gbk)));
        assert_eq!(from_wide(SYS_UnicodeToUtf8, &w, 10), (TRUE, 10, z(utf8)));
        // Multibyte to multibyte.
        let (r, n, out) = mb(SYS_GbkToUtf8, gbk, 20);
        assert_eq!(
            (r, n, out),
            (TRUE, 10, z(utf8).iter().map(|&b| b as c_char).collect())
        );
        let (r, n, out) = mb(SYS_Utf8ToGbk, utf8, 20);
        assert_eq!(
            (r, n, out),
            (TRUE, 8, z(gbk).iter().map(|&b| b as c_char).collect())
        );
        // Code page variants: 0 and 65001 are UTF-8, 936 GBK.
        for cp in [0, 65001] {
            let c = std::ffi::CString::new(utf8).unwrap();
            let mut buf = [0 as WCHAR; 8];
            let mut len = 8;
            assert_eq!(
                unsafe { SYS_CodePageToUnicode(cp, c.as_ptr(), buf.as_mut_ptr(), &mut len) },
                TRUE
            );
            assert_eq!(&buf[..len as usize], &w[..]);
        }
        let mut buf = [0 as c_char; 16];
        let mut len = 16;
        assert_eq!(
            unsafe { SYS_UnicodeToCodePage(936, w.as_ptr(), buf.as_mut_ptr(), &mut len) },
            TRUE
        );
        assert_eq!(len, 8);
        // Empty string: just the NUL.
        assert_eq!(mb(SYS_Utf8ToUnicode, b"", 4), (TRUE, 1, vec![0]));
    }

    #[test]
    fn charsets_small_buffers_and_bad_input() {
        let gbk = b"\xd6\xd0\xce\xc4abc";
        // Too small or NULL: FALSE with the size needed.
        assert_eq!(mb(SYS_GbkToUnicode, gbk, 5).0, FALSE);
        assert_eq!(mb(SYS_GbkToUnicode, gbk, 5).1, 6);
        assert_eq!(errno(), libc::ENOBUFS);
        assert_eq!(mb(SYS_GbkToUnicode, gbk, -1).1, 6);
        assert_eq!(mb(SYS_GbkToUtf8, gbk, 9).1, 10);
        assert_eq!(from_wide(SYS_UnicodeToGbk, &wide("中文abc"), 7).1, 8);
        // Malformed input: FALSE with length 0.
        assert_eq!(mb(SYS_Utf8ToUnicode, b"\xff\xfeab", 10).0, FALSE);
        assert_eq!(mb(SYS_Utf8ToUnicode, b"\xff\xfeab", 10).1, 0);
        assert_eq!(errno(), libc::EILSEQ);
        assert_eq!(mb(SYS_GbkToUnicode, b"\x81", 10).1, 0);
        assert_eq!(mb(SYS_Utf8ToGbk, b"\xffab", 10).0, FALSE);
        // Unmappable in GBK, invalid scalar in the wide source.
        assert_eq!(
            from_wide(SYS_UnicodeToGbk, &wide("\u{1F600}x"), 20),
            (FALSE, 0, vec![0; 20])
        );
        assert_eq!(from_wide(SYS_UnicodeToUtf8, &[0xD800, 0], 20).0, FALSE);
        assert_eq!(from_wide(SYS_UnicodeToUtf8, &[0x110000, 0], 20).0, FALSE);
        // NULL source / NULL length / unknown code page.
        let mut len = 10;
        let mut buf = [0 as WCHAR; 10];
        assert_eq!(
            unsafe { SYS_GbkToUnicode(std::ptr::null(), buf.as_mut_ptr(), &mut len) },
            FALSE
        );
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(
            unsafe { SYS_GbkToUnicode(c"a".as_ptr(), buf.as_mut_ptr(), std::ptr::null_mut()) },
            FALSE
        );
        assert_eq!(
            unsafe { SYS_CodePageToUnicode(12345, c"a".as_ptr(), buf.as_mut_ptr(), &mut len) },
            FALSE
        );
        assert_eq!(errno(), libc::EINVAL);
    }
}
