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

use std::ffi::{c_char, c_int};

use encoding_rs::Encoding;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::{ffi, set_errno, BOOL, FALSE, TRUE};

/// `wchar_t` on Linux.
pub type WCHAR = i32;

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

// ---- Base64 ----

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

/// Standard Base64 with `=` padding.
pub fn base64_encode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len().div_ceil(3) * 4);
    for chunk in s.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | ((b as u32) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

/// Decodes standard Base64. Padding is optional, but when present it ends the input and makes
/// its length a multiple of 4; any other character (whitespace included) is bad input.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let pad = s.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    if pad > 0 && (s.len() & 3) != 0 {
        return None;
    }
    let body = &s[..s.len() - pad];
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= b64_value(c)? << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1; // 4 chars → 3 bytes, 3 → 2, 2 → 1
        for i in 0..bytes {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
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
    run(p, len, dest, dest_len, |s| Ok(base64_encode(s)))
}

/// Decodes a Base64 text (-3 if malformed).
#[no_mangle]
pub unsafe extern "C" fn SYS_Base64Decode(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        base64_decode(s).ok_or(CODEC_BAD_INPUT)
    })
}

// ---- URL encoding (application/x-www-form-urlencoded) ----

fn url_safe(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'*')
}

/// Letters, digits and `-_.*` stay, space becomes `+`, every other byte `%XX` (upper case).
pub fn url_encode(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(url_encode_bound(s));
    for &c in s {
        if url_safe(c) {
            out.push(c);
        } else if c == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
    }
    out
}

fn url_encode_bound(s: &[u8]) -> usize {
    s.iter()
        .map(|&c| if url_safe(c) || c == b' ' { 1 } else { 3 })
        .sum()
}

/// `+` becomes space, `%XX` (either case) the byte; a truncated or non-hex escape is bad input.
pub fn url_decode(s: &[u8]) -> Option<Vec<u8>> {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(s.len());
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
    Some(out)
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
    run(p, len, dest, dest_len, |s| Ok(url_encode(s)))
}

/// URL-decodes `len` bytes (-3 on a bad escape).
#[no_mangle]
pub unsafe extern "C" fn SYS_UrlDecode(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        url_decode(s).ok_or(CODEC_BAD_INPUT)
    })
}

// ---- zlib / gzip ----

/// Stream format of a deflate stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// zlib header and Adler-32 trailer.
    Zlib,
    /// Bare deflate.
    Raw,
    /// gzip header and CRC-32 trailer.
    Gzip,
    /// Decoding only: gzip if the data starts with the gzip magic, zlib otherwise.
    Auto,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decompressed data larger than this cannot be described by a `DWORD` length: bad input.
const MAX_OUTPUT: usize = u32::MAX as usize;

/// Compresses `s` completely.
pub fn deflate(s: &[u8], level: Compression, wrap: Wrap, window_bits: u8) -> Vec<u8> {
    let mut c = match wrap {
        Wrap::Gzip => Compress::new_gzip(level, window_bits),
        w => Compress::new_with_window_bits(level, w == Wrap::Zlib, window_bits),
    };
    let mut out = Vec::with_capacity(compress_bound(s.len()) + 18);
    loop {
        let done = c.total_in() as usize;
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(64));
        }
        match c.compress_vec(&s[done..], &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return out,
            Ok(_) => {}
            // Compressing into a growing Vec cannot fail on the data; make it visible anyway.
            Err(e) => panic!("deflate: {e}"),
        }
    }
}

/// Decompresses one complete stream (`None`: malformed or truncated). Bytes after the end of
/// the stream are ignored, as zlib's `uncompress` does.
pub fn inflate(s: &[u8], wrap: Wrap, window_bits: u8) -> Option<Vec<u8>> {
    let wrap = match wrap {
        Wrap::Auto if s.starts_with(&GZIP_MAGIC) => Wrap::Gzip,
        Wrap::Auto => Wrap::Zlib,
        w => w,
    };
    let mut d = match wrap {
        Wrap::Gzip => Decompress::new_gzip(window_bits),
        w => Decompress::new_with_window_bits(w == Wrap::Zlib, window_bits),
    };
    let mut out = Vec::with_capacity(s.len().saturating_mul(3).clamp(64, 1 << 20));
    loop {
        let done = d.total_in() as usize;
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        if out.len() > MAX_OUTPUT {
            return None;
        }
        let before = (d.total_in(), d.total_out());
        match d.decompress_vec(&s[done..], &mut out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) => return Some(out),
            Ok(_) => {
                // No progress with room left in the output: the input ended early.
                if (d.total_in(), d.total_out()) == before && out.len() < out.capacity() {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
}

fn compress_bound(n: usize) -> usize {
    n + (n >> 12) + (n >> 14) + (n >> 25) + 13
}

/// Compression level argument: -1 is the default (6), else 0..=9.
fn level(l: c_int) -> Option<Compression> {
    match l {
        -1 => Some(Compression::default()),
        0..=9 => Some(Compression::new(l as u32)),
        _ => None,
    }
}

/// zlib's `windowBits` for compression: 8..=15 zlib (8 acts as 9), -15..=-9 raw, 25..=31 gzip.
fn deflate_window(bits: c_int) -> Option<(Wrap, u8)> {
    match bits {
        8..=15 => Some((Wrap::Zlib, bits.max(9) as u8)),
        -15..=-9 => Some((Wrap::Raw, (-bits) as u8)),
        25..=31 => Some((Wrap::Gzip, (bits - 16) as u8)),
        _ => None,
    }
}

/// zlib's `windowBits` for decompression: 0 (from the header) or 8..=15 zlib, -15..=-8 raw,
/// 24..=31 gzip, 40..=47 automatic zlib / gzip detection.
fn inflate_window(bits: c_int) -> Option<(Wrap, u8)> {
    let w = |b: c_int| (b.max(9)) as u8;
    match bits {
        0 => Some((Wrap::Zlib, 15)),
        8..=15 => Some((Wrap::Zlib, w(bits))),
        -15..=-8 => Some((Wrap::Raw, w(-bits))),
        24..=31 => Some((Wrap::Gzip, w(bits - 16))),
        40..=47 => Some((Wrap::Auto, w(bits - 32))),
        _ => None,
    }
}

/// Upper bound of the compressed size of `len` bytes (zlib format, or gzip with `gzip`).
#[no_mangle]
pub extern "C" fn SYS_GuessCompressBound(len: u32, gzip: BOOL) -> u32 {
    let n = compress_bound(len as usize) + if gzip != 0 { 12 } else { 0 };
    n.min(u32::MAX as usize) as u32
}

/// zlib-compresses `len` bytes at the default level.
#[no_mangle]
pub unsafe extern "C" fn SYS_Compress(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        Ok(deflate(s, Compression::default(), Wrap::Zlib, 15))
    })
}

/// Compresses with zlib's `deflateInit2` parameters: `level` -1..=9, `method` 8 (deflate),
/// `window_bits` (8..=15 zlib, -15..=-9 raw, 25..=31 gzip), `mem_level` 1..=9, `strategy`
/// 0..=4. Out-of-range parameters give -2. The memory level and the strategy are checked but
/// only tune zlib's speed / ratio trade-off; the compressor uses its own.
#[no_mangle]
pub unsafe extern "C" fn SYS_CompressEx(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
    lvl: c_int,
    method: c_int,
    window_bits: c_int,
    mem_level: c_int,
    strategy: c_int,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        let (Some(l), 8, Some((wrap, bits)), 1..=9, 0..=4) = (
            level(lvl),
            method,
            deflate_window(window_bits),
            mem_level,
            strategy,
        ) else {
            return Err(CODEC_BAD_PARAM);
        };
        Ok(deflate(s, l, wrap, bits))
    })
}

/// Decompresses zlib data (-3 if malformed or truncated).
#[no_mangle]
pub unsafe extern "C" fn SYS_Uncompress(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        inflate(s, Wrap::Zlib, 15).ok_or(CODEC_BAD_INPUT)
    })
}

/// Decompresses with zlib's `inflateInit2` window bits (see `inflate_window`); -2 if out of
/// range.
#[no_mangle]
pub unsafe extern "C" fn SYS_UncompressEx(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
    window_bits: c_int,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        let (wrap, bits) = inflate_window(window_bits).ok_or(CODEC_BAD_PARAM)?;
        inflate(s, wrap, bits).ok_or(CODEC_BAD_INPUT)
    })
}

/// gzip-compresses `len` bytes at the default level.
#[no_mangle]
pub unsafe extern "C" fn SYS_GZipCompress(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        Ok(deflate(s, Compression::default(), Wrap::Gzip, 15))
    })
}

/// Decompresses gzip data (zlib data is accepted too, as in HP-Socket).
#[no_mangle]
pub unsafe extern "C" fn SYS_GZipUncompress(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, |s| {
        inflate(s, Wrap::Auto, 15).ok_or(CODEC_BAD_INPUT)
    })
}

/// The uncompressed size a gzip stream declares in its trailer (ISIZE, the size modulo 2^32);
/// 0 if the data is not gzip.
#[no_mangle]
pub unsafe extern "C" fn SYS_GZipGuessUncompressBound(p: *const u8, len: u32) -> u32 {
    ffi!(0, {
        match src(p, len) {
            Some(s) if s.len() >= 18 && s.starts_with(&GZIP_MAGIC) => {
                let t = &s[s.len() - 4..];
                u32::from_le_bytes([t[0], t[1], t[2], t[3]])
            }
            _ => 0,
        }
    })
}

// ---- charsets ----

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
    use crate::errno;

    /// Calls a byte codec with a destination of `cap` bytes.
    fn call(
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
    fn full(
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
    fn noise(n: usize, mut x: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

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
        assert_eq!(base64_decode(b"QUJDRA").unwrap(), b"ABCD");
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

    #[test]
    fn zlib_round_trip_and_bounds() {
        let text = b"hello hello hello hello ".repeat(40);
        for data in [Vec::new(), b"x".to_vec(), text.clone(), noise(200_000, 3)] {
            let bound = SYS_GuessCompressBound(data.len() as u32, FALSE);
            let (r, n, z) = call(SYS_Compress, &data, bound);
            assert_eq!(r, 0, "compress {} bytes", data.len());
            assert!(n <= bound);
            assert_eq!(&z[..2], &[0x78, 0x9c]);
            assert_eq!(full(SYS_Uncompress, &z), data);

            let gbound = SYS_GuessCompressBound(data.len() as u32, TRUE);
            let (r, _, g) = call(SYS_GZipCompress, &data, gbound);
            assert_eq!(r, 0);
            assert!(g.starts_with(&GZIP_MAGIC));
            let guess = unsafe { SYS_GZipGuessUncompressBound(g.as_ptr(), g.len() as u32) };
            assert_eq!(guess, data.len() as u32);
            assert_eq!(full(SYS_GZipUncompress, &g), data);
            // GZipUncompress also takes zlib data; Uncompress does not take gzip data.
            assert_eq!(full(SYS_GZipUncompress, &z), data);
            assert_eq!(call(SYS_Uncompress, &g, 1 << 20).0, CODEC_BAD_INPUT);
        }
        // The bounds hold for incompressible data of any size.
        for n in [1, 2, 3, 10, 100, 1000, 4096, 65535, 65536, 70_000, 300_001] {
            let data = noise(n, n as u64 + 1);
            for gzip in [FALSE, TRUE] {
                let f = if gzip == TRUE {
                    SYS_GZipCompress
                } else {
                    SYS_Compress
                };
                let (r, len, _) = call(f, &data, SYS_GuessCompressBound(n as u32, gzip));
                assert_eq!(r, 0, "{n} bytes, gzip {gzip}: needs {len}");
            }
        }
        let z = deflate(&text, Compression::default(), Wrap::Zlib, 15);
        // Too small: -5 with the size needed, for both directions.
        assert_eq!(call(SYS_Uncompress, &z, 10).0, CODEC_BUFFER_TOO_SMALL);
        assert_eq!(call(SYS_Uncompress, &z, 10).1, text.len() as u32);
        let (r, need, _) = call(SYS_Compress, &text, 5);
        assert_eq!((r, need as usize), (CODEC_BUFFER_TOO_SMALL, z.len()));
        // Bad input: garbage, empty, truncated.
        assert_eq!(
            call(SYS_Uncompress, b"garbage data here", 4096).0,
            CODEC_BAD_INPUT
        );
        assert_eq!(call(SYS_Uncompress, b"", 4096).0, CODEC_BAD_INPUT);
        assert_eq!(
            call(SYS_Uncompress, &z[..z.len() - 3], 4096).0,
            CODEC_BAD_INPUT
        );
        assert_eq!(
            call(SYS_GZipUncompress, b"\x1f\x8bjunk", 4096).0,
            CODEC_BAD_INPUT
        );
        assert_eq!(
            unsafe { SYS_GZipGuessUncompressBound(z.as_ptr(), z.len() as u32) },
            0
        );
        assert_eq!(errno(), libc::EBADMSG);
    }

    #[test]
    fn zlib_ex_window_bits() {
        let data = b"abcabcabcabd".repeat(100);
        let ex = |s: &[u8], lvl, method, bits, mem, strat| {
            let mut buf = vec![0u8; 4096];
            let mut len = buf.len() as u32;
            let r = unsafe {
                SYS_CompressEx(
                    s.as_ptr(),
                    s.len() as u32,
                    buf.as_mut_ptr(),
                    &mut len,
                    lvl,
                    method,
                    bits,
                    mem,
                    strat,
                )
            };
            buf.truncate(len as usize);
            (r, buf)
        };
        let unex = |s: &[u8], bits| {
            let mut buf = vec![0u8; 4096];
            let mut len = buf.len() as u32;
            let r = unsafe {
                SYS_UncompressEx(s.as_ptr(), s.len() as u32, buf.as_mut_ptr(), &mut len, bits)
            };
            buf.truncate(len as usize);
            (r, buf)
        };
        // raw, zlib, gzip; then decoded by the matching mode and by auto-detection.
        for (bits, back, auto) in [
            (-15, -15, false),
            (15, 15, true),
            (31, 31, true),
            (9, 9, true),
            (-9, -9, false),
        ] {
            let (r, z) = ex(&data, 9, 8, bits, 8, 0);
            assert_eq!(r, 0, "bits {bits}");
            assert_eq!(unex(&z, back), (0, data.clone()), "bits {bits}");
            if auto {
                assert_eq!(unex(&z, 47), (0, data.clone()), "bits {bits}");
            }
        }
        let (_, raw) = ex(&data, 1, 8, -15, 8, 0);
        assert_eq!(unex(&raw, 15).0, CODEC_BAD_INPUT);
        for (lvl, method, bits, mem, strat) in [
            (10, 8, 15, 8, 0),
            (6, 7, 15, 8, 0),
            (6, 8, 16, 8, 0),
            (6, 8, 15, 0, 0),
            (6, 8, 15, 8, 5),
            (6, 8, -8, 8, 0),
        ] {
            assert_eq!(ex(&data, lvl, method, bits, mem, strat).0, CODEC_BAD_PARAM);
        }
        assert_eq!(unex(&raw, 3).0, CODEC_BAD_PARAM);
    }

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
