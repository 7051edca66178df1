//! The `SYS_*` codecs against hostile sizes, called directly from Rust (the `extern "C"`
//! functions of the rlib): zlib / gzip bombs against small destinations (the answer is -5 with
//! the size needed, or a lower bound of it past the counting limit, and the process's peak
//! memory does not grow with the bomb), and every byte codec and charset conversion at its exact
//! size, one unit short, with NULL, with guard bytes behind the destination, and round trips.
#![cfg(target_os = "linux")]

use std::ffi::{c_char, c_int};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hpsocket4c::codec::*;

const OK: c_int = 0;
const BAD_INPUT: c_int = -3;
const TOO_SMALL: c_int = -5;
const ENOBUFS: c_int = 105;
const E2BIG: c_int = 7;

/// The RSS measurements are process-wide: tests that measure or allocate much run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

type Codec = unsafe extern "C" fn(*const u8, u32, *mut u8, *mut u32) -> c_int;

fn errno() -> c_int {
    // SAFETY: this thread's errno slot.
    unsafe { *libc::__errno_location() }
}

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs `f` and returns its result with how far the peak RSS rose above the RSS before it
/// (bytes). The peak is reset first (`clear_refs` 5), so an earlier peak cannot hide growth.
fn peak_growth<R>(f: impl FnOnce() -> R) -> (R, u64) {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = status_kib("VmRSS:");
    assert!(status_kib("VmHWM:") <= before + 1024, "VmHWM was not reset");
    let r = f();
    let peak = status_kib("VmHWM:");
    (r, peak.saturating_sub(before) * 1024)
}

/// Calls a codec with a destination of `cap` bytes inside a larger buffer whose tail is a
/// guard region: (result, `*pdwDestLen`, the bytes written when the result is 0). Fails if a
/// byte past `cap` changed.
fn call(f: Codec, s: &[u8], cap: u32) -> (c_int, u32, Vec<u8>) {
    const GUARD: usize = 64;
    let mut buf = vec![0xA5u8; cap as usize + GUARD];
    let mut len = cap;
    let r = unsafe { f(s.as_ptr(), s.len() as u32, buf.as_mut_ptr(), &mut len) };
    assert!(
        buf[cap as usize..].iter().all(|&b| b == 0xA5),
        "wrote past the destination"
    );
    buf.truncate(if r == OK { len as usize } else { 0 });
    (r, len, buf)
}

/// The size a codec reports needing (NULL destination), then the output at exactly that
/// size, checking that one byte less is -5 with the same answer.
fn exact(f: Codec, s: &[u8]) -> Vec<u8> {
    let mut need = 0u32;
    let r = unsafe { f(s.as_ptr(), s.len() as u32, std::ptr::null_mut(), &mut need) };
    if r == OK {
        assert_eq!(need, 0);
        return Vec::new();
    }
    assert_eq!((r, errno()), (TOO_SMALL, ENOBUFS));
    let (r, n, out) = call(f, s, need);
    assert_eq!((r, n), (OK, need), "exact size");
    assert_eq!(out.len(), need as usize);
    let (r, n, _) = call(f, s, need - 1);
    assert_eq!((r, n), (TOO_SMALL, need), "one byte short");
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

/// A raw deflate stream of `segments` MiB of zeros, made without ever holding them: one MiB of
/// zeros compressed with a sync flush, then the next MiB's blocks (which, with a window of
/// zeros behind them, are the same bytes every time) repeated, then an empty final block.
/// About 1 KiB per MiB: the ~1000-fold ratio of a zlib bomb.
fn raw_zero_bomb(segments: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mib = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let seg = |c: &mut Compress, flush| {
        let mut out = Vec::with_capacity(1 << 16);
        let start = c.total_in();
        while c.total_in() - start < mib.len() as u64 || out.is_empty() {
            let done = (c.total_in() - start) as usize;
            c.compress_vec(&mib[done..], &mut out, flush).unwrap();
        }
        out
    };
    let first = seg(&mut c, FlushCompress::Sync);
    let second = seg(&mut c, FlushCompress::Sync);
    let third = seg(&mut c, FlushCompress::Sync);
    assert_eq!(second, third, "the repeated segment is not stable");
    let mut out = first;
    for _ in 1..segments {
        out.extend_from_slice(&second);
    }
    // Final empty fixed-Huffman block: BFINAL=1, BTYPE=01, end-of-block code 0000000.
    out.extend_from_slice(&[0x03, 0x00]);
    out
}

/// `segments` MiB of zeros as a zlib stream (header, the raw bomb, Adler-32 of the zeros).
fn zlib_zero_bomb(segments: usize) -> Vec<u8> {
    let n = (segments as u64) << 20;
    let adler = (((n % 65521) as u32) << 16) | 1;
    let mut z = vec![0x78, 0xda];
    z.extend_from_slice(&raw_zero_bomb(segments));
    z.extend_from_slice(&adler.to_be_bytes());
    z
}

/// `segments` MiB of zeros as a gzip stream. The trailer's CRC is not computed (2 GiB of work):
/// the bomb tests stop long before it.
fn gzip_zero_bomb(segments: usize) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    g.extend_from_slice(&raw_zero_bomb(segments));
    g.extend_from_slice(&0u32.to_le_bytes());
    g.extend_from_slice(&(((segments as u64) << 20) as u32).to_le_bytes());
    g
}

unsafe extern "C" fn uncompress_ex_zlib(p: *const u8, n: u32, d: *mut u8, l: *mut u32) -> c_int {
    SYS_UncompressEx(p, n, d, l, 15)
}
unsafe extern "C" fn uncompress_ex_raw(p: *const u8, n: u32, d: *mut u8, l: *mut u32) -> c_int {
    SYS_UncompressEx(p, n, d, l, -15)
}
unsafe extern "C" fn uncompress_ex_auto(p: *const u8, n: u32, d: *mut u8, l: *mut u32) -> c_int {
    SYS_UncompressEx(p, n, d, l, 47)
}
unsafe extern "C" fn compress_ex_raw(p: *const u8, n: u32, d: *mut u8, l: *mut u32) -> c_int {
    SYS_CompressEx(p, n, d, l, 9, 8, -15, 8, 0)
}
unsafe extern "C" fn compress_ex_gzip(p: *const u8, n: u32, d: *mut u8, l: *mut u32) -> c_int {
    SYS_CompressEx(p, n, d, l, 1, 8, 31, 9, 0)
}

#[test]
fn the_bomb_builder_makes_valid_streams() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 4 MiB of zeros: decoded whole, Adler-32 checked by the decoder.
    let z = zlib_zero_bomb(4);
    assert!(z.len() < 8 << 10, "{} bytes", z.len());
    let (r, n, out) = call(SYS_Uncompress, &z, 4 << 20);
    assert_eq!((r, n), (OK, 4 << 20));
    assert!(out.iter().all(|&b| b == 0));
    assert_eq!(call(uncompress_ex_raw, &raw_zero_bomb(3), 3 << 20).0, OK);
}

#[test]
fn ten_megabytes_of_zeros_against_a_small_destination() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let zeros = vec![0u8; 10_000_000];
    let z = exact(SYS_Compress, &zeros);
    drop(zeros);
    assert!(z.len() < 20_000, "{} bytes", z.len());
    for f in [
        SYS_Uncompress,
        uncompress_ex_zlib,
        uncompress_ex_auto,
        SYS_GZipUncompress,
    ] {
        let ((r, need, e), grew) = peak_growth(|| {
            let mut buf = [0u8; 4096];
            let mut len = buf.len() as u32;
            let r = unsafe { f(z.as_ptr(), z.len() as u32, buf.as_mut_ptr(), &mut len) };
            (r, len, errno())
        });
        // Within the counting limit: the exact size needed.
        assert_eq!((r, need, e), (TOO_SMALL, 10_000_000, ENOBUFS));
        assert!(grew < 4 << 20, "peak RSS grew by {grew} bytes");
    }
    // And a destination that large gets the zeros.
    let (r, n, out) = call(SYS_Uncompress, &z, 10_000_000);
    assert_eq!((r, n), (OK, 10_000_000));
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn a_two_gigabyte_bomb_is_counted_only_to_the_limit() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let segments = 2049; // 2 GiB + 1 MiB of zeros
    let zlib = zlib_zero_bomb(segments);
    let gzip = gzip_zero_bomb(segments);
    let raw = raw_zero_bomb(segments);
    assert!(zlib.len() < 2_500_000, "{} bytes", zlib.len());
    println!(
        "bomb: {} bytes of zlib for {segments} MiB of zeros",
        zlib.len()
    );
    let limit = UNCOMPRESS_COUNT_LIMIT;
    // A destination the caller filled already, so its pages do not count as growth.
    let mut big = vec![1u8; 8 << 20];
    for (name, f, data) in [
        ("Uncompress", SYS_Uncompress as Codec, &zlib),
        ("UncompressEx(15)", uncompress_ex_zlib, &zlib),
        ("UncompressEx(-15)", uncompress_ex_raw, &raw),
        ("UncompressEx(47)", uncompress_ex_auto, &gzip),
        ("GZipUncompress(gzip)", SYS_GZipUncompress, &gzip),
        ("GZipUncompress(zlib)", SYS_GZipUncompress, &zlib),
    ] {
        for cap in [4096usize, big.len()] {
            let t = Instant::now();
            let ((r, need, e), grew) = peak_growth(|| {
                let mut len = cap as u32;
                let r = unsafe { f(data.as_ptr(), data.len() as u32, big.as_mut_ptr(), &mut len) };
                (r, len as u64, errno())
            });
            let took = t.elapsed();
            println!("{name}, destination {cap}: {r}, {need}, {took:?}, peak +{grew} B");
            // -5 with a lower bound of the size needed (E2BIG: not exact): at least the
            // destination plus the limit, and no more than one scratch buffer beyond.
            assert_eq!((r, e), (TOO_SMALL, E2BIG), "{name}");
            assert!(need >= cap as u64 + limit, "{name}: {need}");
            assert!(need <= cap as u64 + limit + (64 << 10), "{name}: {need}");
            assert!(grew < 4 << 20, "{name}: peak RSS grew by {grew} bytes");
            assert!(took < Duration::from_secs(10), "{name}: {took:?}");
        }
    }
}

#[test]
fn compressing_into_a_small_destination_reports_the_exact_size() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = noise(4 << 20, 11);
    let ((r, need), grew) = peak_growth(|| {
        let mut buf = [0u8; 100];
        let mut len = 100u32;
        let r =
            unsafe { SYS_Compress(data.as_ptr(), data.len() as u32, buf.as_mut_ptr(), &mut len) };
        (r, len)
    });
    assert_eq!(r, TOO_SMALL);
    assert!(need as usize > data.len() && need <= SYS_GuessCompressBound(data.len() as u32, 0));
    assert!(grew < 4 << 20, "peak RSS grew by {grew} bytes");
    let z = exact(SYS_Compress, &data);
    assert_eq!(z.len(), need as usize);
    assert_eq!(exact(SYS_Uncompress, &z), data);
}

#[test]
fn every_byte_codec_at_its_exact_size_and_one_short() {
    let text = b"Hello, world! 100% ~ a+b=c & d/e?f \x00\xff".repeat(37);
    for data in [Vec::new(), b"x".to_vec(), text.clone(), noise(70_001, 5)] {
        // zlib family: compress, then every decoder that accepts the format.
        let z = exact(SYS_Compress, &data);
        assert_eq!(exact(SYS_Uncompress, &z), data);
        assert_eq!(exact(uncompress_ex_zlib, &z), data);
        assert_eq!(exact(uncompress_ex_auto, &z), data);
        assert_eq!(exact(SYS_GZipUncompress, &z), data);
        let g = exact(SYS_GZipCompress, &data);
        assert_eq!(exact(SYS_GZipUncompress, &g), data);
        assert_eq!(exact(uncompress_ex_auto, &g), data);
        let raw = exact(compress_ex_raw, &data);
        assert_eq!(exact(uncompress_ex_raw, &raw), data);
        let g1 = exact(compress_ex_gzip, &data);
        assert_eq!(exact(SYS_GZipUncompress, &g1), data);
        // Base64 and URL.
        let b = exact(SYS_Base64Encode, &data);
        assert_eq!(
            b.len() as u32,
            SYS_GuessBase64EncodeBound(data.len() as u32)
        );
        assert_eq!(exact(SYS_Base64Decode, &b), data);
        let u = exact(SYS_UrlEncode, &data);
        assert_eq!(u.len() as u32, unsafe {
            SYS_GuessUrlEncodeBound(data.as_ptr(), data.len() as u32)
        });
        assert_eq!(exact(SYS_UrlDecode, &u), data);
    }
    // Bad input stays bad input whatever the destination, and never writes past it.
    for cap in [0, 1, 4096] {
        assert_eq!(call(SYS_Uncompress, b"\x78\x9cgarbage", cap).0, BAD_INPUT);
        assert_eq!(call(SYS_Base64Decode, b"QQ=", cap).0, BAD_INPUT);
        assert_eq!(call(SYS_UrlDecode, b"abc%4", cap).0, BAD_INPUT);
    }
}

/// A `char` or `WCHAR` unit: a guard value and the NUL.
trait Unit: Copy + PartialEq + std::fmt::Debug {
    const GUARD: Self;
    const NUL: Self;
}
impl Unit for c_char {
    const GUARD: Self = 0x5A;
    const NUL: Self = 0;
}
impl Unit for i32 {
    const GUARD: Self = 0x5A5A;
    const NUL: Self = 0;
}

/// A charset conversion from a NUL-terminated source into `cap` units with guard units behind.
fn conv<S: Copy, D: Unit>(
    f: unsafe extern "C" fn(*const S, *mut D, *mut c_int) -> c_int,
    s: &[S],
    cap: c_int,
) -> (c_int, c_int, Vec<D>) {
    const GUARD: usize = 16;
    let guard = D::GUARD;
    let mut buf = vec![guard; cap.max(0) as usize + GUARD];
    let mut len = cap;
    let r = unsafe { f(s.as_ptr(), buf.as_mut_ptr(), &mut len) };
    assert!(
        buf[cap.max(0) as usize..].iter().all(|&u| u == guard),
        "wrote past the destination"
    );
    buf.truncate(if r != 0 { len as usize } else { 0 });
    (r, len, buf)
}

/// Exact size (NUL included), one unit short, NULL destination.
fn conv_exact<S: Copy, D: Unit>(
    f: unsafe extern "C" fn(*const S, *mut D, *mut c_int) -> c_int,
    s: &[S],
) -> Vec<D> {
    let mut need = 0;
    assert_eq!(unsafe { f(s.as_ptr(), std::ptr::null_mut(), &mut need) }, 0);
    assert_eq!(errno(), ENOBUFS);
    let (r, n, out) = conv(f, s, need);
    assert_eq!((r, n), (1, need));
    assert!(out[need as usize - 1] == D::NUL, "NUL-terminated");
    assert_eq!(conv(f, s, need - 1).0, 0);
    assert_eq!(conv(f, s, need - 1).1, need);
    out
}

#[test]
fn charset_conversions_at_their_exact_size_and_round_trips() {
    // Long enough to cross the conversions' internal chunks several times.
    let text = "中文 abc — ünïcödé ".repeat(300);
    let mut utf8: Vec<c_char> = text.bytes().map(|b| b as c_char).collect();
    utf8.push(0);
    let wide = conv_exact(SYS_Utf8ToUnicode, &utf8);
    assert_eq!(wide.len(), text.chars().count() + 1);
    let gbk_text: String = text.replace(['—', 'ü', 'ï', 'ö', 'é'], "-");
    let mut gbk_src: Vec<c_char> = gbk_text.bytes().map(|b| b as c_char).collect();
    gbk_src.push(0);
    let gbk = conv_exact(SYS_Utf8ToGbk, &gbk_src);
    let back = conv_exact(SYS_GbkToUtf8, &gbk);
    assert_eq!(back, gbk_src);
    let w = conv_exact(SYS_GbkToUnicode, &gbk);
    assert_eq!(conv_exact(SYS_UnicodeToGbk, &w), gbk);
    assert_eq!(conv_exact(SYS_UnicodeToUtf8, &wide), utf8);
    // Unmappable in GBK, late in a long text: FALSE with length 0.
    let mut bad = wide.clone();
    let at = bad.len() - 2;
    bad[at] = 0x1F600;
    assert_eq!(conv(SYS_UnicodeToGbk, &bad, 1 << 16).1, 0);
}
