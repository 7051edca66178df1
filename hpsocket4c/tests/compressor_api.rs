//! HP-Socket 5.8's streaming compressor / decompressor objects and the Brotli one-shot codecs,
//! called from Rust (the `extern "C"` functions of the rlib): round trips of random data at
//! random chunkings for zlib, raw deflate, gzip and Brotli (streaming, one-shot, and across
//! the two), flushes, resets, invalid parameters, bad handles, corrupt and truncated input
//! (a clean FALSE / -3, never a crash), a decompression bomb that reaches the callback in
//! bounded pieces and stops when the callback says so, and interop: our zlib / gzip output
//! read by Python's `zlib` / `gzip` modules and by `gzip -d`; Brotli by the `brotli` crate's
//! decoder (Python's `brotli` module is used too when installed).
#![cfg(target_os = "linux")]

use std::ffi::{c_int, c_void};
use std::io::Write;
use std::process::{Command, Stdio};

use hpsocket4c::codec::*;

const TRUE: c_int = 1;
const FALSE: c_int = 0;

fn errno() -> c_int {
    // SAFETY: this thread's errno slot.
    unsafe { *libc::__errno_location() }
}

/// xorshift64.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Data with some structure (repeats, text, noise), so compressors do real work.
    fn data(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            match self.below(3) {
                0 => {
                    let k = 1 + self.below(200);
                    let b = self.next() as u8;
                    v.resize(v.len() + k, b);
                }
                1 => v.extend_from_slice(b"the quick brown fox jumps over the lazy dog "),
                _ => {
                    for _ in 0..self.below(300) {
                        v.push(self.next() as u8);
                    }
                }
            }
        }
        v.truncate(n);
        v
    }
    /// Splits `s` into random chunks (some empty).
    fn chunks<'a>(&mut self, s: &'a [u8]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < s.len() {
            let k = match self.below(4) {
                0 => 0,
                1 => 1 + self.below(8),
                2 => 1 + self.below(5000),
                _ => 1 + self.below(70_000),
            }
            .min(s.len() - at);
            out.push(&s[at..at + k]);
            at += k;
        }
        out
    }
}

/// The callback's context: collected output, the largest piece, and when to refuse.
#[derive(Default)]
struct Sink {
    out: Vec<u8>,
    calls: usize,
    max_piece: usize,
    /// Bytes received (`count` keeps only this).
    total: usize,
    /// Return FALSE once this many bytes arrived.
    stop_after: Option<usize>,
}

unsafe extern "C" fn collect(p: *const u8, n: c_int, ctx: *mut c_void) -> c_int {
    let sink = &mut *(ctx as *mut Sink);
    assert!(n > 0, "empty piece");
    sink.calls += 1;
    sink.max_piece = sink.max_piece.max(n as usize);
    sink.total += n as usize;
    if sink.out.len() < (64 << 20) {
        sink.out
            .extend_from_slice(std::slice::from_raw_parts(p, n as usize));
    }
    match sink.stop_after {
        Some(k) if sink.total >= k => FALSE,
        _ => TRUE,
    }
}

/// A callback that only counts (for the bomb).
unsafe extern "C" fn count(_p: *const u8, n: c_int, ctx: *mut c_void) -> c_int {
    let sink = &mut *(ctx as *mut Sink);
    sink.calls += 1;
    sink.max_piece = sink.max_piece.max(n as usize);
    sink.total += n as usize;
    TRUE
}

fn ctx(s: &mut Sink) -> *mut c_void {
    s as *mut Sink as *mut c_void
}

#[derive(Clone, Copy, Debug)]
enum Alg {
    Zlib,
    Raw,
    Gzip,
    Brotli,
}

fn compressor(a: Alg, buf: u32) -> *mut c_void {
    match a {
        Alg::Zlib => Create_HP_ZLibCompressorEx(Some(collect), 15, 6, 8, 8, 0, buf),
        Alg::Raw => Create_HP_ZLibCompressorEx(Some(collect), -15, 1, 8, 8, 0, buf),
        Alg::Gzip => Create_HP_GZipCompressorEx(Some(collect), 9, 8, 8, 0, buf),
        Alg::Brotli => Create_HP_BrotliCompressorEx(Some(collect), 5, 22, 0, buf),
    }
}

fn decompressor(a: Alg, buf: u32) -> *mut c_void {
    match a {
        Alg::Zlib => Create_HP_ZLibDecompressorEx(Some(collect), 15, buf),
        Alg::Raw => Create_HP_ZLibDecompressorEx(Some(collect), -15, buf),
        Alg::Gzip => Create_HP_GZipDecompressorEx(Some(collect), buf),
        Alg::Brotli => Create_HP_BrotliDecompressorEx(Some(collect), buf),
    }
}

/// Compresses `data` in random chunks (random flushes), the last chunk with `bLast`.
fn compress(a: Alg, data: &[u8], rng: &mut Rng, buf: u32) -> Vec<u8> {
    let c = compressor(a, buf);
    assert_eq!(HP_Compressor_IsValid(c), TRUE);
    let mut sink = Sink::default();
    let chunks = rng.chunks(data);
    for ch in &chunks {
        let flush = if rng.below(5) == 0 { TRUE } else { FALSE };
        let r = unsafe {
            HP_Compressor_ProcessEx(
                c,
                ch.as_ptr(),
                ch.len() as c_int,
                FALSE,
                flush,
                ctx(&mut sink),
            )
        };
        assert_eq!(r, TRUE, "{a:?}: errno {}", errno());
    }
    let r = unsafe { HP_Compressor_Process(c, std::ptr::null(), 0, TRUE, ctx(&mut sink)) };
    assert_eq!(r, TRUE, "{a:?} finish: errno {}", errno());
    if buf != 0 {
        assert!(sink.max_piece <= buf as usize);
    }
    Destroy_HP_Compressor(c);
    sink.out
}

/// Decompresses `z` in random chunks; returns the output and the last Process result.
fn decompress(a: Alg, z: &[u8], rng: &mut Rng, buf: u32) -> (Vec<u8>, c_int, Sink) {
    let d = decompressor(a, buf);
    assert_eq!(HP_Decompressor_IsValid(d), TRUE);
    let mut sink = Sink::default();
    let mut r = TRUE;
    for ch in rng.chunks(z) {
        r = unsafe { HP_Decompressor_Process(d, ch.as_ptr(), ch.len() as c_int, ctx(&mut sink)) };
        if r == FALSE {
            break;
        }
    }
    Destroy_HP_Decompressor(d);
    (std::mem::take(&mut sink.out), r, sink)
}

const ALGS: [Alg; 4] = [Alg::Zlib, Alg::Raw, Alg::Gzip, Alg::Brotli];

#[test]
fn streaming_round_trips_at_random_chunkings() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for a in ALGS {
        for (i, n) in [0usize, 1, 2, 100, 4096, 65_537, 300_000]
            .into_iter()
            .enumerate()
        {
            let data = rng.data(n);
            let buf = [0u32, 64, 100, 512, 16384, 100_000][i % 6];
            let z = compress(a, &data, &mut rng, buf);
            let (back, r, sink) = decompress(a, &z, &mut rng, buf);
            assert_eq!(r, TRUE, "{a:?} {n}: errno {}", errno());
            assert_eq!(back.len(), data.len(), "{a:?} {n} bytes");
            assert!(back == data, "{a:?} {n} bytes differ");
            if buf != 0 {
                assert!(sink.max_piece <= buf as usize);
            }
        }
    }
}

#[test]
fn one_shot_and_streaming_agree() {
    let mut rng = Rng(77);
    let data = rng.data(200_000);
    // Streaming output through the one-shot decoders.
    let one_shot: [(Alg, Codec); 3] = [
        (Alg::Zlib, SYS_Uncompress),
        (Alg::Gzip, SYS_GZipUncompress),
        (Alg::Brotli, SYS_BrotliUncompress),
    ];
    for (a, f) in one_shot {
        let z = compress(a, &data, &mut rng, 0);
        assert_eq!(exact(f, &z), data, "{a:?}");
    }
    // One-shot output through the streaming decoders.
    for (a, f) in [
        (Alg::Zlib, SYS_Compress as Codec),
        (Alg::Gzip, SYS_GZipCompress),
        (Alg::Brotli, SYS_BrotliCompress),
    ] {
        let small = &data[..20_000]; // quality 11 is slow unoptimised
        let z = exact(f, small);
        let (back, r, _) = decompress(a, &z, &mut rng, 0);
        assert_eq!((r, back.as_slice()), (TRUE, small), "{a:?}");
    }
    // The gzip decompressor takes zlib streams too.
    let z = compress(Alg::Zlib, &data, &mut rng, 0);
    let (back, r, _) = decompress(Alg::Gzip, &z, &mut rng, 0);
    assert_eq!((r, back == data), (TRUE, true));
}

type Codec = unsafe extern "C" fn(*const u8, u32, *mut u8, *mut u32) -> c_int;

/// Calls a one-shot codec with a buffer of exactly the size it says it needs.
fn exact(f: Codec, s: &[u8]) -> Vec<u8> {
    let mut len = 0u32;
    let r = unsafe { f(s.as_ptr(), s.len() as u32, std::ptr::null_mut(), &mut len) };
    if r == 0 {
        return Vec::new();
    }
    assert_eq!(r, -5, "sizing call");
    let mut out = vec![0u8; len as usize];
    let mut l2 = len;
    let r = unsafe { f(s.as_ptr(), s.len() as u32, out.as_mut_ptr(), &mut l2) };
    assert_eq!((r, l2), (0, len));
    out
}

#[test]
fn brotli_one_shot() {
    let mut rng = Rng(5);
    for n in [0usize, 1, 1000, 70_000] {
        let data = rng.data(n);
        let bound = SYS_BrotliGuessCompressBound(n as u32);
        let mut z = vec![0u8; bound as usize];
        let mut len = bound;
        let r = unsafe {
            SYS_BrotliCompressEx(data.as_ptr(), n as u32, z.as_mut_ptr(), &mut len, 4, 22, 0)
        };
        assert_eq!(r, 0, "{n} bytes: needs {len}, bound {bound}");
        z.truncate(len as usize);
        assert_eq!(exact(SYS_BrotliUncompress, &z), data);
        // The crate's own decoder reads it.
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &z[..], &mut back).unwrap();
        assert_eq!(back, data);
    }
    // Incompressible data stays within the bound.
    for n in [1usize, 100, 65_536, 300_001] {
        let noise: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let bound = SYS_BrotliGuessCompressBound(n as u32);
        let mut z = vec![0u8; bound as usize];
        let mut len = bound;
        let r = unsafe {
            SYS_BrotliCompressEx(noise.as_ptr(), n as u32, z.as_mut_ptr(), &mut len, 1, 22, 0)
        };
        assert_eq!(r, 0, "{n} bytes: needs {len}, bound {bound}");
    }
    let text = b"brotli brotli brotli brotli ".repeat(100);
    let z = exact(SYS_BrotliCompress, &text);
    // Too small: -5 with the size needed, both ways.
    let mut small = [0u8; 4];
    let mut len = 4u32;
    let r =
        unsafe { SYS_BrotliUncompress(z.as_ptr(), z.len() as u32, small.as_mut_ptr(), &mut len) };
    assert_eq!((r, len as usize), (-5, text.len()));
    let mut len = 2u32;
    let r = unsafe {
        SYS_BrotliCompress(
            text.as_ptr(),
            text.len() as u32,
            small.as_mut_ptr(),
            &mut len,
        )
    };
    assert_eq!((r, len as usize), (-5, z.len()));
    // Bad parameters, corrupt and truncated input: -3.
    for (q, w, m) in [(12, 22, 0), (-1, 22, 0), (5, 9, 0), (5, 25, 0), (5, 22, 3)] {
        let mut out = vec![0u8; 4096];
        let mut len = 4096u32;
        let r = unsafe {
            SYS_BrotliCompressEx(
                text.as_ptr(),
                text.len() as u32,
                out.as_mut_ptr(),
                &mut len,
                q,
                w,
                m,
            )
        };
        assert_eq!(r, -3, "{q} {w} {m}");
    }
    let mut out = vec![0u8; 1 << 16];
    for bad in [
        &z[..z.len() - 1],
        &z[..z.len() / 2],
        b"\xff\xff\xff\xff garbage",
        b"",
    ] {
        let mut len = out.len() as u32;
        let r = unsafe {
            SYS_BrotliUncompress(bad.as_ptr(), bad.len() as u32, out.as_mut_ptr(), &mut len)
        };
        assert_eq!(r, -3, "{} bytes", bad.len());
    }
    let mut len = 10u32;
    assert_eq!(
        unsafe { SYS_BrotliUncompress(std::ptr::null(), 5, out.as_mut_ptr(), &mut len) },
        -3
    );
}

#[test]
fn corrupt_and_truncated_streams_fail_cleanly() {
    let mut rng = Rng(1234);
    let data = rng.data(50_000);
    for a in ALGS {
        let z = compress(a, &data, &mut rng, 0);
        // Garbage from the start.
        let junk: Vec<u8> = (0..5000).map(|_| rng.next() as u8).collect();
        let (_, r, _) = decompress(a, &junk, &mut rng, 0);
        if !matches!(a, Alg::Raw) {
            // (random bytes can be a valid start of raw deflate for a while)
            assert_eq!((r, errno()), (FALSE, libc::EBADMSG), "{a:?} junk");
        }
        // Bit flips in the body: FALSE with EBADMSG, or (rarely) a wrong output; never a crash.
        for _ in 0..20 {
            let mut bad = z.clone();
            let i = 2 + rng.below(bad.len() - 2);
            bad[i] ^= 1 << rng.below(8);
            let (out, r, _) = decompress(a, &bad, &mut rng, 0);
            if r == FALSE {
                assert_eq!(errno(), libc::EBADMSG, "{a:?}");
            } else if !matches!(a, Alg::Raw) {
                // zlib / gzip / brotli check sums or structure: a TRUE result is a short read.
                assert!(out != data || out.len() < data.len(), "{a:?}");
            }
        }
        // Truncated: TRUE (waiting for more), with less output than the data.
        let (out, r, _) = decompress(a, &z[..z.len() / 2], &mut rng, 0);
        assert_eq!(r, TRUE, "{a:?}");
        assert!(out.len() < data.len());
    }
}

#[test]
fn flush_reset_and_reuse() {
    for a in ALGS {
        let c = compressor(a, 0);
        let d = decompressor(a, 0);
        let (mut cs, mut ds) = (Sink::default(), Sink::default());
        // A sync flush makes everything so far decodable.
        let part = b"first part, flushed; ".repeat(20);
        let r = unsafe {
            HP_Compressor_ProcessEx(
                c,
                part.as_ptr(),
                part.len() as c_int,
                FALSE,
                TRUE,
                ctx(&mut cs),
            )
        };
        assert_eq!(r, TRUE);
        let r = unsafe {
            HP_Decompressor_Process(d, cs.out.as_ptr(), cs.out.len() as c_int, ctx(&mut ds))
        };
        assert_eq!(r, TRUE, "{a:?}");
        assert_eq!(ds.out, part, "{a:?}: flushed data readable");
        // Reset drops the stream; the next one is whole on its own.
        assert_eq!(HP_Compressor_Reset(c), TRUE);
        assert_eq!(HP_Decompressor_Reset(d), TRUE);
        for round in 0..3 {
            let (mut cs, mut ds) = (Sink::default(), Sink::default());
            let msg = format!("stream {round} of the same object").repeat(50);
            let r = unsafe {
                HP_Compressor_Process(c, msg.as_ptr(), msg.len() as c_int, TRUE, ctx(&mut cs))
            };
            assert_eq!(r, TRUE);
            let r = unsafe {
                HP_Decompressor_Process(d, cs.out.as_ptr(), cs.out.len() as c_int, ctx(&mut ds))
            };
            assert_eq!(
                (r, ds.out.as_slice()),
                (TRUE, msg.as_bytes()),
                "{a:?} {round}"
            );
        }
        Destroy_HP_Compressor(c);
        Destroy_HP_Decompressor(d);
    }
}

#[test]
fn invalid_parameters_and_handles() {
    // Invalid parameters: an object that is not valid.
    let bad_c = [
        Create_HP_ZLibCompressorEx(Some(collect), 16, -1, 8, 8, 0, 0),
        Create_HP_ZLibCompressorEx(Some(collect), 15, 10, 8, 8, 0, 0),
        Create_HP_ZLibCompressorEx(Some(collect), 15, -1, 7, 8, 0, 0),
        Create_HP_GZipCompressorEx(Some(collect), -1, 8, 0, 0, 0),
        Create_HP_BrotliCompressorEx(Some(collect), 12, 22, 0, 0),
    ];
    for c in bad_c {
        assert!(!c.is_null());
        assert_eq!(HP_Compressor_IsValid(c), FALSE);
        let r = unsafe { HP_Compressor_Process(c, b"x".as_ptr(), 1, TRUE, std::ptr::null_mut()) };
        assert_eq!((r, errno()), (FALSE, libc::EPERM));
        assert_eq!(HP_Compressor_Reset(c), FALSE);
        Destroy_HP_Compressor(c);
    }
    let d = Create_HP_ZLibDecompressorEx(Some(collect), 3, 0);
    assert_eq!(HP_Decompressor_IsValid(d), FALSE);
    let r = unsafe { HP_Decompressor_Process(d, b"x".as_ptr(), 1, std::ptr::null_mut()) };
    assert_eq!((r, errno()), (FALSE, libc::EPERM));
    Destroy_HP_Decompressor(d);
    // No callback: NULL.
    assert!(Create_HP_ZLibCompressor(None).is_null());
    assert_eq!(errno(), libc::EINVAL);
    assert!(Create_HP_BrotliDecompressor(None).is_null());
    // Destroyed, never created, and crossed handles: EBADF.
    let c = Create_HP_GZipCompressor(Some(collect));
    let d = Create_HP_GZipDecompressor(Some(collect));
    let r = unsafe { HP_Decompressor_Process(c, b"x".as_ptr(), 1, std::ptr::null_mut()) };
    assert_eq!((r, errno()), (FALSE, libc::EBADF));
    assert_eq!(HP_Compressor_IsValid(d), FALSE);
    Destroy_HP_Compressor(c);
    Destroy_HP_Decompressor(d);
    let r = unsafe { HP_Compressor_Process(c, b"x".as_ptr(), 1, TRUE, std::ptr::null_mut()) };
    assert_eq!((r, errno()), (FALSE, libc::EBADF));
    assert_eq!(HP_Decompressor_Reset(d), FALSE);
    assert_eq!(HP_Compressor_IsValid(std::ptr::null_mut()), FALSE);
    Destroy_HP_Compressor(0x10 as *mut c_void);
    assert_eq!(errno(), libc::EBADF);
    // Bad input pointer / length: EINVAL.
    let c = Create_HP_BrotliCompressor(Some(collect));
    let r = unsafe { HP_Compressor_Process(c, std::ptr::null(), 5, FALSE, std::ptr::null_mut()) };
    assert_eq!((r, errno()), (FALSE, libc::EINVAL));
    let r = unsafe { HP_Compressor_Process(c, b"x".as_ptr(), -1, FALSE, std::ptr::null_mut()) };
    assert_eq!((r, errno()), (FALSE, libc::EINVAL));
    Destroy_HP_Compressor(c);
}

#[test]
fn callback_refusal_cancels_and_resets() {
    let mut rng = Rng(99);
    let data = rng.data(400_000);
    for a in ALGS {
        let z = compress(a, &data, &mut rng, 0);
        let d = decompressor(a, 4096);
        let mut sink = Sink {
            stop_after: Some(10_000),
            ..Sink::default()
        };
        let r = unsafe { HP_Decompressor_Process(d, z.as_ptr(), z.len() as c_int, ctx(&mut sink)) };
        assert_eq!((r, errno()), (FALSE, libc::ECANCELED), "{a:?}");
        assert!(sink.total < 10_000 + 4096);
        // Reset by the failure: the whole stream decodes again from the start.
        let mut sink = Sink::default();
        let r = unsafe { HP_Decompressor_Process(d, z.as_ptr(), z.len() as c_int, ctx(&mut sink)) };
        assert_eq!((r, sink.out == data), (TRUE, true), "{a:?}");
        Destroy_HP_Decompressor(d);
    }
}

/// A bomb: 256 MiB of zeros, about 250 KB compressed (deflate) / far less (Brotli). The callback
/// gets pieces of at most the buffer size and nothing accumulates; when it refuses, the call
/// stops at once.
#[test]
fn decompression_bomb_reaches_the_callback_in_bounded_pieces() {
    let gib = 256usize << 20;
    let zeros = vec![0u8; 1 << 20];
    // zlib bomb, built with flate2 from 1 MiB blocks.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..(gib >> 20) {
        z.write_all(&zeros).unwrap();
    }
    let zbomb = z.finish().unwrap();
    // Brotli bomb.
    let mut b = brotli::CompressorWriter::new(Vec::new(), 4096, 1, 22);
    for _ in 0..(gib >> 20) {
        b.write_all(&zeros).unwrap();
    }
    let bbomb = b.into_inner();
    assert!(
        zbomb.len() < 1 << 20 && bbomb.len() < 1 << 20,
        "{} {}",
        zbomb.len(),
        bbomb.len()
    );
    for (a, bomb) in [(Alg::Zlib, &zbomb), (Alg::Brotli, &bbomb)] {
        // Stopped by the callback after 16 MiB.
        let d = decompressor(a, 65_536);
        let mut sink = Sink {
            stop_after: Some(16 << 20),
            ..Sink::default()
        };
        let r = unsafe {
            HP_Decompressor_Process(d, bomb.as_ptr(), bomb.len() as c_int, ctx(&mut sink))
        };
        assert_eq!((r, errno()), (FALSE, libc::ECANCELED), "{a:?}");
        assert!(sink.max_piece <= 65_536);
        assert!(sink.total <= (16 << 20) + 65_536);
        Destroy_HP_Decompressor(d);
        // Let through whole with a counting callback: 256 MiB in pieces, nothing kept.
        let d = Create_HP_ZLibDecompressorEx(Some(count), 15, 1 << 20);
        let d = if matches!(a, Alg::Brotli) {
            Destroy_HP_Decompressor(d);
            Create_HP_BrotliDecompressorEx(Some(count), 1 << 20)
        } else {
            d
        };
        let mut sink = Sink::default();
        let r = unsafe {
            HP_Decompressor_Process(d, bomb.as_ptr(), bomb.len() as c_int, ctx(&mut sink))
        };
        assert_eq!(r, TRUE, "{a:?}");
        assert_eq!(sink.total, gib, "{a:?}: bytes counted");
        assert!(sink.max_piece <= 1 << 20);
        Destroy_HP_Decompressor(d);
    }
}

fn python3() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `python3 -c code` with `input` on stdin; its stdout.
fn python(code: &str, input: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(code)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take().unwrap();
    let inp = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&inp));
    let out = child.wait_with_output().ok()?;
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

#[test]
fn interop_with_python_and_gzip_tool() {
    let mut rng = Rng(4242);
    let data = rng.data(250_000);
    if python3() {
        let read = "import sys,zlib,gzip; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(";
        let z = compress(Alg::Zlib, &data, &mut rng, 0);
        assert_eq!(
            python(&format!("{read}zlib.decompress(d))"), &z).unwrap(),
            data
        );
        let raw = compress(Alg::Raw, &data, &mut rng, 0);
        assert_eq!(
            python(&format!("{read}zlib.decompress(d, -15))"), &raw).unwrap(),
            data
        );
        let g = compress(Alg::Gzip, &data, &mut rng, 0);
        assert_eq!(
            python(&format!("{read}gzip.decompress(d))"), &g).unwrap(),
            data
        );
        // And Python's output through our decompressors.
        let pz = python(
            "import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 9))",
            &data,
        )
        .unwrap();
        let (back, r, _) = decompress(Alg::Zlib, &pz, &mut rng, 0);
        assert_eq!((r, back == data), (TRUE, true));
        let pg = python(
            "import sys,gzip; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))",
            &data,
        )
        .unwrap();
        let (back, r, _) = decompress(Alg::Gzip, &pg, &mut rng, 0);
        assert_eq!((r, back == data), (TRUE, true));
        // Brotli through Python only where its module is installed.
        let has_brotli = Command::new("python3")
            .args(["-c", "import brotli"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if has_brotli {
            let b = compress(Alg::Brotli, &data, &mut rng, 0);
            assert_eq!(
                python(&format!("import brotli; {read}brotli.decompress(d))"), &b).unwrap(),
                data
            );
        } else {
            eprintln!(
                "python3 has no brotli module: Brotli checked by the brotli crate's decoder only"
            );
        }
    } else {
        eprintln!("no python3: zlib/gzip interop through Python skipped");
    }
    // Brotli: the brotli crate's decoder reads our streaming output.
    let b = compress(Alg::Brotli, &data, &mut rng, 0);
    let mut back = Vec::new();
    brotli::BrotliDecompress(&mut &b[..], &mut back).unwrap();
    assert!(back == data);
    // gzip -d reads our gzip stream.
    let g = compress(Alg::Gzip, &data, &mut rng, 0);
    match Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            let mut stdin = child.stdin.take().unwrap();
            let writer = std::thread::spawn(move || stdin.write_all(&g));
            let out = child.wait_with_output().unwrap();
            writer.join().unwrap().unwrap();
            assert!(out.status.success());
            assert!(out.stdout == data, "gzip -d output differs");
        }
        Err(_) => eprintln!("no gzip tool: skipped"),
    }
}
