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

/// The caller's destination of a conversion, in units (bytes or `WCHAR`s): written while it
/// has room, counted after that, so no conversion holds its output (or its source text)
/// anywhere and memory use does not depend on the string's length.
struct Units<'a, T> {
    buf: &'a mut [T],
    total: usize,
}

impl<T: Copy> Units<'_, T> {
    fn push(&mut self, u: T) {
        if let Some(slot) = self.buf.get_mut(self.total) {
            *slot = u;
        }
        self.total += 1;
    }
}

/// Size of the stack buffers a conversion streams through.
const CHUNK: usize = 512;

/// Decodes bytes in `enc` (`None`: UTF-8) chunk by chunk, handing each character to `f`;
/// `Err(EILSEQ)` if malformed (or `f`'s error).
fn decode_chars(
    enc: Option<&'static Encoding>,
    s: &[u8],
    f: &mut dyn FnMut(char) -> Result<(), c_int>,
) -> Result<(), c_int> {
    let Some(e) = enc else {
        // Borrowed in place: validating needs no copy.
        return std::str::from_utf8(s)
            .map_err(|_| libc::EILSEQ)?
            .chars()
            .try_for_each(f);
    };
    let mut dec = e.new_decoder_without_bom_handling();
    let mut bytes = [0u8; CHUNK];
    let text = std::str::from_utf8_mut(&mut bytes).expect("zeros are UTF-8");
    let mut rest = s;
    loop {
        let (r, read, written) = dec.decode_to_str_without_replacement(rest, text, true);
        text[..written].chars().try_for_each(&mut *f)?;
        rest = &rest[read..];
        match r {
            encoding_rs::DecoderResult::InputEmpty => return Ok(()),
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(..) => return Err(libc::EILSEQ),
        }
    }
}

/// Encodes characters into `enc` (`None`: UTF-8) a chunk at a time, into a [`Units`].
struct CharEncoder<'u, 'a> {
    enc: Option<encoding_rs::Encoder>,
    /// Characters not encoded yet, as UTF-8 (`staged` bytes of it).
    stage: [u8; CHUNK],
    staged: usize,
    out: &'u mut Units<'a, u8>,
}

impl<'u, 'a> CharEncoder<'u, 'a> {
    fn new(enc: Option<&'static Encoding>, out: &'u mut Units<'a, u8>) -> Self {
        CharEncoder {
            enc: enc.map(|e| e.new_encoder()),
            stage: [0; CHUNK],
            staged: 0,
            out,
        }
    }

    fn push(&mut self, c: char) -> Result<(), c_int> {
        if self.enc.is_none() {
            let mut b = [0u8; 4];
            c.encode_utf8(&mut b).bytes().for_each(|u| self.out.push(u));
            return Ok(());
        }
        if self.staged + 4 > CHUNK {
            self.flush(false)?;
        }
        self.staged += c.encode_utf8(&mut self.stage[self.staged..]).len();
        Ok(())
    }

    /// Encodes the staged characters (`last`: the end of the text). `Err(EILSEQ)` for a
    /// character the code page cannot represent.
    fn flush(&mut self, last: bool) -> Result<(), c_int> {
        let Some(enc) = self.enc.as_mut() else {
            return Ok(());
        };
        let text = std::str::from_utf8(&self.stage[..self.staged]).expect("staged whole chars");
        let mut rest = text;
        let mut bytes = [0u8; CHUNK];
        loop {
            let (r, read, written) =
                enc.encode_from_utf8_without_replacement(rest, &mut bytes, last);
            bytes[..written].iter().for_each(|&u| self.out.push(u));
            rest = &rest[read..];
            match r {
                encoding_rs::EncoderResult::InputEmpty => break,
                encoding_rs::EncoderResult::OutputFull => {}
                encoding_rs::EncoderResult::Unmappable(_) => return Err(libc::EILSEQ),
            }
        }
        self.staged = 0;
        Ok(())
    }
}

unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
    std::ffi::CStr::from_ptr(p).to_bytes()
}

/// Hands each character of a NUL-terminated `WCHAR` string to `f`; `Err(EILSEQ)` for a value
/// that is no Unicode scalar.
unsafe fn wide_chars(
    mut p: *const WCHAR,
    f: &mut dyn FnMut(char) -> Result<(), c_int>,
) -> Result<(), c_int> {
    while *p != 0 {
        f(char::from_u32(*p as u32).ok_or(libc::EILSEQ)?)?;
        p = p.add(1);
    }
    Ok(())
}

/// Runs a conversion into the caller's buffer of `*len` units at `dest` (NULL: none) and
/// reports it: TRUE with the length written (NUL included), FALSE with the length needed
/// (`ENOBUFS`), FALSE with 0 for malformed or unmappable input (`EILSEQ`), FALSE with errno
/// `EINVAL` for a bad argument. `fill` writes the converted text through the [`Units`].
unsafe fn convert<T: Copy + Default>(
    len: *mut c_int,
    dest: *mut T,
    fill: impl FnOnce(&mut Units<T>) -> Result<(), c_int>,
) -> BOOL {
    ffi!(FALSE, {
        if len.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        let buf: &mut [T] = if dest.is_null() || *len <= 0 {
            &mut []
        } else {
            // SAFETY: the caller provides `*len` writable units at `dest`.
            std::slice::from_raw_parts_mut(dest, *len as usize)
        };
        let mut out = Units { buf, total: 0 };
        match fill(&mut out) {
            Ok(()) => {
                out.push(T::default()); // the terminating NUL
                let Ok(need) = c_int::try_from(out.total) else {
                    *len = 0;
                    set_errno(libc::E2BIG);
                    return FALSE;
                };
                *len = need;
                if out.total > out.buf.len() {
                    set_errno(libc::ENOBUFS);
                    return FALSE;
                }
                TRUE
            }
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

/// A multibyte source in code page `cp`, checked.
unsafe fn mb_source<'a>(
    cp: c_int,
    p: *const c_char,
) -> Result<(Option<&'static Encoding>, &'a [u8]), c_int> {
    let enc = code_page(cp).map_err(|()| libc::EINVAL)?;
    if p.is_null() {
        return Err(libc::EINVAL);
    }
    Ok((enc, c_bytes(p)))
}

/// Multibyte (code page `from`) to multibyte (code page `to`).
unsafe fn mb_to_mb(
    from: c_int,
    to: c_int,
    s: *const c_char,
    dest: *mut u8,
    len: *mut c_int,
) -> BOOL {
    convert(len, dest, |out| {
        let (src_enc, bytes) = mb_source(from, s)?;
        let dst_enc = code_page(to).map_err(|()| libc::EINVAL)?;
        let mut e = CharEncoder::new(dst_enc, out);
        decode_chars(src_enc, bytes, &mut |c| e.push(c))?;
        e.flush(true)
    })
}

/// Multibyte (code page `cp`) to `wchar_t`.
#[no_mangle]
pub unsafe extern "C" fn SYS_CodePageToUnicode(
    cp: c_int,
    s: *const c_char,
    dest: *mut WCHAR,
    len: *mut c_int,
) -> BOOL {
    convert(len, dest, |out| {
        let (enc, bytes) = mb_source(cp, s)?;
        decode_chars(enc, bytes, &mut |c| {
            out.push(c as WCHAR);
            Ok(())
        })
    })
}

/// `wchar_t` to multibyte (code page `cp`).
#[no_mangle]
pub unsafe extern "C" fn SYS_UnicodeToCodePage(
    cp: c_int,
    s: *const WCHAR,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    convert(len, dest as *mut u8, |out| {
        let enc = code_page(cp).map_err(|()| libc::EINVAL)?;
        if s.is_null() {
            return Err(libc::EINVAL);
        }
        let mut e = CharEncoder::new(enc, out);
        wide_chars(s, &mut |c| e.push(c))?;
        e.flush(true)
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
    mb_to_mb(936, 65001, s, dest as *mut u8, len)
}

/// UTF-8 to GBK.
#[no_mangle]
pub unsafe extern "C" fn SYS_Utf8ToGbk(
    s: *const c_char,
    dest: *mut c_char,
    len: *mut c_int,
) -> BOOL {
    mb_to_mb(65001, 936, s, dest as *mut u8, len)
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
