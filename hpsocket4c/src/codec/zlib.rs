//! zlib, raw deflate and gzip through `flate2`: `SYS_Compress[Ex]`, `SYS_Uncompress[Ex]`,
//! `SYS_GZipCompress` / `SYS_GZipUncompress` and their bounds.
//!
//! Layer 3 (families), under [`crate::codec`]: imports only [`crate::marshal`] and the
//! codec plumbing.

use std::ffi::c_int;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::codec::{run, src, Out, CODEC_BAD_INPUT, CODEC_BAD_PARAM, COUNT_STOPPED};
use crate::marshal::{ffi, BOOL};

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

/// How far past the end of the destination a decompression keeps counting to report the
/// size needed: 64 MiB. Counting costs no memory (it inflates into `SCRATCH` bytes on the
/// stack) but CPU time, and a zlib bomb expands about 1000-fold (1.5 MB of input can claim
/// 2 GiB and more). Past this limit the count stops: -5 with `*pdwDestLen` = the bytes counted
/// so far (the destination's size plus at least this limit), a lower bound of the size needed,
/// with errno `E2BIG` instead of `ENOBUFS`; a destination that large gets further. Output
/// written into the destination itself is not limited: its size is the caller's choice.
pub const UNCOMPRESS_COUNT_LIMIT: u64 = 64 << 20;

/// Size of the stack buffer output past the destination is inflated / deflated into (and
/// dropped) while counting.
const SCRATCH: usize = 16 << 10;

/// Compresses `s` completely, writing through `out` (the destination first, then a scratch
/// buffer that only counts), so memory use does not depend on the size of the data. The
/// compressed size is bounded by the input's ([`SYS_GuessCompressBound`]), so counting it to
/// the end costs at most what compressing it costs: no limit is needed here.
pub fn deflate(s: &[u8], level: Compression, wrap: Wrap, window_bits: u8, out: &mut Out) {
    let mut c = match wrap {
        Wrap::Gzip => Compress::new_gzip(level, window_bits),
        w => Compress::new_with_window_bits(level, w == Wrap::Zlib, window_bits),
    };
    let mut scratch = [0u8; SCRATCH];
    loop {
        let done = c.total_in() as usize;
        let before = c.total_out();
        let spare = out.spare();
        let to_dest = !spare.is_empty();
        let buf = if to_dest { spare } else { &mut scratch[..] };
        let st = c.compress(&s[done..], buf, FlushCompress::Finish);
        out.advance((c.total_out() - before) as usize);
        match st {
            Ok(Status::StreamEnd) => return,
            Ok(_) => {}
            // Compressing with room in the output cannot fail on the data; make it visible.
            Err(e) => panic!("deflate: {e}"),
        }
    }
}

/// Decompresses one complete stream through `out`: into the destination while it has room,
/// then into a scratch buffer only to count the size needed, up to
/// [`UNCOMPRESS_COUNT_LIMIT`] past the destination (and never past what a `DWORD` can
/// describe). `Err(CODEC_BAD_INPUT)`: malformed or truncated; `Err(COUNT_STOPPED)`: the limit
/// was reached. Bytes after the end of the stream are ignored, as zlib's `uncompress` does.
pub fn inflate(s: &[u8], wrap: Wrap, window_bits: u8, out: &mut Out) -> Result<(), c_int> {
    let wrap = match wrap {
        Wrap::Auto if s.starts_with(&GZIP_MAGIC) => Wrap::Gzip,
        Wrap::Auto => Wrap::Zlib,
        w => w,
    };
    let mut d = match wrap {
        Wrap::Gzip => Decompress::new_gzip(window_bits),
        w => Decompress::new_with_window_bits(w == Wrap::Zlib, window_bits),
    };
    let limit = (out.capacity() as u64 + UNCOMPRESS_COUNT_LIMIT).min(u32::MAX as u64 + 1);
    let mut scratch = [0u8; SCRATCH];
    loop {
        if out.total() >= limit {
            return Err(COUNT_STOPPED);
        }
        let before = (d.total_in(), d.total_out());
        let spare = out.spare();
        let buf = if spare.is_empty() {
            &mut scratch[..]
        } else {
            spare
        };
        let st = d.decompress(&s[before.0 as usize..], buf, FlushDecompress::None);
        out.advance((d.total_out() - before.1) as usize);
        match st {
            Ok(Status::StreamEnd) => return Ok(()),
            // No progress with room in the output: the input ended early.
            Ok(_) if (d.total_in(), d.total_out()) == before => return Err(CODEC_BAD_INPUT),
            Ok(_) => {}
            Err(_) => return Err(CODEC_BAD_INPUT),
        }
    }
}

fn compress_bound(n: usize) -> usize {
    n + (n >> 12) + (n >> 14) + (n >> 25) + 13
}

/// Compression level argument: -1 is the default (6), else 0..=9.
pub(crate) fn level(l: c_int) -> Option<Compression> {
    match l {
        -1 => Some(Compression::default()),
        0..=9 => Some(Compression::new(l as u32)),
        _ => None,
    }
}

/// zlib's `windowBits` for compression: 8..=15 zlib (8 acts as 9), -15..=-9 raw, 25..=31 gzip.
pub(crate) fn deflate_window(bits: c_int) -> Option<(Wrap, u8)> {
    match bits {
        8..=15 => Some((Wrap::Zlib, bits.max(9) as u8)),
        -15..=-9 => Some((Wrap::Raw, (-bits) as u8)),
        25..=31 => Some((Wrap::Gzip, (bits - 16) as u8)),
        _ => None,
    }
}

/// zlib's `windowBits` for decompression: 0 (from the header) or 8..=15 zlib, -15..=-8 raw,
/// 24..=31 gzip, 40..=47 automatic zlib / gzip detection.
pub(crate) fn inflate_window(bits: c_int) -> Option<(Wrap, u8)> {
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
    run(p, len, dest, dest_len, |s, out| {
        deflate(s, Compression::default(), Wrap::Zlib, 15, out);
        Ok(())
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
    run(p, len, dest, dest_len, |s, out| {
        let (Some(l), 8, Some((wrap, bits)), 1..=9, 0..=4) = (
            level(lvl),
            method,
            deflate_window(window_bits),
            mem_level,
            strategy,
        ) else {
            return Err(CODEC_BAD_PARAM);
        };
        deflate(s, l, wrap, bits, out);
        Ok(())
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
    run(p, len, dest, dest_len, |s, out| {
        inflate(s, Wrap::Zlib, 15, out)
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
    run(p, len, dest, dest_len, |s, out| {
        let (wrap, bits) = inflate_window(window_bits).ok_or(CODEC_BAD_PARAM)?;
        inflate(s, wrap, bits, out)
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
    run(p, len, dest, dest_len, |s, out| {
        deflate(s, Compression::default(), Wrap::Gzip, 15, out);
        Ok(())
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
    run(p, len, dest, dest_len, |s, out| {
        inflate(s, Wrap::Auto, 15, out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{call, full, noise};
    use crate::codec::CODEC_BUFFER_TOO_SMALL;
    use crate::marshal::{errno, FALSE, TRUE};

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
        let z = full(SYS_Compress, &text);
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
}
