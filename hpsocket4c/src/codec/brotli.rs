//! Brotli one-shot codecs through the `brotli` crate: `SYS_BrotliCompress[Ex]`,
//! `SYS_BrotliUncompress` and `SYS_BrotliGuessCompressBound`, with the byte codecs'
//! conventions (0, -3 bad input or parameters, -5 buffer too small with the size needed).
//!
//! Layer 3 (families), under [`crate::codec`].

use std::ffi::c_int;

use ::brotli::enc::encode::{
    BrotliEncoderMaxCompressedSize, BrotliEncoderOperation, BrotliEncoderParameter,
    BrotliEncoderStateStruct,
};
use ::brotli::enc::StandardAlloc;
use ::brotli::{BrotliDecompressStream, BrotliResult};

use crate::codec::stream::{
    brotli_decoder, brotli_params, BROTLI_DEF_MODE, BROTLI_DEF_QUALITY, BROTLI_DEF_WINDOW,
};
use crate::codec::zlib::UNCOMPRESS_COUNT_LIMIT;
use crate::codec::{run, Out, CODEC_BAD_INPUT, COUNT_STOPPED};
use crate::marshal::set_errno;

/// Size of the stack buffer output past the destination goes through while counting.
const SCRATCH: usize = 16 << 10;

/// Compresses `s` whole into `out` (destination, then counted only).
fn encode(s: &[u8], quality: u32, window: u32, mode: u32, out: &mut Out) -> Result<(), c_int> {
    let mut e = BrotliEncoderStateStruct::new(StandardAlloc::default());
    e.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_QUALITY, quality);
    e.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_LGWIN, window);
    e.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_MODE, mode);
    e.set_parameter(
        BrotliEncoderParameter::BROTLI_PARAM_SIZE_HINT,
        s.len() as u32,
    );
    let mut scratch = [0u8; SCRATCH];
    let mut avail_in = s.len();
    let mut in_off = 0;
    loop {
        let spare = out.spare();
        let buf = if spare.is_empty() {
            &mut scratch[..]
        } else {
            spare
        };
        let mut avail_out = buf.len();
        let mut out_off = 0;
        let ok = e.compress_stream(
            BrotliEncoderOperation::BROTLI_OPERATION_FINISH,
            &mut avail_in,
            s,
            &mut in_off,
            &mut avail_out,
            buf,
            &mut out_off,
            &mut None,
            &mut |_, _, _, _| (),
        );
        out.advance(out_off);
        if !ok {
            return Err(CODEC_BAD_INPUT);
        }
        if e.is_finished() {
            return Ok(());
        }
    }
}

/// Decompresses one complete stream into `out`, counting past the destination up to
/// [`UNCOMPRESS_COUNT_LIMIT`] (as `SYS_Uncompress` does). Bytes after the stream's end are
/// ignored.
fn decode(s: &[u8], out: &mut Out) -> Result<(), c_int> {
    let mut st = brotli_decoder();
    let limit = (out.capacity() as u64 + UNCOMPRESS_COUNT_LIMIT).min(u32::MAX as u64 + 1);
    let mut scratch = [0u8; SCRATCH];
    let mut avail_in = s.len();
    let mut in_off = 0;
    let mut total = 0;
    loop {
        if out.total() >= limit {
            return Err(COUNT_STOPPED);
        }
        let spare = out.spare();
        let buf = if spare.is_empty() {
            &mut scratch[..]
        } else {
            spare
        };
        let mut avail_out = buf.len();
        let mut out_off = 0;
        let r = BrotliDecompressStream(
            &mut avail_in,
            &mut in_off,
            s,
            &mut avail_out,
            &mut out_off,
            buf,
            &mut total,
            &mut st,
        );
        out.advance(out_off);
        match r {
            BrotliResult::ResultSuccess => return Ok(()),
            BrotliResult::NeedsMoreOutput => {}
            // Truncated, or corrupt.
            BrotliResult::NeedsMoreInput | BrotliResult::ResultFailure => {
                return Err(CODEC_BAD_INPUT)
            }
        }
    }
}

/// Upper bound of the Brotli-compressed size of `len` bytes (0 if it does not fit a `DWORD`).
#[no_mangle]
pub extern "C" fn SYS_BrotliGuessCompressBound(len: u32) -> u32 {
    u32::try_from(BrotliEncoderMaxCompressedSize(len as usize)).unwrap_or(0)
}

/// Brotli-compresses `len` bytes (quality 11, window 22, generic mode).
#[no_mangle]
pub unsafe extern "C" fn SYS_BrotliCompress(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    SYS_BrotliCompressEx(
        p,
        len,
        dest,
        dest_len,
        BROTLI_DEF_QUALITY,
        BROTLI_DEF_WINDOW,
        BROTLI_DEF_MODE,
    )
}

/// Brotli-compresses with quality 0..=11, window 10..=24 bits and mode 0..=2 (generic, text,
/// font); other values give -3 with errno `EINVAL` (HP-Socket reports every failure of the
/// encoder as -3).
#[no_mangle]
pub unsafe extern "C" fn SYS_BrotliCompressEx(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
    quality: c_int,
    window: c_int,
    mode: c_int,
) -> c_int {
    let Some((q, w, m)) = brotli_params(quality, window, mode) else {
        set_errno(libc::EINVAL);
        return CODEC_BAD_INPUT;
    };
    run(p, len, dest, dest_len, |s, out| encode(s, q, w, m, out))
}

/// Decompresses Brotli data (-3 if malformed or truncated).
#[no_mangle]
pub unsafe extern "C" fn SYS_BrotliUncompress(
    p: *const u8,
    len: u32,
    dest: *mut u8,
    dest_len: *mut u32,
) -> c_int {
    run(p, len, dest, dest_len, decode)
}
